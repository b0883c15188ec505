"""A live HTTPS emulator shared by the conformance tests, and clients for it.

``org`` is one in-memory org for the whole test session, seeded with a known set
of records: ``SEEDED_ACCOUNTS`` accounts named ``Seed Account NNN``, and two
accounts sharing a value of the custom external-id field ``External_Id__c``.
Tests that write create records of their own, so that they do not depend on one
another. ``sf`` is simple-salesforce pointed at it exactly as a
user would; ``api`` sends raw requests with the admin's bearer token for the
answers simple-salesforce hides (status codes, headers, bodies of errors).

``live`` is a fresh org per test module with nothing seeded, for the login
tests; ``unique_external_id_org``, also one per module, gives Account a unique
external-id field for upserts. ``LoginRewrite`` sends simple-salesforce's login
calls to a live org instead of Salesforce.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce.api import Salesforce

from sfmagic.emulator import start
from sfmagic.emulator.org import RunningOrg

SEEDED_ACCOUNTS = 450
SEED_NAME = "Seed Account"
SEED_INDUSTRIES = ("Banking", "Energy", "Retail")
# A custom external-id field, not unique, so that two accounts can share a value.
EXTERNAL_ID = "External_Id__c"
DUPLICATE_EXTERNAL_ID = "TWIN-1"
CUSTOM_SCHEMA = {
    "fields": {
        "Account": {
            EXTERNAL_ID: {"type": "text", "length": 40, "external_id": True},
        }
    }
}
# A schema file (TOML) giving Account a unique external-id field.
UNIQUE_EXTERNAL_ID_SCHEMA = """
[fields.Account.External_Id__c]
type = "text"
length = 40
external_id = true
unique = true
"""
# The API version simple-salesforce 1.12 uses by default.
CLIENT_VERSION = "59.0"


class Api:
    """Raw HTTPS requests to the org's data API with the admin's bearer token."""

    def __init__(self, org: RunningOrg, version: str = CLIENT_VERSION) -> None:
        self.org = org
        self.http = org.session()
        self.http.headers["Authorization"] = f"Bearer {org.access_token()}"
        self.base = f"{org.instance_url}/services/data/v{version}"

    def url(self, path: str) -> str:
        if path.startswith("https://"):
            return path
        if path.startswith("/"):
            return self.org.instance_url + path
        return f"{self.base}/{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url(path), timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)


class LoginRewrite(requests.Session):
    """Sends simple-salesforce's login and test.salesforce.com calls to an org."""

    def __init__(self, org: RunningOrg) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = str(org.ca_file)
        self.base = org.instance_url

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        for host in ("https://login.salesforce.com", "https://test.salesforce.com"):
            if text.startswith(host):
                text = self.base + text[len(host) :]
        return super().request(method, text, *args, **kwargs)


def seed(org: RunningOrg) -> None:
    """Create the records the read-only tests count on."""
    state = org.state
    admin = state.admin.user_id
    for number in range(SEEDED_ACCOUNTS):
        state.dml.create(
            "Account",
            {
                "Name": f"{SEED_NAME} {number:03d}",
                "Industry": SEED_INDUSTRIES[number % len(SEED_INDUSTRIES)],
                "AnnualRevenue": number * 1000.0,
            },
            user_id=admin,
        )
    for name in ("Castor", "Pollux"):
        state.dml.create(
            "Account",
            {"Name": name, EXTERNAL_ID: DUPLICATE_EXTERNAL_ID},
            user_id=admin,
        )


@pytest.fixture(scope="session")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOrg]:
    """One live in-memory org, seeded, for the whole session."""
    schema_file = tmp_path_factory.mktemp("schema") / "custom.json"
    schema_file.write_text(json.dumps(CUSTOM_SCHEMA), encoding="utf-8")
    with start(schema_file=schema_file) as running:
        seed(running)
        yield running


@pytest.fixture(scope="session")
def sf(org: RunningOrg) -> Salesforce:
    """simple-salesforce connected to the live org the documented way."""
    return Salesforce(
        instance_url=org.instance_url,
        session_id=org.access_token(),
        session=org.session(),
    )


@pytest.fixture(scope="session")
def api(org: RunningOrg) -> Api:
    """Raw requests to the live org, authenticated as the admin."""
    return Api(org)


@pytest.fixture(scope="module")
def live() -> Iterator[RunningOrg]:
    """A fresh live org, one per test module, with nothing seeded."""
    with start() as org:
        yield org


@pytest.fixture(scope="module")
def unique_external_id_org(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningOrg]:
    """A live org, one per test module, whose Account has a unique external id."""
    schema = tmp_path_factory.mktemp("schema") / "schema.toml"
    schema.write_text(UNIQUE_EXTERNAL_ID_SCHEMA)
    with start(schema_file=schema) as running:
        yield running
