"""Fields Salesforce computes on every write, and auto-numbers.

``DerivedFields.apply`` is called by ``dml.py`` with the record as it will be
after a create or update; it sets what the server maintains on top of the
payload: full names (Contact, Lead, User: ``FirstName LastName``), Case
(IsClosed, ClosedDate, contact details), Task (IsClosed, IsHighPriority,
CompletedDateTime, TaskSubtype, AccountId), Event (start/end/duration kept
consistent, ActivityDate, AccountId), Opportunity (IsClosed, IsWon, forecast
category, probability by stage, expected revenue, fiscal year and quarter), Group
(DeveloperName) and User (CommunityNickname). ``assign_autonumbers`` numbers
auto-number fields (CaseNumber, custom ``Name`` fields) from a counter in
``_meta``.

Known limits: stage and status metadata are the defaults of a new org (the
sales process, closed case and task statuses are fixed here); the fiscal year
is the calendar year; LastActivityDate is not maintained.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.schema import FieldDef, Schema, SObjectDef
from sfmagic.emulator.store import Store, quote
from sfmagic.emulator.values import parse_stored_datetime, stored_datetime

__all__ = ["DerivedFields", "audit_stamp"]

CLOSED_CASE_STATUSES = frozenset({"Closed"})
CLOSED_TASK_STATUSES = frozenset({"Completed"})
# Default sales process: stage -> (probability, forecast category, closed, won).
OPPORTUNITY_STAGES: dict[str, tuple[float, str, bool, bool]] = {
    "Prospecting": (10.0, "Pipeline", False, False),
    "Qualification": (10.0, "Pipeline", False, False),
    "Needs Analysis": (20.0, "Pipeline", False, False),
    "Value Proposition": (50.0, "Pipeline", False, False),
    "Id. Decision Makers": (60.0, "Pipeline", False, False),
    "Perception Analysis": (70.0, "Pipeline", False, False),
    "Proposal/Price Quote": (75.0, "Pipeline", False, False),
    "Negotiation/Review": (90.0, "Pipeline", False, False),
    "Closed Won": (100.0, "Closed", True, True),
    "Closed Lost": (0.0, "Omitted", True, False),
}
FORECAST_CATEGORIES = {
    "Omitted": "Omitted",
    "Pipeline": "Pipeline",
    "Best Case": "BestCase",
    "Commit": "Forecast",
    "Closed": "Closed",
}
Put = Callable[[str, Any], None]
AUTONUMBER_TOKEN = re.compile(r"\{(0+)\}")
DEFAULT_AUTONUMBER_FORMAT = "{00000000}"
STANDARD_AUTONUMBER_START = 1000


def audit_stamp(now: datetime, previous: str | None = None) -> str:
    """A whole-second audit datetime, later than ``previous`` by at least 1s."""
    moment = now.astimezone(UTC).replace(microsecond=0)
    if previous:
        floor = parse_stored_datetime(previous).replace(microsecond=0)
        moment = max(moment, floor + timedelta(seconds=1))
    return stored_datetime(moment)


class DerivedFields:
    """The computed fields of one org's records (see the module docstring)."""

    def __init__(self, store: Store, schema: Schema) -> None:
        self.store = store
        self.schema = schema
        self._rules: dict[
            str, Callable[[dict[str, Any], Mapping[str, Any], Put, datetime], None]
        ] = {
            "Case": self._derive_case,
            "Task": self._derive_task,
            "Event": self._derive_event,
            "Opportunity": self._derive_opportunity,
            "Group": self._derive_group,
            "User": self._derive_user,
        }

    def assign_autonumbers(self, definition: SObjectDef, row: dict[str, Any]) -> None:
        formats = definition.extra.get("autonumber") or {}
        for field in definition.fields.values():
            if not field.raw.get("autoNumber") or field.storage is None:
                continue
            configured = formats.get(field.name)
            fmt = str(configured or DEFAULT_AUTONUMBER_FORMAT)
            # Salesforce starts standard auto-numbers (CaseNumber) at 1000.
            first = 1 if configured else STANDARD_AUTONUMBER_START
            row[field.name] = self._next_number(definition, field, fmt, first)

    def _next_number(
        self, definition: SObjectDef, field: FieldDef, fmt: str, first: int
    ) -> str:
        key = f"autonumber.{definition.name}.{field.name}"
        saved = self.store.meta_get(key)
        if saved is None:
            column = quote(field.name)
            rows = self.store.execute(
                f"SELECT {column} FROM {quote(definition.name)} "
                f"WHERE {column} IS NOT NULL"
            )
            numbers = [int(m) for r in rows for m in re.findall(r"\d+", str(r[0]))[-1:]]
            saved = str(max(numbers, default=first - 1))
        number = int(saved)
        while True:
            number += 1
            text = _format_number(fmt, number)
            if not self.store.find_ids(
                definition.name, field.name, text, include_deleted=True
            ):
                break
        self.store.meta_set(key, str(number))
        return text

    def apply(
        self,
        definition: SObjectDef,
        row: dict[str, Any],
        changes: dict[str, Any],
        now: datetime,
        *,
        old: Mapping[str, Any] | None = None,
    ) -> None:
        """Set fields Salesforce computes; ``row`` is the record after the write."""

        def put(name: str, value: Any) -> None:
            if definition.field(name) is not None and row.get(name) != value:
                row[name] = value
                changes[name] = value

        before = old or {}
        name_field = definition.field("Name")
        if (
            name_field is not None
            and not name_field.createable
            and definition.field("LastName") is not None
        ):
            parts = [row.get("FirstName"), row.get("LastName")]
            put("Name", " ".join(str(p) for p in parts if p) or None)
        rule = self._rules.get(definition.name)
        if rule is not None:
            rule(row, before, put, now)

    def _derive_case(
        self, row: dict[str, Any], old: Mapping[str, Any], put: Put, now: datetime
    ) -> None:
        closed = row.get("Status") in CLOSED_CASE_STATUSES
        put("IsClosed", int(closed))
        if closed and not old.get("IsClosed"):
            put("ClosedDate", audit_stamp(now))
        elif not closed:
            put("ClosedDate", None)
        if row.get("ContactId") != old.get("ContactId"):
            contact = (
                self.store.get("Contact", row["ContactId"], include_deleted=True)
                if row.get("ContactId")
                else None
            ) or {}
            for case_field, contact_field in (
                ("ContactPhone", "Phone"),
                ("ContactMobile", "MobilePhone"),
                ("ContactEmail", "Email"),
                ("ContactFax", "Fax"),
            ):
                put(case_field, contact.get(contact_field))

    def _derive_task(
        self, row: dict[str, Any], old: Mapping[str, Any], put: Put, now: datetime
    ) -> None:
        closed = row.get("Status") in CLOSED_TASK_STATUSES
        put("IsClosed", int(closed))
        put("IsHighPriority", int(row.get("Priority") == "High"))
        if closed and not old.get("IsClosed"):
            put("CompletedDateTime", audit_stamp(now))
        elif not closed:
            put("CompletedDateTime", None)
        if not row.get("TaskSubtype"):
            put("TaskSubtype", "Task")
        put("AccountId", self._activity_account(row))

    def _derive_event(
        self, row: dict[str, Any], old: Mapping[str, Any], put: Put, now: datetime
    ) -> None:
        put("AccountId", self._activity_account(row))
        start_text = row.get("StartDateTime") or row.get("ActivityDateTime")
        if row.get("StartDateTime") != old.get("StartDateTime"):
            start_text = row.get("StartDateTime") or start_text
        elif row.get("ActivityDateTime") != old.get("ActivityDateTime"):
            start_text = row.get("ActivityDateTime") or start_text
        if row.get("IsAllDayEvent") and row.get("ActivityDate") and not start_text:
            start_text = f"{row['ActivityDate']}T00:00:00.000Z"
        if not start_text:
            return
        start = parse_stored_datetime(start_text)
        duration = row.get("DurationInMinutes")
        end_text = row.get("EndDateTime")
        duration_changed = duration != old.get("DurationInMinutes")
        if duration is not None and (duration_changed or not end_text):
            end = _plus_minutes(start, int(duration))
        elif end_text:
            end = parse_stored_datetime(end_text)
            duration = int((end - start).total_seconds() // 60)
        else:
            raise ApiError(
                400,
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [DurationInMinutes]",
                ["DurationInMinutes"],
            )
        if end < start:
            raise ApiError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "End Date Time: End time can't be before start time",
                ["EndDateTime"],
            )
        put("StartDateTime", stored_datetime(start))
        put("ActivityDateTime", stored_datetime(start))
        put("ActivityDate", start.date().isoformat())
        put("EndDateTime", stored_datetime(end))
        put("EndDate", end.date().isoformat())
        put("DurationInMinutes", duration)

    def _derive_opportunity(
        self, row: dict[str, Any], old: Mapping[str, Any], put: Put, now: datetime
    ) -> None:
        stage = row.get("StageName")
        probability, category, closed, won = OPPORTUNITY_STAGES.get(
            str(stage), (row.get("Probability") or 0.0, "Pipeline", False, False)
        )
        stage_changed = stage != old.get("StageName")
        if stage_changed:
            if row.get("Probability") == old.get("Probability"):
                put("Probability", probability)
            if row.get("ForecastCategoryName") == old.get("ForecastCategoryName"):
                put("ForecastCategoryName", _category_name(category))
            put("LastStageChangeDate", audit_stamp(now))
        put("IsClosed", int(closed))
        put("IsWon", int(won))
        name = row.get("ForecastCategoryName")
        put("ForecastCategory", FORECAST_CATEGORIES.get(str(name), category))
        amount, chance = row.get("Amount"), row.get("Probability")
        expected = None if amount is None else amount * (chance or 0.0) / 100.0
        put("ExpectedRevenue", expected)
        close_date = row.get("CloseDate")
        if close_date:
            day = date.fromisoformat(close_date)
            quarter = (day.month - 1) // 3 + 1
            put("FiscalYear", day.year)
            put("FiscalQuarter", quarter)
            put("Fiscal", f"{day.year} {quarter}")

    def _derive_group(
        self, row: dict[str, Any], old: Mapping[str, Any], put: Put, now: datetime
    ) -> None:
        if not row.get("DeveloperName") and row.get("Name"):
            put("DeveloperName", re.sub(r"\W+", "_", str(row["Name"])).strip("_"))

    def _derive_user(
        self, row: dict[str, Any], old: Mapping[str, Any], put: Put, now: datetime
    ) -> None:
        if not row.get("CommunityNickname") and row.get("Username"):
            nickname = str(row["Username"]).split("@")[0][:30]
            put("CommunityNickname", f"{nickname}{str(row['Id'])[-6:]}")

    def _activity_account(self, row: Mapping[str, Any]) -> str | None:
        """The account a task or event belongs to, from What, else from Who."""
        what, who = row.get("WhatId"), row.get("WhoId")
        if what and str(what).startswith(self._prefix("Account")):
            return str(what)
        for parent_id in (what, who):
            if not parent_id:
                continue
            parent = self.schema.by_key_prefix(str(parent_id)[:3])
            if parent is None or parent.field("AccountId") is None:
                continue
            found = self.store.get(parent.name, str(parent_id), include_deleted=True)
            if found and found.get("AccountId"):
                return str(found["AccountId"])
        return None

    def _prefix(self, sobject: str) -> str:
        found = self.schema.get(sobject)
        return found.key_prefix if found else "\0"


def _format_number(fmt: str, number: int) -> str:
    """An auto-number's text: ``INV-{0000}`` and 42 give ``INV-0042``."""

    def digits(match: re.Match[str]) -> str:
        return str(number).zfill(len(match.group(1)))

    return AUTONUMBER_TOKEN.sub(digits, fmt)


def _category_name(category: str) -> str:
    return {"Omitted": "Omitted", "Closed": "Closed"}.get(category, "Pipeline")


def _plus_minutes(start: datetime, minutes: int) -> datetime:
    try:
        return start + timedelta(minutes=minutes)
    except OverflowError:
        raise ApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "Duration: the event would end after the last supported date",
            ["DurationInMinutes"],
        ) from None
