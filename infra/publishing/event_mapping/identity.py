"""The duplicate-persons context's public events. Their subject is the case code of the case
they concern (the new case, for a match), so they are on its timeline."""

from __future__ import annotations

from domain.identity.model import CasePerson, PossibleMatch
from events.identity import (
    PersonMatchCaseLinkedV1,
    PersonMatchConfirmedV1,
    PersonMatchNotedV1,
    PersonMatchRuledOutV1,
)
from infra.publishing.event_mapping import PublicEvent

IDENTITY_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(PossibleMatch.Noted, PersonMatchNotedV1, id_field="match_id"),
    PublicEvent(PossibleMatch.Confirmed, PersonMatchConfirmedV1, id_field="match_id"),
    PublicEvent(PossibleMatch.RuledOut, PersonMatchRuledOutV1, id_field="match_id"),
    PublicEvent(CasePerson.Linked, PersonMatchCaseLinkedV1, id_field="link_id"),
)
