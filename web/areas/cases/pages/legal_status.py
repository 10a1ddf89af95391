"""A case's protection-status history and its consents, read from its timeline (the read model's
history of published events, so the page shows them as of any moment the replay is asked for):
each status from its date (the intake's, then each decision's), with a typing mistake
corrected where it was made; and, per purpose, the consent given and whether it was withdrawn."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from projections.case_list import HistoryEntry

_INTAKE = "it.lgnet.case.intake_recorded."
_STATUS_CHANGED = "it.lgnet.case.status_changed."
_CORRECTED = "it.lgnet.case.intake_corrected."
_CONSENT_GIVEN = "it.lgnet.case.consent_given."
_CONSENT_WITHDRAWN = "it.lgnet.case.consent_withdrawn."


@dataclass(frozen=True)
class HeldStatus:
    since: date
    status: str
    permit_expires_on: date | None
    by_decision: bool
    """False for the status recorded at intake."""


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    given_on: date
    withdrawn_on: date | None = None
    organisation_id: str | None = None
    """For sharing with partners since consents name them: the organisation; None for a
    consent to the purpose as a whole (every other purpose, and a consent to share with
    partners given at intake or before, which covers no registered organisation)."""


def status_history(history: list[HistoryEntry]) -> list[HeldStatus]:
    """The statuses the person held, oldest first."""
    held: list[HeldStatus] = []
    for entry in history:
        data = entry.data
        if entry.type.startswith(_INTAKE):
            held.append(HeldStatus(date.fromisoformat(data["intake_date"]),
                                   data["protection_status"],
                                   _day(data.get("permit_expires_on")), by_decision=False))
        elif entry.type.startswith(_STATUS_CHANGED):
            held.append(HeldStatus(date.fromisoformat(data["decided_on"]),
                                   data["protection_status"],
                                   _day(data.get("permit_expires_on")), by_decision=True))
        elif entry.type.startswith(_CORRECTED) and held:
            for change in data["changes"]:
                if change["field"] == "protection_status":
                    held[-1] = replace(held[-1], status=change["after"])
                elif change["field"] == "permit_expires_on":
                    held[-1] = replace(held[-1], permit_expires_on=_day(change["after"]))
    return held


def consents_of(history: list[HistoryEntry]) -> list[ConsentState]:
    """Each purpose (and, for sharing with partners, each organisation) the person ever
    consented to, with its latest consent and withdrawal. A v1 consent or withdrawal names no
    organisation: it is the purpose's as a whole."""
    consents: dict[tuple[str, str | None], ConsentState] = {}
    for entry in history:
        data = entry.data
        if entry.type.startswith(_INTAKE):
            for consent in data.get("consents") or ():
                consents[consent["purpose"], None] = ConsentState(
                    consent["purpose"], date.fromisoformat(consent["given_on"]))
        elif entry.type.startswith(_CONSENT_GIVEN):
            for organisation in data.get("organisation_ids") or [None]:
                consents[data["purpose"], organisation] = ConsentState(
                    data["purpose"], date.fromisoformat(data["given_on"]),
                    organisation_id=organisation)
        elif entry.type.startswith(_CONSENT_WITHDRAWN):
            for organisation in data.get("organisation_ids") or [None]:
                key = (data["purpose"], organisation)
                if key in consents:
                    consents[key] = replace(
                        consents[key], withdrawn_on=date.fromisoformat(data["withdrawn_on"]))
    return sorted(consents.values(),
                  key=lambda consent: (consent.purpose, consent.organisation_id or ""))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
