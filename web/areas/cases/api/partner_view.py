"""The cases as a partner system sees them over HTTP: derived from the very partner copies its
NATS feed carries (issue 18 item 12), never from the read models, which know more.

Each event of the record is copied for partners by `events.partner.partner_message`, the
function the partner feed uses (infra.pipeline.partner_feed), onto the subject
`partner.<city>.<aggregate>.<event>`; a partner reads the copies whose city and kind its
agreement covers. Here the same function makes the same copies from the record's published
events (services.audit_trail), and the case a partner reads is what those copies say:

- a city's list holds the cases whose intake copy came on that city's subject (a case
  transferred in, whose intake another city recorded, is not among them);
- a case's facts are its intake copy's, as they were at the intake (partners receive no status
  decisions, closures or corrections): `status` and every field no copy carries are null;
- its history is the copies themselves: the partner contract's type and body (`data`), in order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.access import AccessDenied, Principal
from events.cloudevents import ACTOR_CITY, ACTOR_KIND, ACTOR_ROLE, POSITION
from events.partner import PARTNER_KINDS, PartnerMessage, partner_message
from web.areas.cases.api.models import ActorOut, CaseDetail, CaseList, HistoryEntryOut
from web.areas.cases.requests.filters import CaseListQuery
from web.services import BrowsedEvent, EventFilters, WebServices

_INTAKE_KIND = "case.intake_recorded"
_PAGE = 1000
# The filters a partner's list can apply to what its copies say; the others need what no copy
# carries (the status, from closures) or what the minimised view leaves out.
_UNANSWERABLE_FILTERS = ("status", "vulnerability", "outcome", "eligible_for", "guardian",
                         "holder")


@dataclass(frozen=True)
class PartnerCopy:
    """One partner copy, as the feed publishes it, and where it came from in the record."""

    message: PartnerMessage
    event: BrowsedEvent

    @property
    def data(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.message.body)
        return body

    @property
    def kind(self) -> str:
        """`<aggregate>.<event>`, as agreements name kinds (from the subject)."""
        return ".".join(self.message.subject.split(".")[2:4])

    @property
    def city(self) -> str:
        return self.message.subject.split(".")[1]


def _headers_of(event: BrowsedEvent) -> dict[str, str]:
    """The CloudEvents headers the relay published the event with (those a copy keeps)."""
    headers = {
        "ce-specversion": "1.0", "ce-id": event.id, "ce-source": event.source,
        "ce-type": event.type, "ce-subject": event.subject, "ce-time": event.time.isoformat(),
        "ce-datacontenttype": "application/json", POSITION: str(event.position),
        ACTOR_KIND: event.actor_kind, ACTOR_ROLE: event.actor_role,
    }
    if event.actor_city is not None:
        headers[ACTOR_CITY] = event.actor_city
    return headers


def partner_copies(services: WebServices, principal: Principal, *, city: str | None = None,
                   case_code: str | None = None) -> list[PartnerCopy]:
    """The copies the principal's agreement lets it receive (its cities, its kinds), oldest
    first; only of `city`'s subjects, or of one case, when given."""
    agreement = principal.agreement
    if agreement is None:
        return []
    cities = {c.value for c in agreement.cities}
    types = {ce_type for ce_type, kind in PARTNER_KINDS.items()
             if kind.name in agreement.event_kinds}
    copies = []
    for event in _events_of(services, types, city=city, case_code=case_code):
        message = partner_message(_headers_of(event), json.dumps(event.data).encode())
        if message is None:
            continue
        copy = PartnerCopy(message, event)
        if copy.city in cities and (city is None or copy.city == city):
            copies.append(copy)
    return sorted(copies, key=lambda copy: copy.event.position)


def _events_of(services: WebServices, types: Iterable[str], *, city: str | None,
               case_code: str | None) -> Iterator[BrowsedEvent]:
    for ce_type in sorted(types):
        page = 1
        while True:
            found = services.audit_trail.events(EventFilters(
                event_type=ce_type, case_code=case_code, oldest_first=True,
                city=city if ce_type.startswith("it.lgnet.case.") else None,
            ), page, _PAGE)
            yield from found.events
            if not found.has_next:
                break
            page += 1


def _cases(copies: list[PartnerCopy]) -> dict[str, list[PartnerCopy]]:
    """Each case with an intake copy among `copies`, by id, with all its copies."""
    by_case: dict[str, list[PartnerCopy]] = {}
    for copy in copies:
        case_id = copy.data.get("case_id")
        if isinstance(case_id, str):
            by_case.setdefault(case_id, []).append(copy)
    return {case_id: its for case_id, its in by_case.items()
            if any(copy.kind == _INTAKE_KIND for copy in its)}


def _facts(copies: list[PartnerCopy], *, with_history: bool) -> dict[str, Any]:
    intake = [copy for copy in copies if copy.kind == _INTAKE_KIND][-1].data
    facts: dict[str, Any] = {
        "case_id": intake["case_id"], "case_code": intake["case_code"], "city": intake["city"],
        "status": None, "intake_date": intake["intake_date"],
        "protection_status": intake["protection_status"],
        "reception_situation": intake["reception_situation"],
        "reception_centre_kind": intake.get("reception_centre_kind"),
        "planned_exit_on": intake.get("planned_exit_on"),
        "sex": intake["sex"], "age_band": intake["age_band"],
        "citizenship": intake.get("citizenship", intake.get("nationality")),
        "household_size": intake["household_size"], "vulnerabilities": None,
        "priority_group": intake["priority_group"],
    }
    if with_history:
        facts["eligibility"] = None
        facts["history"] = [HistoryEntryOut(
            position=copy.event.position, time=copy.event.time,
            type=copy.message.headers["ce-type"], data=copy.data,
            actor=ActorOut(kind=copy.event.actor_kind, id=None, role=copy.event.actor_role,
                           city=copy.event.actor_city),
        ) for copy in copies]
    return facts


def _refuse_what_copies_cannot_answer(query: CaseListQuery) -> None:
    for name in _UNANSWERABLE_FILTERS:
        if getattr(query, name) is not None:
            raise AccessDenied(f"Filtering by {name} needs what partner copies do not carry",
                               field=name)


def _passes(facts: dict[str, Any], query: CaseListQuery) -> bool:
    citizenship, status = query.citizenship, query.protection_status
    return ((status is None or facts["protection_status"] == status)
            and (query.sex is None or facts["sex"] == query.sex)
            and (query.age_band is None or facts["age_band"] == query.age_band)
            and (citizenship is None or facts["citizenship"] == (
                None if citizenship == "none" else citizenship))
            and (query.intake_month is None
                 or str(facts["intake_date"]).startswith(query.intake_month)))


def partner_case_list(services: WebServices, principal: Principal, city: str,
                      query: CaseListQuery) -> CaseList:
    """A city's cases as the partner's copies say them, newest intake first."""
    _refuse_what_copies_cannot_answer(query)
    cases = _cases(partner_copies(services, principal, city=city))
    rows = [facts for its in cases.values()
            if _passes(facts := _facts(its, with_history=False), query)]
    rows.sort(key=lambda facts: (date.fromisoformat(facts["intake_date"]), facts["case_code"]),
              reverse=True)
    start = (query.page - 1) * query.page_size
    pages = max(1, -(-len(rows) // query.page_size))
    return CaseList.model_validate({
        "items": rows[start:start + query.page_size], "total": len(rows), "page": query.page,
        "page_size": query.page_size, "pages": pages,
    })


def partner_case(services: WebServices, principal: Principal, case_id: UUID,
                 case_code: str) -> CaseDetail | None:
    """One case as the partner's copies say it; None when the partner received no intake of
    it (in a city of its agreement)."""
    copies = _cases(partner_copies(services, principal, case_code=case_code)).get(str(case_id))
    if copies is None:
        return None
    return CaseDetail.model_validate(_facts(copies, with_history=True))
