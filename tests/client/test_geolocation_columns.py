"""Geolocation fields flattened to latitude and longitude columns.

The emulator has no geolocation field type, so this one test answers describe
and the query page itself, in Salesforce's shapes (a ``location`` field, and
its value as ``{"latitude": …, "longitude": …}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
import pandas as pd
import requests

from sfmagic.client.frames import run_query

DESCRIBE = {
    "name": "Store__c",
    "fields": [
        {"name": "Id", "type": "id"},
        {"name": "Name", "type": "string"},
        {"name": "Spot__c", "type": "location"},
    ],
    "childRelationships": [],
}
PAGE = {
    "totalSize": 2,
    "done": True,
    "records": [
        {
            "attributes": {"type": "Store__c"},
            "Id": "a00000000000001AAA",
            "Name": "Harbour",
            "Spot__c": {"latitude": 48.8566, "longitude": 2.3522},
        },
        {
            "attributes": {"type": "Store__c"},
            "Id": "a00000000000002AAA",
            "Name": "Nowhere",
            "Spot__c": None,
        },
    ],
}


class CannedOrg:
    """A transport that answers describe and one query page."""

    instance_url = "https://canned.invalid"
    api_version = "62.0"

    def request(self, method: str, path_or_url: str, **_: Any) -> requests.Response:
        body: Mapping[str, Any] = DESCRIBE if "describe" in path_or_url else PAGE
        response = requests.Response()
        response.status_code = 200
        response._content = orjson.dumps(body)
        return response


def test_location_fields_become_latitude_and_longitude_columns() -> None:
    result = run_query(
        CannedOrg(), "SELECT Name, Spot__c FROM Store__c", progress=False
    )
    frame = result.frame
    assert list(frame.columns) == ["Name", "Spot__c.latitude", "Spot__c.longitude"]
    assert frame["Spot__c.latitude"].dtype == np.dtype("float64")
    assert frame["Spot__c.latitude"].iloc[0] == 48.8566
    assert frame["Spot__c.longitude"].iloc[0] == 2.3522
    assert pd.isna(frame["Spot__c.latitude"].iloc[1])
