"""The demo org the query magic tests share, with a few custom fields.

``demo_org()`` starts one emulated org with the demo data for the whole test
process (stopped at exit). Its schema adds fields the standard objects lack,
so that every column kind can be queried: a time, a number with decimals, a
percent and a picklist on Account.
"""

from __future__ import annotations

import atexit
import tempfile
import threading
from pathlib import Path

from sfmagic.emulator import start
from sfmagic.emulator.org import RunningOrg

SCHEMA = """
[fields.Account.Opens_At__c]
type = "time"

[fields.Account.Score__c]
type = "number"
precision = 8
scale = 2

[fields.Account.Share__c]
type = "percent"
precision = 5
scale = 2

[fields.Account.Region__c]
type = "picklist"
values = ["North", "South", "East", "West"]
"""

_lock = threading.Lock()
_org: RunningOrg | None = None


def demo_org() -> RunningOrg:
    """One demo org (with the custom fields of ``SCHEMA``) per test process."""
    global _org
    with _lock:
        if _org is None:
            folder = Path(tempfile.mkdtemp(prefix="sfmagic-query-tests-"))
            schema = folder / "schema.toml"
            schema.write_text(SCHEMA, encoding="utf-8")
            _org = start(demo=True, schema_file=schema)
            atexit.register(_org.stop)
        return _org
