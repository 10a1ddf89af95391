"""A case's history in words, as the case page (and a handover) tells it: each event, whatever
area recorded it, with its name, who recorded it, and what it recorded in sentences.

The case's own events (intake, erasure, closure, reopening, correction, transfer) and those of
the other areas (referrals, placements, activities) are told here, in the words of
web.kit.vocabulary: an event is recognised by the aggregate its CloudEvents type names, and
then by its fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.cases.rules import CorrectableField
from domain.privacy import LegalBasis
from domain.referrals.rules import NOT_RECORDED, DestinationKind
from projections.case_list import HistoryEntry
from web.kit.i18n import N_, Translator
from web.kit.labels import Labels
from web.kit.vocabulary.activities import ACTIVITY_KINDS, hours_in_words
from web.kit.vocabulary.case_lifecycle import CASE_OUTCOMES, CORRECTABLE_FIELDS
from web.kit.vocabulary.deliveries import DELIVERY_KINDS, VOID_REASONS, quantity_in_words
from web.kit.vocabulary.households import DEPARTURE_REASONS, RELATIONSHIPS
from web.kit.vocabulary.housing import MOVE_OUT_OUTCOMES
from web.kit.vocabulary.notes import CONTACT_KINDS
from web.kit.vocabulary.plans import plan_details
from web.kit.vocabulary.referrals import (
    CITY_SERVICES,
    DECLINE_REASONS,
    REFERRAL_LEGAL_BASES,
    URGENCIES,
)
from web.services import WebServices


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a case's history, in words."""

    time: datetime
    event: str
    actor: str
    details: list[str]


TextReader = Callable[[UUID], str | None]
"""Reads a free text kept in the vault by its id (None: unknown, erased)."""

# Where events carry a free text's reference since issue 16, and the name the text had when
# events carried it: the timeline reads the text from the vault and tells it as before.
_TEXT_REFERENCES = {"note_id": "note", "outcome_note_id": "outcome_note", "reason_id": "reason"}


def timeline_of(
    history: list[HistoryEntry], translator: Translator, texts: TextReader | None = None
) -> list[TimelineEntry]:
    """The case's history in words. `texts` reads the free texts (notes, outcomes, reasons)
    from the vault: given only for the staff who may read them; without it the timeline tells
    the events without their texts."""
    labels = Labels(translator)
    return [
        TimelineEntry(
            time=entry.time,
            event=labels.event_type(entry.type),
            actor=_actor_in_words(entry, translator, labels),
            details=_details_of(replace(entry, data=_with_texts(entry.data, texts)),
                                translator, labels),
        )
        for entry in history
    ]


def texts_of(services: WebServices, case_id: UUID, may_read: bool) -> TextReader | None:
    """What reads the case's free texts for the timeline: for the city's staff (`may_read`)
    only. Blocking (the vault)."""
    if not may_read:
        return None
    return lambda text_id: services.cases.case_text(case_id, text_id)


def _with_texts(data: dict[str, Any], texts: TextReader | None) -> dict[str, Any]:
    """The event's data with its texts read from the vault under their former names."""
    if not any(reference in data for reference in _TEXT_REFERENCES):
        return data
    told = dict(data)
    for reference, name in _TEXT_REFERENCES.items():
        if reference not in data:
            continue
        text = texts(UUID(str(data[reference]))) if texts and data[reference] else None
        if text or name == "outcome_note":  # a completion is told by its outcome_note
            told[name] = text
    return told


def _actor_in_words(entry: HistoryEntry, translator: Translator, labels: Labels) -> str:
    if entry.actor_city:
        return translator.gettext(
            N_("By: %(role)s, %(city)s"),
            role=labels.role(entry.actor_role), city=labels.city(entry.actor_city),
        )
    return translator.gettext(N_("By: %(role)s"), role=labels.role(entry.actor_role))


def _details_of(entry: HistoryEntry, translator: Translator, labels: Labels) -> list[str]:
    aggregate = entry.type.split(".")[2] if entry.type.count(".") >= 3 else ""
    describe = _AREA_DETAILS.get(aggregate)
    if describe is not None:
        return describe(entry.data, translator, labels)
    status_or_consent = _status_and_consent_details(entry.data, translator, labels)
    if status_or_consent is not None:
        return status_or_consent
    return [*_intake_details(entry.data, translator, labels),
            *_lifecycle_details(entry.data, translator, labels)]


# --- the case's own events -----------------------------------------------------------------------


def _intake_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What an intake or erasure recorded beyond the case's current facts: the reception
    situation, the information notice and consents, the erasure request."""
    details = []
    centre = data.get("reception_centre_kind")
    if data.get("left_reception_on") and centre:
        details.append(translator.gettext(
            N_("Left reception on %(date)s (%(centre)s)."),
            date=_date(data["left_reception_on"], translator),
            centre=labels.reception_centre_kind(centre),
        ))
    elif data.get("planned_exit_on") and centre:
        details.append(translator.gettext(
            N_("Leaving reception (%(centre)s) on %(date)s."),
            date=_date(data["planned_exit_on"], translator),
            centre=labels.reception_centre_kind(centre),
        ))
    elif centre and "reception_situation" in data:
        details.append(translator.gettext(
            N_("Hosted in reception (%(centre)s)."), centre=labels.reception_centre_kind(centre)))
    if data.get("request_reference") and data.get("requested_on"):
        details.append(translator.gettext(
            N_("Erasure request %(reference)s of %(date)s."),
            reference=data["request_reference"],
            date=_date(data["requested_on"], translator),
        ))
    if data.get("information_notice_given_on"):
        details.append(translator.gettext(
            N_("Information notice (GDPR art. 13) given on %(date)s in %(language)s."),
            date=_date(data["information_notice_given_on"], translator),
            language=translator.language_name(data.get("information_notice_language") or ""),
        ))
    for consent in data.get("consents") or ():
        details.append(translator.gettext(
            N_("Consent given on %(date)s to: %(purpose)s."),
            date=_date(consent["given_on"], translator), purpose=labels.purpose(consent["purpose"]),
        ))
    return details


def _status_and_consent_details(
    data: dict[str, Any], translator: Translator, labels: Labels,
) -> list[str] | None:
    """What a status decision or a consent recorded; None for the other events."""
    if "decided_on" in data and "protection_status" in data:
        status = labels.protection_status(data["protection_status"])
        expiry = data.get("permit_expires_on")
        return [translator.gettext(
            N_("From %(date)s: %(status)s, permit expiring on %(expiry)s."),
            date=_date(data["decided_on"], translator), status=status,
            expiry=_date(expiry, translator),
        ) if expiry else translator.gettext(
            N_("From %(date)s: %(status)s."), date=_date(data["decided_on"], translator),
            status=status,
        )]
    if "purpose" in data and "given_on" in data:
        return [translator.gettext(
            N_("Consent given on %(date)s to: %(purpose)s."),
            date=_date(data["given_on"], translator), purpose=labels.purpose(data["purpose"]),
        )]
    if "purpose" in data and "withdrawn_on" in data:
        return [translator.gettext(
            N_("Consent to %(purpose)s withdrawn on %(date)s."),
            date=_date(data["withdrawn_on"], translator), purpose=labels.purpose(data["purpose"]),
        )]
    return None


def _lifecycle_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What a closure, reopening, correction or transfer recorded. The events are told apart by
    their fields: each of the four has one the others lack."""
    if "outcome" in data and "closed_on" in data:
        return [
            translator.gettext(
                N_("Closed on %(date)s with the outcome: %(outcome)s."),
                date=_date(data["closed_on"], translator),
                outcome=labels.label(CASE_OUTCOMES, data["outcome"]),
            ),
            *_reason(data, translator),
        ]
    if "reopened_on" in data:
        return [
            translator.gettext(
                N_("Reopened on %(date)s."), date=_date(data["reopened_on"], translator)
            ),
            *_reason(data, translator),
        ]
    if "changes" in data and ("reason" in data or "reason_id" in data):
        return [*(_change(change, translator, labels) for change in data["changes"]),
                *_reason(data, translator)]
    if "from_city" in data and "transferred_on" in data:
        return [translator.gettext(
            N_("Transferred from %(from_city)s to %(to_city)s on %(date)s."),
            from_city=labels.city(data["from_city"]), to_city=labels.city(data["city"]),
            date=_date(data["transferred_on"], translator),
        )]
    return []


def _date(value: str, translator: Translator) -> str:
    return translator.date(date.fromisoformat(value))


def _reason(data: dict[str, Any], translator: Translator) -> list[str]:
    """The reason given, when the reader may read it (it is in the vault since issue 16) and
    it is still there (not erased)."""
    if not data.get("reason"):
        return []
    return [translator.gettext(N_("Reason given: %(reason)s"), reason=data["reason"])]


def _change(change: dict[str, Any], translator: Translator, labels: Labels) -> str:
    field = change["field"]
    return translator.gettext(
        N_("%(field)s: %(before)s → %(after)s (corrects event %(event)s)."),
        field=labels.label(CORRECTABLE_FIELDS, field),
        before=_fact_in_words(field, change["before"], translator, labels),
        after=_fact_in_words(field, change["after"], translator, labels),
        event=change["corrects"],
    )


def _fact_in_words(field: str, value: Any, translator: Translator, labels: Labels) -> str:
    """A correctable fact's value as the case page shows it."""
    match field:
        case CorrectableField.PROTECTION_STATUS:
            return labels.protection_status(str(value))
        case CorrectableField.PERMIT_EXPIRES_ON:
            if not value:
                return translator.gettext(N_("None recorded"))
            return _date(str(value), translator)
        case CorrectableField.SEX:
            return labels.sex(str(value))
        case CorrectableField.CITIZENSHIP:
            if not value:
                return translator.gettext(N_("No citizenship"))
            return translator.country(str(value))
        case CorrectableField.VULNERABILITIES:
            if not value:
                return translator.gettext(N_("None recorded"))
            return "; ".join(labels.vulnerability(v) for v in value)
    return str(value)


# --- the other areas' events ---------------------------------------------------------------------


def _destination_in_words(
    data: Mapping[str, Any], translator: Translator, labels: Labels
) -> str:
    """Where a referral goes, from a row or an event's data (`destination_kind`, `service`,
    `partner_name`, `to_city`)."""
    match data.get("destination_kind"):
        case DestinationKind.CITY_SERVICE:
            return labels.label(CITY_SERVICES, str(data.get("service")))
        case DestinationKind.PARTNER:
            return str(data.get("partner_name"))
        case DestinationKind.TRANSFER:
            return translator.gettext(
                N_("Transfer to %(city)s"), city=labels.city(str(data.get("to_city")))
            )
    return ""


def _referral_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What a referral's event recorded. The event is told by its fields: only a request names
    a destination kind, only a completion an outcome, and of the two with a reason only a
    decline names the target city."""
    details: list[str] = []
    if "destination_kind" in data:
        details.append(translator.gettext(
            N_("Referred to: %(destination)s. Urgency: %(urgency)s; answer due by %(due)s."),
            destination=_destination_in_words(data, translator, labels),
            urgency=labels.label(URGENCIES, data["urgency"]),
            due=translator.datetime(datetime.fromisoformat(data["due_at"])),
        ))
        basis = data.get("legal_basis")
        if basis == NOT_RECORDED:
            details.append(translator.gettext(
                N_("Referred without the person's consent, on a coordinator's override: "
                   "%(reason)s"),
                reason=data.get("consent_override_reason") or "",
            ))
        elif (basis in (LegalBasis.VITAL_INTERESTS, LegalBasis.LEGAL_OBLIGATION)
              or (basis == LegalBasis.PUBLIC_TASK
                  and data.get("destination_kind") == DestinationKind.PARTNER)):
            details.append(translator.gettext(
                N_("Shared without the person's consent, on another legal basis: %(basis)s."),
                basis=labels.label(REFERRAL_LEGAL_BASES, str(basis)),
            ))
    elif "outcome_note" in data:
        if data["outcome_note"]:
            details.append(translator.gettext(
                N_("Outcome: %(note)s"), note=data["outcome_note"]))
    elif "reason" in data and "to_city" in data:
        details.append(translator.gettext(
            N_("Reason: %(reason)s"), reason=labels.label(DECLINE_REASONS, data["reason"])))
    elif "reason" in data:
        details.append(translator.gettext(N_("Reason: %(reason)s"), reason=data["reason"]))
    elif data.get("to_city"):
        details.append(translator.gettext(
            N_("%(city)s accepted the case."), city=labels.city(data["to_city"])))
    if data.get("note"):
        details.append(translator.gettext(N_("Note: %(note)s"), note=data["note"]))
    return details


def _housing_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What a placement's (or a shelter's) event recorded."""
    details = []
    if data.get("shelter_name") and data.get("bed"):
        details.append(translator.gettext(
            N_("%(shelter)s (%(area)s), bed %(bed)s."),
            shelter=data["shelter_name"], area=data.get("address_area", ""), bed=data["bed"],
        ))
    elif data.get("bed") and "housing_path_id" in data:
        details.append(translator.gettext(N_("Bed %(bed)s."), bed=data["bed"]))
    if data.get("waitlisted_at") and data.get("priority_group"):
        details.append(translator.gettext(
            N_("Priority group: %(group)s."), group=labels.priority_group(data["priority_group"])
        ))
    if data.get("moved_in_on"):
        details.append(translator.gettext(
            N_("Moved in on %(date)s."),
            date=translator.date(date.fromisoformat(data["moved_in_on"]))))
    if data.get("moved_out_on"):
        details.append(translator.gettext(
            N_("Moved out on %(date)s: %(outcome)s."),
            date=translator.date(date.fromisoformat(data["moved_out_on"])),
            outcome=labels.label(MOVE_OUT_OUTCOMES, data.get("outcome", "")),
        ))
    if data.get("note"):
        details.append(translator.gettext(N_("Note: %(note)s"), note=data["note"]))
    if data.get("reason"):
        details.append(translator.gettext(N_("Reason: %(reason)s"), reason=data["reason"]))
    return details


def _activity_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What an enrolment or a session recorded."""
    sub_action = str(data.get("sub_action", ""))
    where = translator.gettext(
        N_("Sub-Action %(number)s – %(name)s."), number=sub_action,
        name=labels.sub_action(sub_action),
    )
    if "held_on" in data and "hours" in data:
        return [where, translator.gettext(
            N_("Session %(number)s, on %(date)s: %(hours)s hours."),
            number=data.get("session_number", ""),
            date=translator.date(date.fromisoformat(data["held_on"])),
            hours=hours_in_words(data["hours"], translator),
        )]
    if "kind" in data:
        return [where, labels.label(ACTIVITY_KINDS, str(data["kind"]))]
    return [where]


def _note_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What a note of a contact recorded (its text is in the vault, never here)."""
    details = [translator.gettext(
        N_("%(kind)s on %(date)s, %(minutes)s minutes, by %(author)s."),
        kind=labels.label(CONTACT_KINDS, str(data.get("kind", ""))),
        date=_date(str(data.get("contacted_on", "")), translator),
        minutes=data.get("duration_minutes", ""), author=data.get("author", ""))]
    if data.get("supersedes"):
        details.append(translator.gettext(N_("It corrects an earlier note, which is kept.")))
    if data.get("follow_ups_done"):
        details.append(translator.gettext(N_("It was the follow-up of an earlier contact.")))
    if data.get("follow_up_on"):
        details.append(translator.gettext(
            N_("Next follow-up: %(date)s."), date=_date(str(data["follow_up_on"]), translator)))
    return details


def _delivery_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What a delivery recorded (or why it was voided)."""
    if "reason" in data:
        return [labels.label(VOID_REASONS, str(data["reason"]))]
    return [translator.gettext(
        N_("%(kind)s: %(quantity)s on %(date)s, Sub-Action %(number)s."),
        kind=labels.label(DELIVERY_KINDS, str(data.get("kind", ""))),
        quantity=quantity_in_words(Decimal(str(data.get("quantity", "0"))),
                                   str(data.get("unit", "")), translator),
        date=translator.date(date.fromisoformat(data["delivered_on"])),
        number=data.get("sub_action", ""),
    )] if "delivered_on" in data else []


# The events of the other areas, by the aggregate named in the CloudEvents type.
def _household_details(
    data: dict[str, Any], translator: Translator, labels: Labels
) -> list[str]:
    """A member's join (relationship and date), departure (date and reason) or becoming head."""
    if "joined_on" in data:
        return [translator.gettext(
            N_("%(relationship)s, from %(date)s."),
            relationship=labels.label(RELATIONSHIPS, data["relationship"]),
            date=_date(data["joined_on"], translator))]
    if "left_on" in data:
        return [translator.gettext(
            N_("Left on %(date)s: %(reason)s."), date=_date(data["left_on"], translator),
            reason=labels.label(DEPARTURE_REASONS, data["reason"]))]
    if "changed_on" in data:
        return [translator.gettext(N_("From %(date)s."),
                                   date=_date(data["changed_on"], translator))]
    return []


def _document_details(
    data: dict[str, Any], translator: Translator, labels: Labels,
) -> list[str]:
    """What a file attached to the case is: its kind and, when it has one, its expiry."""
    kind = labels.document_kind(data.get("kind") or "")
    if data.get("expires_on"):
        return [translator.gettext(N_("%(kind)s, expiring on %(date)s."), kind=kind,
                                   date=_date(data["expires_on"], translator))]
    return [f"{kind}."]


_AREA_DETAILS: dict[str, Callable[[dict[str, Any], Translator, Labels], list[str]]] = {
    "document": _document_details,
    "household": _household_details,
    "referral": _referral_details,
    "placement": _housing_details,
    "shelter": _housing_details,
    "activity": _activity_details,
    "plan": plan_details,
    "case_note": _note_details,
    "delivery": _delivery_details,
}
