"""The housing service's shelter commands (issue 20): a mutation run (docs/testing.md, "Services
pass, part 2") found no test under its selection reaching `add_beds`, `remove_beds` and
`close_shelter`. The position each returns, its event field by field at its own moment, and a
change lost to a rival decided again on the shelter the rival left. Over the real in-memory
record; shelters need no case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.housing.model import Shelter, ShelterClosureReason, ShelterKind
from domain.housing.service import HousingService, ShelterNotFound
from domain.programme import City
from domain.record import ProgrammeRecord
from tests.builders import NOW, a_coordinator, named_fields

ACTOR = a_coordinator()


def last_event(housing: HousingService, shelter_id: UUID) -> tuple[str, dict[str, Any]]:
    *_, event = housing.record.events.get(shelter_id)
    return named_fields(event)


def a_shelter(housing: HousingService, beds: int = 2) -> UUID:
    shelter_id = uuid4()
    housing.register_shelter(shelter_id, City.FIRENZE, "Casa", ShelterKind.APARTMENT, "Isolotto",
                             beds, ACTOR, NOW)
    return shelter_id


def test_beds_added_removed_and_a_shelter_closed_return_their_positions_and_events() -> None:
    housing = HousingService(ProgrammeRecord(), None)  # type: ignore[arg-type]
    shelter_id = a_shelter(housing)
    added = housing.add_beds(shelter_id, 3, ACTOR, NOW + timedelta(hours=1))
    assert added == housing.record.recorder.max_notification_id() == 2
    assert last_event(housing, shelter_id) == ("BedsAdded", {
        "timestamp": NOW + timedelta(hours=1), "city": "firenze", "added": 3,
        "bed_numbers": [3, 4, 5], "beds": 5, "actor": ACTOR.as_record()})
    assert housing.remove_beds(shelter_id, 1, ACTOR, NOW + timedelta(hours=2)) == 3
    assert last_event(housing, shelter_id) == ("BedsRemoved", {
        "timestamp": NOW + timedelta(hours=2), "city": "firenze", "removed": 1,
        "bed_numbers": [5], "beds": 4, "actor": ACTOR.as_record()})
    assert housing.close_shelter(shelter_id, ShelterClosureReason.AGREEMENT_ENDED, ACTOR,
                                 NOW + timedelta(hours=3)) == 4
    assert last_event(housing, shelter_id) == ("Closed", {
        "timestamp": NOW + timedelta(hours=3), "city": "firenze", "closed_on": date(2021, 3, 10),
        "reason": "agreement_ended", "actor": ACTOR.as_record(), "legacy_texts": None})


def test_a_shelter_command_on_an_unknown_id_names_it() -> None:
    housing = HousingService(ProgrammeRecord(), None)  # type: ignore[arg-type]
    unknown = uuid4()
    commands: list[Callable[[], int]] = [
        partial(housing.add_beds, unknown, 1, ACTOR, NOW),
        partial(housing.remove_beds, unknown, 1, ACTOR, NOW),
        partial(housing.close_shelter, unknown, ShelterClosureReason.OTHER, ACTOR, NOW)]
    for command in commands:
        with pytest.raises(ShelterNotFound) as not_found:
            command()
        assert not_found.value.args == (unknown,)


class RivalAddsBeds(HousingService):
    """The service, while a colleague adds a bed just after it read the shelter: its save loses,
    and it decides again on the shelter the rival left."""

    rival = False

    def get_shelter(self, shelter_id: UUID) -> Shelter:
        shelter = super().get_shelter(shelter_id)
        if self.rival:
            self.rival = False
            HousingService(self.record, self.cases).add_beds(shelter_id, 1, ACTOR, NOW)
        return shelter


def test_a_bed_change_lost_to_a_rival_is_decided_again() -> None:
    racing = RivalAddsBeds(ProgrammeRecord(), None)  # type: ignore[arg-type]
    shelter_id = a_shelter(racing)
    racing.rival = True
    position = racing.add_beds(shelter_id, 2, ACTOR, NOW + timedelta(hours=1))
    assert position == racing.record.recorder.max_notification_id() == 3
    assert last_event(racing, shelter_id)[1]["bed_numbers"] == [4, 5]
    racing.rival = True
    assert racing.remove_beds(shelter_id, 1, ACTOR, NOW + timedelta(hours=2)) == 5
    assert last_event(racing, shelter_id)[1]["beds"] == 5
