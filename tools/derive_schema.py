"""Derive the emulator's standard-object schema from real describe payloads.

A development-time script: it reads the describe payloads captured from real orgs
(``shared/reference/describe/*.json``) and writes
``sfmagic/emulator/data/standard_objects.json``, the only schema file the package
reads at run time. Run it again after changing the object set::

    python tools/derive_schema.py [DESCRIBE_DIR] [OUTPUT_FILE]

What it does to the captured payloads:

* keeps only the emulator's object set (``OBJECTS``) and drops the test org's
  custom fields (names ending in ``__c``) and record types (only Master stays);
* trims every ``referenceTo`` list to objects of the set; a lookup left with no
  target (``RecordTypeId``, ``CampaignId``, ...) is dropped, so no query can walk
  into a table that does not exist; ``polymorphicForeignKey`` is then true only
  when more than one target is left (``Event.OwnerId`` pointed at Calendar and
  User, here only at User);
* keeps a child relationship only when the child object is in the set, has the
  field, and that field may point back at the parent; OpenActivity and
  ActivityHistory stay only under Account and Contact, where the emulator can
  answer them;
* replaces the API version in urls with ``{version}`` and the captured host with
  ``{instance_url}``; ``describe.py`` fills both in per request.

Task, Note, CaseComment, User, Group, QueueSobject and the virtual OpenActivity
and ActivityHistory have no captured describe: ``schema_builders.py`` builds
them from the Salesforce object reference, with every field filled to the same
57 keys as the real payloads (``make_field``).

Each object also carries its describe-global entry (the 28 keys of
``GET /sobjects``) under ``"x-sfmagic": {"global": ...}``, taken from the
captured global describe where the object appears there.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from schema_builders import (
    build_activity_view,
    build_case_comment,
    build_group,
    build_note,
    build_queue_sobject,
    build_task,
    build_user,
)

from sfmagic.emulator.describe import GLOBAL_KEYS, global_template
from sfmagic.emulator.describe_entries import child_relationship

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/work/shared/reference/describe")
DEFAULT_OUTPUT = ROOT / "sfmagic" / "emulator" / "data" / "standard_objects.json"

CAPTURED = ("Account", "Contact", "Case", "Lead", "Opportunity", "Event")
BUILT = (
    "Task",
    "Note",
    "CaseComment",
    "User",
    "Group",
    "QueueSobject",
    "OpenActivity",
    "ActivityHistory",
)
OBJECTS = frozenset(CAPTURED + BUILT)
VIRTUAL = frozenset({"OpenActivity", "ActivityHistory"})
ACTIVITY_VIEW_PARENTS = frozenset({"Account", "Contact"})

VERSION_IN_URL = re.compile(r"/services/data/v[0-9x]+\.[0-9x]+/")
CAPTURED_HOST = "https://orgname.my.salesforce.com"

# --- trimming captured describes ----------------------------------------------


def trim_captured(describe: dict[str, Any]) -> dict[str, Any]:
    """Keep the standard fields and the in-set lookups of a captured describe."""
    fields = []
    for entry in describe["fields"]:
        if entry["name"].endswith("__c"):
            continue
        if entry["type"] == "reference":
            targets = [t for t in entry["referenceTo"] if t in OBJECTS]
            if not targets:
                continue
            entry = dict(entry, referenceTo=targets)
            entry["polymorphicForeignKey"] = len(targets) > 1
        fields.append(entry)
    trimmed = dict(describe, fields=fields)
    trimmed["recordTypeInfos"] = [
        r for r in describe["recordTypeInfos"] if r.get("master")
    ]
    for record_type in trimmed["recordTypeInfos"]:
        record_type["defaultRecordTypeMapping"] = True
    trimmed.setdefault("associateEntityType", None)
    trimmed.setdefault("associateParentEntity", None)
    trimmed.setdefault("sobjectDescribeOption", "FULL")
    return trimmed


def keep_child(parent: str, rel: dict[str, Any], objects: dict[str, Any]) -> bool:
    """Whether a child relationship can be answered inside the object set."""
    child_name = rel["childSObject"]
    if child_name not in objects:
        return False
    if child_name in VIRTUAL and parent not in ACTIVITY_VIEW_PARENTS:
        return False
    field = next(
        (f for f in objects[child_name]["fields"] if f["name"] == rel["field"]), None
    )
    return field is not None and parent in field["referenceTo"]


def template_urls(value: Any) -> Any:
    """Replace the captured API version and host with placeholders."""
    if isinstance(value, str):
        text = VERSION_IN_URL.sub("/services/data/v{version}/", value)
        return text.replace(CAPTURED_HOST, "{instance_url}")
    if isinstance(value, list):
        return [template_urls(item) for item in value]
    if isinstance(value, dict):
        return {key: template_urls(item) for key, item in value.items()}
    return value


def global_entry(
    describe: dict[str, Any], captured: dict[str, Any] | None
) -> dict[str, Any]:
    """The 28-key describe-global entry of one object."""
    entry = global_template(captured if captured is not None else describe)
    # Global describe captures answer keyPrefix null for a few objects (the org
    # hid them); the emulator needs one prefix per object, the describe's.
    entry["keyPrefix"] = describe["keyPrefix"]
    for key in ("sobject", "describe", "rowTemplate"):
        entry["urls"][key] = describe["urls"][key]
    return entry


# Relationship lists for parents that only exist in this script.
def add_built_children(objects: dict[str, Any]) -> None:
    """Relationships onto built objects that the captured parents lack."""
    existing = {
        (parent, rel["childSObject"], rel["field"])
        for parent, describe in objects.items()
        for rel in describe["childRelationships"]
    }
    wanted = [
        ("Contact", child_relationship("Opportunities", "Opportunity", "ContactId")),
        (
            "Case",
            child_relationship("CaseComments", "CaseComment", "ParentId", cascade=True),
        ),
    ]
    for parent, rel in wanted:
        if (parent, rel["childSObject"], rel["field"]) not in existing:
            objects[parent]["childRelationships"].append(rel)


def derive(source: Path) -> list[dict[str, Any]]:
    """All describes of the object set, trimmed, templated and cross-checked."""
    captured_global = {
        entry["name"]: entry
        for entry in json.loads((source / "Global.json").read_text())["sobjects"]
    }
    objects: dict[str, dict[str, Any]] = {}
    for name in CAPTURED:
        objects[name] = trim_captured(json.loads((source / f"{name}.json").read_text()))
    objects["Task"] = build_task()
    objects["Note"] = build_note()
    objects["CaseComment"] = build_case_comment()
    objects["User"] = build_user()
    objects["Group"] = build_group()
    objects["QueueSobject"] = build_queue_sobject()
    objects["OpenActivity"] = build_activity_view(
        "OpenActivity", "Open Activity", "Open Activities"
    )
    objects["ActivityHistory"] = build_activity_view(
        "ActivityHistory", "Activity History", "Activity Histories"
    )

    add_built_children(objects)
    for name, describe in objects.items():
        describe["childRelationships"] = [
            rel
            for rel in describe["childRelationships"]
            if keep_child(name, rel, objects)
        ]

    result = []
    for name in sorted(objects):
        describe = template_urls(objects[name])
        extra = dict(describe.pop("x-sfmagic", {}))
        extra["global"] = global_entry(
            describe, template_urls(captured_global.get(name))
        )
        describe["x-sfmagic"] = extra
        check(describe)
        result.append(describe)
    return result


def check(describe: dict[str, Any]) -> None:
    """Fail loudly on shapes the emulator cannot use."""
    for entry in describe["fields"]:
        if len(entry) != 57:
            raise ValueError(f"{describe['name']}.{entry['name']}: {len(entry)} keys")
    if len(describe["x-sfmagic"]["global"]) != len(GLOBAL_KEYS):
        raise ValueError(f"{describe['name']}: bad global entry")


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    output = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT
    describes = derive(source)
    output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(describes, indent=1, sort_keys=True, ensure_ascii=False)
    output.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(describes)} sObjects to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
