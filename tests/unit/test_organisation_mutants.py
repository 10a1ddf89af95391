"""Partner organisations (domain/organisations/model.py, issue 20): the name as registered (its
spacing, its limit at the limit and one past), the id it derives (case and spacing aside, one
per city), the registration and the retirement field by field, and each refusal with its code,
message and parameters.

DOMAIN.md, "Referral": a case is sent to an external partner; the organisations are registered
by the city that refers people to them (issue 12, item 5), and a retired one takes no new
referral or consent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.organisations.model import (
    MAX_ORGANISATION_NAME,
    Organisation,
    OrganisationKind,
    organisation_id_for,
    tidy_name,
)
from domain.programme import City, DomainError
from tests.builders import NOW, a_coordinator, recorded

MILAN = a_coordinator(City.MILANO)
# 23:30 in Italy on 10 March is 22:30 UTC: the programme's day is Italy's.
LATE_EVENING = datetime(2021, 3, 10, 22, 30, tzinfo=UTC)


def refusal_of(name: str | None) -> tuple[str, str, dict[str, object]]:
    with pytest.raises(DomainError) as refused:
        tidy_name(name)  # type: ignore[arg-type]
    return refused.value.code, refused.value.message, refused.value.params


def test_a_name_is_tidied_and_refused_blank_or_past_the_limit() -> None:
    assert tidy_name("  Caritas \t Ambrosiana\n") == "Caritas Ambrosiana"
    assert tidy_name("x" * MAX_ORGANISATION_NAME) == "x" * MAX_ORGANISATION_NAME
    assert tidy_name(" " + "x" * MAX_ORGANISATION_NAME + " ") == "x" * MAX_ORGANISATION_NAME
    refused = ("invalid_organisation_name", "Name the organisation, in up to 120 characters.",
               {"field": "name", "max_length": 120})
    assert MAX_ORGANISATION_NAME == 120
    for name in ("x" * (MAX_ORGANISATION_NAME + 1), "", "  \n", None):
        assert refusal_of(name) == refused


def test_an_organisation_s_id_is_its_city_s_and_its_name_s_case_and_spacing_aside() -> None:
    caritas = organisation_id_for(City.MILANO, "Caritas Ambrosiana")
    assert organisation_id_for(City.MILANO, "  CARITAS   ambrosiana ") == caritas
    assert organisation_id_for(City.FIRENZE, "Caritas Ambrosiana") != caritas
    assert organisation_id_for(City.MILANO, "Caritas") != caritas
    # Pinned: the ids already recorded must be found again, so the derivation never changes
    # (uuid5 of the namespace and "milano/caritas ambrosiana").
    assert str(caritas) == "12f00e9f-2323-58d1-8ed7-e70f677cc3e6"


def test_a_registration_records_the_tidy_name_its_kind_and_the_day_in_italy() -> None:
    organisation = Organisation.register(City.MILANO, " Arci  Milano ", OrganisationKind.NGO,
                                         MILAN, LATE_EVENING)
    assert organisation.id == organisation_id_for(City.MILANO, "Arci Milano")
    assert recorded(organisation) == [("Registered", {
        "timestamp": LATE_EVENING, "city": "milano", "name": "Arci Milano", "kind": "ngo",
        "registered_on": date(2021, 3, 10), "actor": MILAN.as_record()})]
    assert (organisation.city, organisation.name, organisation.kind) == (
        City.MILANO, "Arci Milano", OrganisationKind.NGO)
    assert organisation.registered_on == date(2021, 3, 10)
    assert organisation.retired_on is None and organisation.is_retired is False
    organisation.require_active()


def test_a_retirement_is_recorded_once_and_refuses_new_work() -> None:
    organisation = Organisation.register(City.MILANO, "Arci", OrganisationKind.ASSOCIATION,
                                         MILAN, NOW)
    organisation.collect_events()
    organisation.retire(MILAN, LATE_EVENING + timedelta(days=1))
    assert recorded(organisation) == [("Retired", {
        "timestamp": LATE_EVENING + timedelta(days=1), "city": "milano",
        "retired_on": date(2021, 3, 11), "actor": MILAN.as_record()})]
    assert organisation.is_retired is True and organisation.retired_on == date(2021, 3, 11)
    retired = ("organisation_retired",
               "Arci was retired on 2021-03-11: it takes no new referral or consent.",
               {"field": "organisation_id", "organisation_name": "Arci",
                "retired_on": date(2021, 3, 11)})
    for command in (organisation.require_active,
                    lambda: organisation.retire(MILAN, LATE_EVENING + timedelta(days=2))):
        with pytest.raises(DomainError) as refused:
            command()
        assert (refused.value.code, refused.value.message, refused.value.params) == retired
    assert recorded(organisation) == []
