"""The programme's terms: the ministry's decisions, published on lgnet.network.programme.*.

Like audit checkpoints they belong to the whole network: their city is "network"
(events.cloudevents.NETWORK) and their CloudEvents subject `programme-terms`."""

from __future__ import annotations

from domain.amendments.model import ProgrammeTerms
from events.programme import (
    ProgrammeAnswerTimesSetV1,
    ProgrammeCityJoinedV2,
    ProgrammeCityWithdrawnV1,
    ProgrammeEstablishedV1,
    ProgrammePeriodExtendedV1,
    ProgrammePriorityWeightsSetV1,
)
from infra.publishing.event_mapping import PublicEvent

PROGRAMME_EVENTS: tuple[PublicEvent, ...] = tuple(
    PublicEvent(domain_event, contract, id_field="terms_id", subject_attribute="subject")
    for domain_event, contract in (
        (ProgrammeTerms.Established, ProgrammeEstablishedV1),
        (ProgrammeTerms.PeriodExtended, ProgrammePeriodExtendedV1),
        (ProgrammeTerms.CityJoined, ProgrammeCityJoinedV2),
        (ProgrammeTerms.CityWithdrawn, ProgrammeCityWithdrawnV1),
        (ProgrammeTerms.AnswerTimesSet, ProgrammeAnswerTimesSetV1),
        (ProgrammeTerms.PriorityWeightsSet, ProgrammePriorityWeightsSetV1),
    )
)
