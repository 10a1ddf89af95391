"""`lgnet programme ...`: the programme's terms in force, and the Ministry's decisions on them
(extending the period, admitting or withdrawing a city, referral answer times, priority weights),
each recorded as an event of the record with the act it rests on (docs/domain.md, "The
programme's terms"). `--by` names the Ministry user who records it: an active account with the
ministry role, whose name the event carries as its actor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from domain.access import AccessDenied
from domain.amendments.service import ProgrammeTermsService
from domain.programme import (
    Actor,
    AnswerTimes,
    City,
    DomainError,
    PriorityWeights,
    Role,
    TermsInForce,
    programme_today,
)
from infra.cli.platform import opened_accounts
from infra.settings import load_settings
from infra.store.eventstore import open_record

programme_app = typer.Typer(
    help="The programme's terms (period, partner cities, referral answer times, priority "
    "weights) and the Ministry's decisions on them", no_args_is_help=True)

By = Annotated[str, typer.Option(help="The Ministry user who records the decision")]
DecidedOn = Annotated[datetime, typer.Option(
    formats=["%Y-%m-%d"], help="The day the Ministry decided (YYYY-MM-DD)")]
Act = Annotated[str, typer.Option(
    help="The reference (protocol number) of the Ministry's act, up to 60 characters; never a "
    "free text")]


def ministry_actor(username: str) -> Actor:
    """The actor of an active Ministry account; stops with the reason otherwise."""
    with opened_accounts() as accounts:
        user = next((u for u in accounts.users() if u.username == username), None)
    if user is None or user.disabled or user.role is not Role.MINISTRY:
        raise SystemExit(
            f"Refused: {username!r} is not an active Ministry user (lgnet users list).")
    return user.principal().actor


@contextmanager
def terms_service() -> Iterator[ProgrammeTermsService]:
    record = open_record(load_settings())
    try:
        yield ProgrammeTermsService(record)
    finally:
        record.close()


def _decide(by: str, decision: Callable[[ProgrammeTermsService, Actor, datetime], int]) -> None:
    actor = ministry_actor(by)
    with terms_service() as service:
        try:
            position = decision(service, actor, datetime.now(UTC))
        except (DomainError, AccessDenied) as error:
            typer.echo(f"Refused: {error.message}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"Recorded (event position {position}).")
        _show(service.terms_in_force(), programme_today(datetime.now(UTC)))


def _show(terms: TermsInForce, today: date) -> None:
    period = terms.period
    typer.echo(f"Period: {period.starts_on} to {period.ends_on}"
               f" (today, {today}, {'within' if today in period else 'outside'} it)")
    partners = terms.partners_on(today)
    out = [city.value for city in terms.known_cities if city not in partners]
    typer.echo(f"Partner cities today: {len(partners)}"
               + (f" (not partners: {', '.join(out)})" if out else ""))
    times = terms.answer_times
    typer.echo("Referral answer times: immediate {}, urgent {}, ordinary {} (hours)".format(
        *(int(t / timedelta(hours=1)) for t in (times.immediate, times.urgent, times.ordinary))))
    w = terms.priority_weights
    typer.echo(f"Priority points: international protection {w.international_protection}, "
               f"vulnerability {w.vulnerability}, {w.per_day_waiting} a day waited up to "
               f"{w.waiting_days_counted} days")


@programme_app.command("show")
def show() -> None:
    """The terms in force and the Ministry's decisions so far."""
    with terms_service() as service:
        _show(service.terms_in_force(), programme_today(datetime.now(UTC)))
        decisions = service.amendments()
        typer.echo("Decisions:" if decisions else
                   "Decisions: none (the project card's terms, the platform's starting answer "
                   "times)")
        for a in decisions:
            values = ", ".join(f"{name}={value}" for name, value in a.values.items())
            typer.echo(f"  {a.recorded_at:%Y-%m-%d %H:%M} {a.kind.value}"
                       + (f" decided {a.decided_on}, act {a.act_reference}: {values}"
                          if a.decided_on else " (the card's terms)"))


@programme_app.command("extend")
def extend(
    until: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"],
                                            help="The period's new last day")],
    decided_on: DecidedOn, act: Act, by: By,
) -> None:
    """Extend the programme's period (the end only moves later)."""
    _decide(by, lambda service, actor, now: service.extend_period(
        until.date(), decided_on.date(), act, actor, now))


def _city(slug: str) -> City:
    try:
        return City(slug)
    except ValueError as error:
        typer.echo(f"Refused: {error}", err=True)
        raise typer.Exit(2) from None


@programme_app.command("withdraw-city")
def withdraw_city(
    city: Annotated[str, typer.Argument(help="The city that withdraws, by its slug")],
    from_day: Annotated[datetime, typer.Option(
        "--from", formats=["%Y-%m-%d"], help="The first day it is no longer a partner")],
    decided_on: DecidedOn, act: Act, by: By,
) -> None:
    """A city stops being a partner: from that day it takes on no new work."""
    _decide(by, lambda service, actor, now: service.withdraw_city(
        _city(city), from_day.date(), decided_on.date(), act, actor, now))


@programme_app.command("admit-city")
def admit_city(
    city: Annotated[str, typer.Argument(
        help="The city that (re)joins, by its slug: lowercase words joined by '-', e.g. "
        "reggio-emilia")],
    from_day: Annotated[datetime, typer.Option(
        "--from", formats=["%Y-%m-%d"], help="The first day it is a partner")],
    decided_on: DecidedOn, act: Act, by: By,
    name: Annotated[str | None, typer.Option(
        help="A city that was never a partner: the Comune's name as the act writes it")] = None,
    province_code: Annotated[str | None, typer.Option(
        help="A city that was never a partner: its province code (targa, two capital "
        "letters), the prefix of its case codes")] = None,
) -> None:
    """A city becomes a partner from a day: again after a withdrawal, or for the first time
    (then with --name and --province-code). No code change: the cities are data."""
    _decide(by, lambda service, actor, now: service.admit_city(
        _city(city), from_day.date(), decided_on.date(), act, actor, now, name=name,
        province_code=province_code))


@programme_app.command("answer-times")
def answer_times(
    immediate_hours: Annotated[int, typer.Option(help="Hours to answer an immediate referral")],
    urgent_hours: Annotated[int, typer.Option(help="... an urgent one (within_72_hours)")],
    ordinary_hours: Annotated[int, typer.Option(help="... an ordinary one")],
    decided_on: DecidedOn, act: Act, by: By,
) -> None:
    """Set how long a referral's destination has to answer, per urgency (referrals requested
    before keep their due time)."""
    times = AnswerTimes(timedelta(hours=immediate_hours), timedelta(hours=urgent_hours),
                        timedelta(hours=ordinary_hours))
    _decide(by, lambda service, actor, now: service.set_answer_times(
        times, decided_on.date(), act, actor, now))


@programme_app.command("priority-weights")
def priority_weights(
    international_protection: Annotated[int, typer.Option(
        help="Points for a holder of international protection")],
    vulnerability: Annotated[int, typer.Option(help="Points for a vulnerable person")],
    per_day: Annotated[int, typer.Option(help="Points per full day waited")],
    days_counted: Annotated[int, typer.Option(help="Days of waiting that count, at most")],
    decided_on: DecidedOn, act: Act, by: By,
) -> None:
    """Set the points of each priority factor (protection must outweigh vulnerability)."""
    weights = PriorityWeights(international_protection, vulnerability, per_day, days_counted)
    _decide(by, lambda service, actor, now: service.set_priority_weights(
        weights, decided_on.date(), act, actor, now))
