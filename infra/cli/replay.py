"""`lgnet replay`: the network, a city's cases or one case as they were at a past moment,
computed by replaying the event store the settings point to (infra.pipeline.replay) into
temporary read models. Works with the platform stopped: it needs the event store only, not NATS
or the live read models."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import typer

from domain.amendments.service import ProgrammeTermsService
from domain.programme import PROGRAMME_TIMEZONE, City, TermsInForce
from infra.bootstrap import replay_directory
from infra.pipeline.replay import discard, read_models_as_of
from infra.settings import load_settings
from infra.store.eventstore import open_record
from projections.case_list import CaseFilters, CaseListQueries, CaseRow
from projections.network_overview import NetworkOverviewQueries
from projections.registry import default_projections
from web.kit.as_of import InvalidMoment, moment_of
from web.kit.i18n import Catalogues

_CASES_PER_READ = 500


class View(StrEnum):
    NETWORK = "network"
    CASES = "cases"
    CASE = "case"


def replay_command(
    as_of: Annotated[str, typer.Option(
        "--as-of", help="A date (the end of that day) or a date and time, ISO 8601, Rome time "
        "unless a zone is given: 2020-06-30 or 2020-06-30T12:00",
    )],
    city: Annotated[str | None, typer.Option(help="A city's slug: show its cases")] = None,
    case: Annotated[str | None, typer.Option(
        "--case", help="A case's code (or id): show the case and its history")] = None,
    view: Annotated[View | None, typer.Option(
        help="What to show (default: the case if --case is given, else the city's cases if "
        "--city is, else the network)")] = None,
) -> None:
    """Show the record as it was at a past moment, replayed from the event store."""
    try:
        moment = moment_of(as_of, datetime.now(UTC))
    except InvalidMoment as error:
        raise typer.BadParameter(error.explain(Catalogues().translator("en")),
                                 param_hint="--as-of") from None
    chosen = view or (View.CASE if case else View.CASES if city else View.NETWORK)
    if chosen is View.CASES and city is None:
        raise typer.BadParameter("give the city whose cases to show", param_hint="--city")
    if chosen is View.CASE and case is None:
        raise typer.BadParameter("give the code of the case to show", param_hint="--case")
    settings = load_settings()
    record = open_record(settings)
    # The cities, and their case-code prefixes, as the programme's terms had them then.
    terms = ProgrammeTermsService(record).terms_at(moment)
    city_of_list: City | None = None
    if city is not None and not terms.is_known(city):
        record.close()
        raise typer.BadParameter(
            f"{city} was not a city of the network then: "
            f"{', '.join(c.value for c in terms.known_cities)}", param_hint="--city")
    if city is not None:
        city_of_list = City(city)
    projections = default_projections()
    started = time.perf_counter()
    read_models = read_models_as_of(record, moment, projections, replay_directory(settings))
    try:
        took = time.perf_counter() - started
        local = moment.astimezone(PROGRAMME_TIMEZONE)
        typer.echo(f"The record as it was on {local:%Y-%m-%d %H:%M:%S %Z} "
                   f"(replayed in {took:.2f} s)\n")
        if chosen is View.NETWORK:
            _print_network(NetworkOverviewQueries(read_models))
        elif chosen is View.CASES:
            assert city_of_list is not None
            _print_cases(CaseListQueries(read_models), city_of_list)
        else:
            assert case is not None
            _print_case(CaseListQueries(read_models), terms, case)
    finally:
        discard(read_models)
        record.close()


def _print_network(network: NetworkOverviewQueries) -> None:
    overview = network.overview()
    typer.echo(f"{'City':<12} {'Cases':>7} {'Vulnerable':>11}")
    for figures in overview.cities:
        typer.echo(f"{figures.city:<12} {figures.cases:>7} {figures.vulnerable_cases:>11}")
    typer.echo(f"{'Network':<12} {overview.total_cases:>7} {overview.total_vulnerable_cases:>11}")


def _all_cases(cases: CaseListQueries, city: City) -> list[CaseRow]:
    rows: list[CaseRow] = []
    page = 1
    while True:
        found = cases.list_cases(city.value, CaseFilters(), page=page, page_size=_CASES_PER_READ)
        rows.extend(found.rows)
        if page * _CASES_PER_READ >= found.total:
            return rows
        page += 1


def _print_cases(cases: CaseListQueries, city: City) -> None:
    rows = _all_cases(cases, city)
    typer.echo(f"{len(rows)} cases in {city.value}")
    for row in rows:
        vulnerable = ",".join(row.vulnerabilities) or "-"
        typer.echo(f"{row.case_code}  {row.status:<6}  {row.intake_date}  "
                   f"{row.protection_status:<22}  {vulnerable}")


def _find_case(cases: CaseListQueries, terms: TermsInForce, wanted: str) -> CaseRow | None:
    try:
        return cases.get_case(UUID(wanted))
    except ValueError:
        pass
    code = wanted.strip().upper()
    # The code's prefix names the city that took the case in; a transfer may have moved it.
    cities = terms.known_cities
    first = [c for c in cities if code.startswith(f"{terms.province_code(c)}-")]
    for city in [*first, *(c for c in cities if c not in first)]:
        for row in _all_cases(cases, city):
            if row.case_code == code:
                return row
    return None


def _print_case(cases: CaseListQueries, terms: TermsInForce, wanted: str) -> None:
    row = _find_case(cases, terms, wanted)
    if row is None:
        raise typer.BadParameter(f"there was no case {wanted} at that moment", param_hint="--case")
    typer.echo(f"Case {row.case_code} ({row.case_id}), {row.city}, {row.status}")
    typer.echo(f"  intake on {row.intake_date}, {row.protection_status}, "
               f"vulnerabilities: {', '.join(row.vulnerabilities) or '-'}")
    if row.closed_on:
        typer.echo(f"  closed on {row.closed_on}: {row.outcome}")
    typer.echo("History:")
    for entry in cases.history(row.case_id):
        local = entry.time.astimezone(PROGRAMME_TIMEZONE)
        by = f"{entry.actor_role}{f', {entry.actor_city}' if entry.actor_city else ''}"
        typer.echo(f"  {local:%Y-%m-%d %H:%M:%S}  #{entry.position}  {entry.type}  by {by}")
