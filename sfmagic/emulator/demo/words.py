"""Word lists of the demo org: companies, people, places and the texts of records."""

from __future__ import annotations

import unicodedata


def _words(text: str) -> tuple[str, ...]:
    """The blank-separated words of ``text``; an underscore stands for a space."""
    return tuple(word.replace("_", " ") for word in text.split())


WORDS_A = _words(
    "Blue Silver Golden Red Green North South East West Pacific Atlantic Summit "
    "Granite Iron Cedar Maple Pine Oak River Lake Harbor Bay Coastal Prairie "
    "Mountain Valley Canyon Desert Polar Sun Star Bright Clear Swift Bold True "
    "Prime First United Allied Liberty Pioneer Frontier Heritage Modern Future "
    "Quantum Vector Apex Vertex Zenith Nova Orbit Atlas Titan Falcon Eagle Hawk "
    "Fox Wolf Bear Lion Crystal Emerald"
)


WORDS_B = _words(
    "Ridge Peak Point Field Stone Brook Creek Gate Bridge Works Forge Mill Path "
    "Way Line Wave Light Spark Wind Cloud Rock Crest Shore Haven Grove Arrow "
    "Anchor Beacon Tower Castle Crown Circle Square Cross Trail Port Rain Frost "
    "Fire Leaf Root Seed Bloom Dale Glen Hollow Isle Key Knot Lane March Meadow "
    "Moor Pass Pond Reach Sail Signal Spire Table Vale Well Yard"
)


SECTORS = {
    "Logistics": "Transportation",
    "Health": "Healthcare",
    "Foods": "Food & Beverage",
    "Labs": "Biotechnology",
    "Systems": "Technology",
    "Energy": "Energy",
    "Capital": "Finance",
    "Partners": "Consulting",
    "Software": "Technology",
    "Analytics": "Technology",
    "Robotics": "Machinery",
    "Media": "Media",
    "Motors": "Manufacturing",
    "Textiles": "Apparel",
    "Pharmaceuticals": "Healthcare",
    "Biotech": "Biotechnology",
    "Builders": "Construction",
    "Consulting": "Consulting",
    "Networks": "Communications",
    "Solutions": "Technology",
    "Manufacturing": "Manufacturing",
    "Materials": "Chemicals",
    "Outfitters": "Retail",
    "Hotels": "Hospitality",
    "Insurance": "Insurance",
    "Bank": "Banking",
    "Farms": "Agriculture",
    "Brewing": "Food & Beverage",
    "Aerospace": "Engineering",
    "Electronics": "Electronics",
    "Chemicals": "Chemicals",
    "Construction": "Construction",
    "Studios": "Entertainment",
    "Ventures": "Finance",
    "Telecom": "Telecommunications",
    "Apparel": "Apparel",
    "Marine": "Shipping",
    "Recycling": "Environmental",
    "Pictures": "Entertainment",
    "Supply": "Utilities",
}


LEGAL = ("", "", "", "Inc.", "LLC", "Corp.", "Ltd.", "Co.", "Group", "Holdings")


FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth "
    "William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen "
    "Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Steven Ashley Andrew "
    "Emily Kevin Michelle Brian Amanda George Melissa Aisha Wei Hiroshi Yuki "
    "Fatima Omar Ahmed Mei Raj Ananya Carlos Lucía José María Zoë Søren Björn "
    "Chloé François Ngozi Kwame Olga Dmitri Ingrid Mateo Camila Noah Emma Olivia "
    "Liam Ava Ethan Isabella Lucas Mia Hannah Leila Arjun Tomás Renée"
)


LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez "
    "Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin "
    "Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker "
    "Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson "
    "Baker Hall Rivera Campbell Mitchell Carter Roberts Kim Park Patel Shah Singh "
    "Kumar Chen Wang Li Zhang Tanaka Sato Suzuki Müller Schmidt Fischer Dubois "
    "Lefèvre Rossi Bianchi Kowalski Nowak Ivanova Petrov O'Connor O'Neil McCarthy "
    "Murphy Okafor Mensah Haddad Nasser Cohen Levi Andersson Johansson Nielsen "
    "Hansen Santos Costa Pereira Jiménez Núñez Novak Horvat da_Silva Van_der_Berg "
    "De_Vries"
)


TITLES = (
    ("CEO", "Executive"),
    ("CFO", "Finance"),
    ("CTO", "Engineering"),
    ("COO", "Operations"),
    ("VP of Sales", "Sales"),
    ("VP of Marketing", "Marketing"),
    ("VP of Engineering", "Engineering"),
    ("Director of Operations", "Operations"),
    ("Director of IT", "IT"),
    ("Procurement Manager", "Procurement"),
    ("Senior Buyer", "Procurement"),
    ("IT Manager", "IT"),
    ("Office Manager", "Administration"),
    ("Operations Manager", "Operations"),
    ("Marketing Manager", "Marketing"),
    ("Sales Manager", "Sales"),
    ("Software Engineer", "Engineering"),
    ("Facilities Manager", "Facilities"),
    ("Controller", "Finance"),
    ("Customer Success Manager", "Customer Success"),
    ("Product Manager", "Product"),
    ("Head of Data", "IT"),
    ("Data Analyst", "Finance"),
    ("HR Director", "Human Resources"),
    ("General Counsel", "Legal"),
    ("Plant Manager", "Operations"),
    ("Supply Chain Manager", "Operations"),
    ("Project Manager", "Operations"),
)


# City, state, postal code, country, latitude, longitude, phone prefix.
CITIES: tuple[tuple[str, str | None, str, str, float, float, str], ...] = (
    ("New York", "NY", "10001", "United States", 40.7506, -73.9972, "(212) 555-"),
    ("San Francisco", "CA", "94105", "United States", 37.7898, -122.3942, "(415) 555-"),
    ("Chicago", "IL", "60601", "United States", 41.8858, -87.6181, "(312) 555-"),
    ("Austin", "TX", "78701", "United States", 30.2711, -97.7437, "(512) 555-"),
    ("Seattle", "WA", "98101", "United States", 47.6101, -122.3341, "(206) 555-"),
    ("Boston", "MA", "02110", "United States", 42.3570, -71.0513, "(617) 555-"),
    ("Denver", "CO", "80202", "United States", 39.7525, -104.9995, "(303) 555-"),
    ("Atlanta", "GA", "30303", "United States", 33.7525, -84.3915, "(404) 555-"),
    ("Miami", "FL", "33131", "United States", 25.7663, -80.1917, "(305) 555-"),
    ("Los Angeles", "CA", "90017", "United States", 34.0530, -118.2642, "(213) 555-"),
    ("San Diego", "CA", "92101", "United States", 32.7190, -117.1628, "(619) 555-"),
    ("Phoenix", "AZ", "85004", "United States", 33.4515, -112.0686, "(602) 555-"),
    ("Dallas", "TX", "75201", "United States", 32.7877, -96.7994, "(214) 555-"),
    ("Houston", "TX", "77002", "United States", 29.7567, -95.3653, "(713) 555-"),
    ("Minneapolis", "MN", "55402", "United States", 44.9759, -93.2717, "(612) 555-"),
    ("Portland", "OR", "97204", "United States", 45.5183, -122.6779, "(503) 555-"),
    ("Philadelphia", "PA", "19103", "United States", 39.9522, -75.1741, "(215) 555-"),
    ("Pittsburgh", "PA", "15222", "United States", 40.4495, -79.9886, "(412) 555-"),
    ("Nashville", "TN", "37203", "United States", 36.1495, -86.7907, "(615) 555-"),
    ("Raleigh", "NC", "27601", "United States", 35.7727, -78.6386, "(919) 555-"),
    ("Salt Lake City", "UT", "84101", "United States", 40.7565, -111.898, "(801) 555-"),
    ("Detroit", "MI", "48226", "United States", 42.3316, -83.0466, "(313) 555-"),
    ("Columbus", "OH", "43215", "United States", 39.9653, -83.0036, "(614) 555-"),
    ("Kansas City", "MO", "64105", "United States", 39.1024, -94.5833, "(816) 555-"),
    ("St. Louis", "MO", "63101", "United States", 38.6312, -90.1922, "(314) 555-"),
    ("Indianapolis", "IN", "46204", "United States", 39.7713, -86.1566, "(317) 555-"),
    ("Charlotte", "NC", "28202", "United States", 35.2290, -80.8434, "(704) 555-"),
    ("Baltimore", "MD", "21202", "United States", 39.2964, -76.6088, "(410) 555-"),
    ("Washington", "DC", "20005", "United States", 38.9043, -77.0312, "(202) 555-"),
    ("Las Vegas", "NV", "89101", "United States", 36.1728, -115.1448, "(702) 555-"),
    ("Sacramento", "CA", "95814", "United States", 38.5803, -121.4944, "(916) 555-"),
    ("Madison", "WI", "53703", "United States", 43.0766, -89.3862, "(608) 555-"),
    ("Boise", "ID", "83702", "United States", 43.6178, -116.1996, "(208) 555-"),
    ("Omaha", "NE", "68102", "United States", 41.2597, -95.9337, "(402) 555-"),
    ("New Orleans", "LA", "70112", "United States", 29.9563, -90.0776, "(504) 555-"),
    ("Honolulu", "HI", "96813", "United States", 21.3099, -157.8581, "(808) 555-"),
    ("Anchorage", "AK", "99501", "United States", 61.2176, -149.8953, "(907) 555-"),
    ("Burlington", "VT", "05401", "United States", 44.4759, -73.2121, "(802) 555-"),
    ("Toronto", "ON", "M5H 2N2", "Canada", 43.6510, -79.3832, "+1 416 555 "),
    ("Vancouver", "BC", "V6B 1A1", "Canada", 49.2827, -123.1207, "+1 604 555 "),
    ("London", None, "EC2V 7HH", "United Kingdom", 51.5155, -0.0922, "+44 20 7946 "),
    ("Dublin", None, "D02 X285", "Ireland", 53.3438, -6.2546, "+353 1 555 "),
    ("Berlin", None, "10117", "Germany", 52.5170, 13.3889, "+49 30 5550 "),
    ("Paris", None, "75002", "France", 48.8686, 2.3417, "+33 1 55 55 "),
    ("Sydney", "NSW", "2000", "Australia", -33.8688, 151.2093, "+61 2 5550 "),
    ("Singapore", None, "049315", "Singapore", 1.2840, 103.8510, "+65 6555 "),
    ("Tokyo", "Tokyo", "100-0005", "Japan", 35.6812, 139.7671, "+81 3 5555 "),
    ("São Paulo", "SP", "01310-100", "Brazil", -23.5614, -46.6559, "+55 11 5555 "),
    ("Mexico City", "CDMX", "06600", "Mexico", 19.4270, -99.1677, "+52 55 5555 "),
    ("Bengaluru", "KA", "560001", "India", 12.9716, 77.5946, "+91 80 5555 "),
)


CITY_WEIGHTS = tuple(4 if c[3] == "United States" else 1 for c in CITIES)


STREETS = _words(
    "Main Market Oak Pine Maple Cedar Elm Washington Lake Hill Park River Mission "
    "Harbor Commerce Industrial Spring Sunset Highland Church Mill Union Grand "
    "Center Front Water Bridge Liberty Franklin Jefferson Madison Lincoln"
)


STREET_KINDS = ("St", "Ave", "Blvd", "Rd", "Way", "Dr", "Pkwy", "Ln")


CASE_SUBJECTS = (
    "Unable to log in to the customer portal",
    "Invoice shows the wrong amount",
    "Shipment arrived damaged",
    "Device overheats after firmware update",
    "Request for an installation visit",
    "Performance degraded since last week",
    "Question about warranty coverage",
    "Replacement part needed",
    "Generator fails to start",
    "Error code E42 on startup",
    "Training request for new staff",
    "Feature request: export to CSV",
    "Billing address change",
    "Cannot reset password",
    "Unit makes a grinding noise",
    "Order not received",
    "Power supply failure",
    "Sensor readings out of range",
    "Need a copy of the contract",
    "Integration API returns 500 errors",
)


CASE_DETAILS = (
    "The customer first noticed it on Monday morning.",
    "It happens on two of their five sites.",
    "They have already restarted the equipment twice.",
    "Photos are attached to the original email.",
    "This is blocking their month-end close.",
    "They would like a call back before Friday.",
)


COMMENTS = (
    "Called the customer; waiting for the log files.",
    "Replacement part shipped by overnight courier.",
    "Escalated to engineering for a root-cause analysis.",
    "Customer confirmed the issue is resolved.",
    "Sent the knowledge article on the firmware update.",
    "Scheduled a technician visit for Thursday.",
    "Requested photos of the damaged unit.",
    "Applied patch 4.2.1 and monitoring for 48 hours.",
)


DEALS = (
    "New Business",
    "Renewal",
    "Upsell",
    "Expansion",
    "Add-On Licenses",
    "Pilot",
    "Services Agreement",
    "Support Renewal",
    "Enterprise Agreement",
    "Annual Subscription",
)


NEXT_STEPS = (
    "Send revised proposal",
    "Schedule technical deep dive",
    "Confirm budget with CFO",
    "Legal review of the MSA",
    "Book onsite demo",
    None,
)


TASK_EXTRA = (
    "Follow up on proposal",
    "Schedule demo",
    "Send contract",
    "Check in after installation",
    "Prepare quote",
    "Review support case",
)


EVENT_EXTRA = (
    "Quarterly business review",
    "Product demo",
    "Discovery call",
    "Onsite visit",
    "Contract negotiation",
    "Kickoff meeting",
)


LOCATIONS = ("Zoom", "Microsoft Teams", "Customer office", "Phone", "Headquarters")


NOTE_TITLES = (
    "Call notes",
    "Meeting summary",
    "Pricing discussion",
    "Renewal risk",
    "Technical requirements",
    "Key stakeholders",
    "Escalation summary",
    "Next steps",
)


NOTE_BODIES = (
    "Discussed the rollout timeline; they want to start next quarter.",
    "Budget is approved but procurement needs three quotes.",
    "Main contact is leaving in March; introduce the new lead early.",
    "Asked for a discount on multi-year terms.",
    "Security review passed. Waiting for the signed order form.",
    "They compare us with two other vendors on support response times.",
)


# The team: first, last, title, department, time zone, locale, role.
TEAM = (
    ("Maya", "Chen", "VP of Sales", "Sales", "America/Los_Angeles", "en_US", "sales"),
    (
        "Jamal",
        "Okafor",
        "Account Executive",
        "Sales",
        "America/New_York",
        "en_US",
        "sales",
    ),
    ("Sofia", "Rossi", "Account Executive", "Sales", "Europe/Zurich", "it_IT", "sales"),
    (
        "Diego",
        "Álvarez",
        "Sales Development Rep",
        "Sales",
        "America/Chicago",
        "es_ES",
        "sales",
    ),
    (
        "Liam",
        "O'Brien",
        "Support Manager",
        "Support",
        "Europe/Dublin",
        "en_GB",
        "support",
    ),
    (
        "Priya",
        "Natarajan",
        "Support Engineer",
        "Support",
        "Europe/London",
        "en_GB",
        "support",
    ),
)


def fold_ascii(text: str) -> str:
    """Lower-case ASCII letters only: 'O'Connor' → 'oconnor', 'Zoë' → 'zoe'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


FIRST_ASCII = {name: fold_ascii(name) for name in FIRST_NAMES}


LAST_ASCII = {name: fold_ascii(name) for name in LAST_NAMES}
