"""Org-wide settings that tutorials and tests can turn."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["API_VERSIONS", "CURRENT_API_VERSION", "OrgSettings"]

# Winter '21 (50.0) to Winter '27 (68.0): three releases a year.
OLDEST_API_VERSION = 50
CURRENT_API_VERSION = "68.0"
API_VERSIONS = tuple(f"{number}.0" for number in range(OLDEST_API_VERSION, 69))


@dataclass
class OrgSettings:
    """Knobs of the emulated org.

    ``session_lifetime`` is in seconds (Salesforce's default is two hours);
    ``daily_api_limit`` is the 24-hour API request allocation reported by
    ``Sforce-Limit-Info`` and ``limits/``. The three ``*_disabled`` switches make
    the org behave like one where Salesforce's retiring login flows are turned off.
    """

    time_zone: str = "America/Los_Angeles"
    session_lifetime: int = 7200
    daily_api_limit: int = 15000
    soap_login_disabled: bool = False
    password_flow_disabled: bool = False
    device_flow_disabled: bool = False
