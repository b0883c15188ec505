"""Fuzzing: random and mutated requests never get a 500 and leave the org healthy.

Most requests go to the ASGI app in-process (Starlette's TestClient), which is fast;
a share goes to a live HTTPS emulator. A seeded mutator damages valid SOQL and
SOSL statements, record bodies, token requests, paths and headers; hypothesis adds
arbitrary text. Afterwards an ordinary query must still work.

Also here: the end-to-end property that any string quoted with simple-salesforce's
``format_soql`` finds the record it was stored in (the parser's own round-trip is
tested in ``tests/soql``).
"""

from __future__ import annotations

import json
import logging
import random
import string
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.format import format_soql
from starlette.testclient import TestClient

from sfmagic.emulator import start
from sfmagic.emulator.app import build_app
from sfmagic.emulator.org import OrgState, RunningOrg, build_state
from sfmagic.emulator.settings import OrgSettings

pytestmark = pytest.mark.timeout(300)

V = "/services/data/v59.0"
SEED = 20240611
IN_PROCESS_PARTS = 4
CALLS_PER_PART = 2600
LIVE_CALLS = 2000
LIVE_CLIENTS = 4


def accounts(sf: Salesforce) -> SFType:
    """simple-salesforce's handle on Account (``sf.Account`` is typed as a union)."""
    handle = sf.Account
    assert isinstance(handle, SFType)
    return handle


SOAP_LOGIN = (
    '<?xml version="1.0" encoding="utf-8" ?><env:Envelope'
    ' xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
    '<n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{username}'
    "</n1:username><n1:password>{password}</n1:password></n1:login></env:Body>"
    "</env:Envelope>"
)
ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><env:Envelope>&lol2;</env:Envelope>'
)


def spaced(text: str) -> list[str]:
    """The words of ``text``: keeps long lists of short words readable."""
    return text.split()


SOQL = [
    "SELECT Id, Name FROM Account",
    "SELECT Id, Name FROM Account WHERE Name LIKE 'Fuzz%' ORDER BY Name DESC"
    " NULLS LAST LIMIT 5 OFFSET 2",
    "SELECT COUNT() FROM Contact WHERE Email != null",
    "SELECT Industry, COUNT(Id) total, MAX(AnnualRevenue) FROM Account"
    " GROUP BY Industry HAVING COUNT(Id) > 1",
    "SELECT Id, (SELECT Id, LastName FROM Contacts ORDER BY LastName LIMIT 3)"
    " FROM Account",
    "SELECT Account.Owner.Name, Account.Name FROM Contact"
    " WHERE Account.Industry = 'Energy'",
    "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:30 AND IsDeleted = false",
    "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) LIMIT 10",
    "SELECT TYPEOF What WHEN Account THEN Name ELSE Id END FROM Task",
    "SELECT FIELDS(ALL) FROM Account LIMIT 200",
    "SELECT toLabel(Industry), CALENDAR_YEAR(CreatedDate) FROM Account",
    "SELECT Id FROM Account WHERE AnnualRevenue >= 1000.50 OR (NumberOfEmployees < 10"
    " AND Name NOT IN ('a', 'b'))",
    "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T00:00:00Z ORDER BY Name",
    "SELECT Id FROM Contact WHERE Birthdate = 2000-02-29 OR LastName = 'O\\'Brien'",
    "SELECT CALENDAR_MONTH(CreatedDate) m, COUNT(Id) FROM Case"
    " GROUP BY CALENDAR_MONTH(CreatedDate)",
    "SELECT Id, Subject FROM Case WHERE Status IN ('New', 'Working') FOR VIEW",
    "SELECT Name FROM Lead WHERE Owner.Type = 'Queue' WITH SECURITY_ENFORCED",
    "SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_QUARTERS:2"
    " USING SCOPE Everything",
]
SOSL = [
    "FIND {Fuzz}",
    "FIND {fuzz*} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Energy'"
    " ORDER BY Name LIMIT 5), Contact(LastName)",
    'FIND {"Fuzz Corp" OR acme AND NOT (foo OR bar)} IN ALL FIELDS LIMIT 20',
    "FIND {415-555-1212} IN PHONE FIELDS RETURNING Contact, Lead(Phone)",
    "FIND {fuzz@example.com} IN EMAIL FIELDS RETURNING Contact(Email ORDER BY Email"
    " DESC OFFSET 1)",
    "FIND {sm?th\\&co} RETURNING Account(Name, Owner.Name) WITH HIGHLIGHT"
    " UPDATE TRACKING",
    "FIND {fuzz} RETURNING Account(Id WHERE Id IN (SELECT AccountId FROM Contact))",
]
# Words the mutator inserts: keywords, names, literals and troublesome characters.
WORDS = [
    *spaced("SELECT FROM WHERE AND OR NOT IN LIKE LIMIT OFFSET TYPEOF WHEN THEN END"),
    *spaced("FIND RETURNING FIELDS WITH Id Name Account Contacts Owner.Name COUNT()"),
    *spaced("TODAY LAST_N_DAYS: null true 'x' ( ) { } ' \" \\ , . : = != <> * ? % _"),
    *spaced("2024-01-01 2024-01-01T00:00:00Z 001000000000000AAA USD100 -1 1e308"),
    "ORDER BY",
    "GROUP BY",
    "NULLS FIRST",
    "99999999999999999999",
    "\u0000",
    "é",
    "漢字",
    "\U0001f600",
    "\t",
    "\n",
]
OBJECTS = spaced("Account Contact Case Lead Opportunity Task Bogus__c")
FIELDS = [
    *spaced("Name LastName FirstName Email Phone Industry AnnualRevenue"),
    *spaced("NumberOfEmployees BillingCity BillingAddress OwnerId AccountId IsDeleted"),
    *spaced("CreatedDate Id Birthdate Status Subject WhatId StageName CloseDate"),
    *spaced("Amount Description Nope__c"),
    "",
]
GRANTS = [
    *spaced("password authorization_code refresh_token client_credentials device"),
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "bogus",
    "",
]
OAUTH_KEYS = spaced(
    "grant_type client_id client_secret username password code redirect_uri "
    "code_verifier refresh_token assertion scope token response_type state format"
)
HEADERS = spaced(
    "Authorization If-Modified-Since If-Unmodified-Since Sforce-Query-Options "
    "Content-Type Accept X-PrettyPrint Sforce-Auto-Assign Range"
)
PATH_PARTS = [
    *spaced("services data v59.0 v68.0 v49.0 vX sobjects Account Contact describe"),
    *spaced("query queryAll search limits updated deleted composite batch tree jobs"),
    *spaced("ingest results oauth2 token userinfo Soap u 001000000000000AAA"),
    *spaced("%2F .. %00 %E2%82%AC % + Name ExtId__c 01g000000000000AAA-2000"),
    "",
]


def random_text(rng: random.Random, size: int = 12) -> str:
    alphabet = string.printable + "éß漢\u0000\u200b\U0001f600{}[]"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(size + 1)))


def mutate(text: str, rng: random.Random) -> str:
    """``text`` damaged by one to four random edits."""
    for _ in range(rng.randint(1, 4)):
        if not text:
            text = rng.choice(WORDS)
            continue
        start = rng.randrange(len(text))
        end = min(len(text), start + rng.randint(1, 12))
        edit = rng.randrange(7)
        if edit == 0:
            text = text[:start] + text[end:]
        elif edit == 1:
            text = text[:start] + rng.choice(WORDS) + text[start:]
        elif edit == 2:
            text = text[:start] + random_text(rng, 4) + text[end:]
        elif edit == 3:
            text = text[:end] + text[start:end] + text[end:]
        elif edit == 4:
            text = text[:start]
        elif edit == 5:
            text = text[:start] + text[start:end].swapcase() + text[end:]
        else:
            other = rng.randrange(len(text))
            low, high = sorted((start, other))
            text = text[:low] + text[high:end] + text[low:high] + text[end:]
    return text


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 2 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, 10**30, -(10**20)])
    if kind == 3:
        return rng.choice([0.5, -1e300, 1e-300, 3.14159, 123456789.123456789])
    if kind == 4:
        return rng.choice(["2024-01-01", "2024-13-45T99:00:00Z", "001000000000000AAA"])
    if kind in (5, 6, 7):
        return random_text(rng, rng.choice([5, 50, 300]))
    if kind == 8:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(FIELDS): random_json(rng, depth + 1) for _ in range(rng.randrange(4))
    }


def record_body(rng: random.Random) -> bytes:
    """A create or update body: usually a JSON object of (mostly) real fields."""
    choice = rng.randrange(10)
    if choice == 0:
        return mutate(json.dumps({"Name": "Fuzz"}), rng).encode("utf-8", "replace")
    if choice == 1:
        return json.dumps(random_json(rng)).encode()
    body = {rng.choice(FIELDS): random_json(rng) for _ in range(rng.randint(1, 6))}
    if rng.random() < 0.5:
        body["Name"] = body.get("Name") or "Fuzz Record"
        body["LastName"] = "Fuzz"
    return json.dumps(body).encode()


@dataclass
class Call:
    """One request: method, path with query, headers, body."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def wire_headers(self) -> dict[str, bytes]:
        """The headers with values as bytes: they may hold Latin-1 characters."""
        return {name: value.encode("latin-1") for name, value in self.headers.items()}

    def raw_headers(self) -> dict[bytes, bytes]:
        """The headers as bytes, names included (for the in-process client)."""
        return {name.encode(): value for name, value in self.wire_headers().items()}

    def describe(self) -> str:
        return f"{self.method} {self.url[:300]!r} {self.headers!r} {self.body!r:.300}"


class Fuzzer:
    """Builds random and mutated calls, deterministically from a seed."""

    def __init__(self, seed: int, record_ids: list[str], org: dict[str, str]) -> None:
        self.rng = random.Random(seed)
        self.record_ids = record_ids
        self.org = org  # client_id, client_secret, username, password

    def soql(self) -> Call:
        text = mutate(self.rng.choice(SOQL), self.rng)
        resource = self.rng.choice(["query", "queryAll"])
        return Call("GET", f"{V}/{resource}/?q={quote(text)}")

    def sosl(self) -> Call:
        text = mutate(self.rng.choice(SOSL), self.rng)
        return Call("GET", f"{V}/search/?q={quote(text)}")

    def record(self) -> Call:
        sobject = self.rng.choice(OBJECTS)
        headers = {"Content-Type": "application/json"}
        if self.rng.random() < 0.5:
            return Call(
                "POST", f"{V}/sobjects/{sobject}/", headers, record_body(self.rng)
            )
        record_id = self.rng.choice([*self.record_ids, "001000000000000", "bad-id"])
        method = self.rng.choice(["PATCH", "PATCH", "PUT", "DELETE", "GET"])
        body = record_body(self.rng) if method != "GET" else None
        return Call(method, f"{V}/sobjects/{sobject}/{record_id}", headers, body)

    def token(self) -> Call:
        form: dict[str, str] = {"grant_type": self.rng.choice(GRANTS)}
        known = {
            "client_id": self.org["client_id"],
            "client_secret": self.org["client_secret"],
            "username": self.org["username"],
            "password": self.org["password"],
        }
        for key in self.rng.sample(OAUTH_KEYS, self.rng.randint(0, 6)):
            if key in known and self.rng.random() < 0.5:
                form[key] = known[key]
            else:
                form[key] = random_text(self.rng, 40)
        body = "&".join(f"{quote(k)}={quote(v)}" for k, v in form.items())
        if self.rng.random() < 0.2:
            body = mutate(body, self.rng)
        content_type = self.rng.choice(
            ["application/x-www-form-urlencoded"] * 4
            + ["application/json", "text/plain"]
        )
        path = self.rng.choice(
            ["token"] * 6 + ["revoke", "introspect", "userinfo", "authorize"]
        )
        headers = {"Content-Type": content_type}
        return Call("POST", f"/services/oauth2/{path}", headers, body.encode("utf-8"))

    def anything(self) -> Call:
        parts = [self.rng.choice(PATH_PARTS) for _ in range(self.rng.randint(1, 7))]
        if self.rng.random() < 0.7:
            parts = ["services", "data", self.rng.choice(["v59.0", "v68.0"]), *parts]
        url = "/" + "/".join(parts)
        if self.rng.random() < 0.3:
            query = mutate("q=SELECT+Id+FROM+Account&fields=Name", self.rng)
            url += "?" + quote(query, safe="=&+%")
        headers = {}
        for name in self.rng.sample(HEADERS, self.rng.randint(0, 3)):
            value = mutate(
                self.rng.choice(["batchSize=200", "Bearer x", "Tue, 1"]), self.rng
            )
            value = value.encode("latin-1", "replace").decode("latin-1")
            value = "".join(char for char in value if char.isprintable())
            headers[name] = value.strip()
        method = self.rng.choice(
            ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
        )
        body = (
            random_text(self.rng, 100).encode() if method in ("POST", "PATCH") else None
        )
        return Call(method, url, headers, body)

    def soap(self) -> Call:
        """A SOAP login, often damaged. Its faults are HTTP 500 by design."""
        username = self.rng.choice([self.org["username"], random_text(self.rng)])
        password = self.rng.choice([self.org["password"], random_text(self.rng)])
        body = SOAP_LOGIN.format(username=username, password=password)
        if self.rng.random() < 0.05:
            body = ENTITY_BOMB
        elif self.rng.random() < 0.7:
            body = mutate(body, self.rng)
        version = self.rng.choice(["59.0", "64.0", "65.0", "30.0", "abc", "59"])
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"}
        return Call("POST", f"/services/Soap/u/{version}", headers, body.encode())

    def bulk_and_composite(self) -> Call:
        path = self.rng.choice(
            [
                "composite",
                "composite/batch",
                "composite/sobjects",
                "composite/tree/Account",
                "jobs/ingest",
                "jobs/query",
            ]
        )
        body = json.dumps(random_json(self.rng)).encode()
        if self.rng.random() < 0.3:
            body = mutate(body.decode("utf-8", "replace"), self.rng).encode()
        return Call("POST", f"{V}/{path}", {"Content-Type": "application/json"}, body)

    def calls(self, count: int) -> Iterator[Call]:
        kinds: list[Callable[[], Call]] = [
            self.soql,
            self.sosl,
            self.record,
            self.token,
            self.anything,
            self.bulk_and_composite,
            self.soap,
        ]
        weights = [25, 25, 20, 12, 12, 6, 3]
        for _ in range(count):
            yield self.rng.choices(kinds, weights)[0]()


class ErrorLog(logging.Handler):
    """Keeps the emulator's logged tracebacks, to show with a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


@pytest.fixture(scope="module")
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logger = logging.getLogger("sfmagic.emulator")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def seed_records(state: OrgState) -> list[str]:
    user = state.admin.user_id
    ids = []
    for number in range(15):
        account = state.dml.create(
            "Account",
            {
                "Name": f"Fuzz Corp {number}",
                "Industry": "Energy",
                "Phone": "(415) 555-1212",
            },
            user_id=user,
        )
        ids.append(account)
        contact = {"LastName": f"Fuzz {number}", "AccountId": account}
        ids.append(
            state.dml.create(
                "Contact", {**contact, "Email": "fuzz@example.com"}, user_id=user
            )
        )
    return ids


@dataclass
class InProcess:
    client: TestClient
    state: OrgState
    record_ids: list[str]

    def credentials(self) -> dict[str, str]:
        admin = self.state.admin
        return {
            "client_id": admin.client_id,
            "client_secret": admin.client_secret,
            "username": admin.username,
            "password": admin.password + admin.security_token,
        }


@pytest.fixture(scope="module")
def app() -> Iterator[InProcess]:
    """The emulator's ASGI app in this process, on an in-memory org."""
    settings = OrgSettings(daily_api_limit=10**8)
    state = build_state("https://127.0.0.1:1", database=None, settings=settings)
    record_ids = seed_records(state)
    token = state.identity.issue_session(state.admin.user_id).access_token
    with TestClient(build_app(state), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield InProcess(client, state, record_ids)
    state.store.close()


def acceptable(status: int, content_type: str, body: bytes) -> bool:
    """No server error, except a SOAP fault, which SOAP sends as a 500."""
    if status < 500:
        return True
    return (
        status == 500
        and content_type.startswith("text/xml")
        and b"<soapenv:Fault>" in body
        and b"UNKNOWN_EXCEPTION" not in body
    )


@dataclass(frozen=True)
class Outcome:
    call: Call
    status: int
    acceptable: bool


def send_in_process(app: InProcess, call: Call) -> Outcome:
    response = app.client.request(
        call.method, call.url, headers=call.raw_headers(), content=call.body
    )
    content_type = response.headers.get("content-type", "")
    ok = acceptable(response.status_code, content_type, response.content)
    return Outcome(call, response.status_code, ok)


def assert_no_server_errors(outcomes: list[Outcome], errors: ErrorLog) -> None:
    broken = [f"{o.status} {o.call.describe()}" for o in outcomes if not o.acceptable]
    detail = "\n".join(broken[:10] + errors.messages[:2])
    assert not broken, f"{len(broken)} server errors:\n{detail}"


def healthy_in_process(app: InProcess) -> None:
    response = app.client.get(f"{V}/query/?q=SELECT+Id,Name+FROM+User+LIMIT+1")
    assert response.status_code == 200
    assert response.json()["totalSize"] == 1


@pytest.mark.parametrize("part", range(IN_PROCESS_PARTS))
def test_mutated_requests_in_process(
    app: InProcess, errors: ErrorLog, part: int
) -> None:
    """One part of the in-process calls (4 x 2,600 = 10,400 in all)."""
    fuzzer = Fuzzer(SEED + part, app.record_ids, app.credentials())
    started = time.monotonic()
    results = [send_in_process(app, call) for call in fuzzer.calls(CALLS_PER_PART)]
    elapsed = time.monotonic() - started
    assert_no_server_errors(results, errors)
    healthy_in_process(app)
    statuses = sorted({outcome.status for outcome in results})
    print(f"\nfuzz part {part}: {len(results)} calls in {elapsed:.1f}s {statuses}")


@pytest.fixture(scope="module")
def live_org() -> Iterator[RunningOrg]:
    """A live org of this module's own: fuzzing writes records others would see."""
    with start(settings=OrgSettings(daily_api_limit=10**8)) as org:
        yield org


@pytest.fixture(scope="module")
def live_sf(live_org: RunningOrg) -> Salesforce:
    return Salesforce(
        instance_url=live_org.instance_url,
        session_id=live_org.access_token(),
        session=live_org.session(),
    )


@pytest.mark.live
def test_mutated_requests_over_https(live_org: RunningOrg, errors: ErrorLog) -> None:
    """A share of the mutated calls against the live server, then a normal query."""
    org = live_org
    token = org.access_token()
    credentials = {
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "username": org.username,
        "password": org.password + org.security_token,
    }
    calls = list(Fuzzer(SEED - 1, [], credentials).calls(LIVE_CALLS))

    def send_share(share: list[Call]) -> list[Outcome]:
        http = org.session()
        http.headers["Authorization"] = f"Bearer {token}"
        results = []
        for call in share:
            response = http.request(
                call.method,
                org.instance_url + call.url,
                headers=call.wire_headers(),
                data=call.body,
                timeout=30,
            )
            content_type = response.headers.get("Content-Type", "")
            ok = acceptable(response.status_code, content_type, response.content)
            results.append(Outcome(call, response.status_code, ok))
        return results

    started = time.monotonic()
    with ThreadPoolExecutor(LIVE_CLIENTS) as pool:
        shares = [calls[i::LIVE_CLIENTS] for i in range(LIVE_CLIENTS)]
        results = [result for part in pool.map(send_share, shares) for result in part]
    elapsed = time.monotonic() - started

    assert_no_server_errors(results, errors)
    health = org.session().get(
        f"{org.instance_url}{V}/query/",
        params={"q": "SELECT Id FROM User"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert health.status_code == 200
    print(f"\nfuzz over HTTPS: {len(results)} calls in {elapsed:.1f}s")


text_settings = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@text_settings
@given(st.text(max_size=200))
def test_any_text_as_soql_gets_no_500(app: InProcess, text: str) -> None:
    response = app.client.get(f"{V}/query/", params={"q": text})
    assert response.status_code < 500, (text, response.text)


@text_settings
@given(st.text(max_size=120), st.sampled_from(["", " RETURNING Account(Name)", " IN"]))
def test_any_text_as_sosl_gets_no_500(app: InProcess, text: str, tail: str) -> None:
    for statement in (text, f"FIND {{{text}}}{tail}"):
        response = app.client.get(f"{V}/search/", params={"q": statement})
        assert response.status_code < 500, (statement, response.text)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=300),
    st.lists(st.integers(), max_size=2),
)


@text_settings
@given(st.dictionaries(st.sampled_from(FIELDS), SCALARS, max_size=5))
def test_any_record_body_gets_no_500(app: InProcess, body: dict[str, Any]) -> None:
    response = app.client.post(f"{V}/sobjects/Account/", content=json.dumps(body))
    assert response.status_code < 500, (body, response.text)


NAME_TEXT = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=80)


@pytest.mark.live
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(NAME_TEXT)
def test_format_soql_round_trips_through_an_equality_filter(
    live_sf: Salesforce, name: str
) -> None:
    sf = live_sf
    record_id = accounts(sf).create({"Name": name})["id"]
    try:
        result = sf.query(
            format_soql("SELECT Id, Name FROM Account WHERE Name = {}", name)
        )
        found = {record["Id"]: record["Name"] for record in result["records"]}
        assert found.get(record_id) == name
        like = sf.query(
            format_soql("SELECT Id FROM Account WHERE Name LIKE '{:like}'", name)
        )
        assert record_id in {record["Id"] for record in like["records"]}
    finally:
        accounts(sf).delete(record_id)
