"""`lgnet demo`: invent a plausible run of the programme into an empty record (infra.demo);
also the demo data `lgnet run` loads on its first start."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

import typer
from tqdm import tqdm

from domain.programme import Actor, ActorKind, Role, programme_today
from infra.bootstrap import Platform
from infra.cli.platform import open_platform
from infra.demo.scale import SCALES, DemoScale, simulated_days
from infra.demo.scheduler import DemoReport
from infra.demo.simulation import load_demo
from infra.settings import load_settings

# What the first start loads: every city and every kind of work, in seconds.
FIRST_START_DEMO = "small"
DEMO_SEED = 2019
# Refusals listed at the end of a demo run; the rest are counted.
_REFUSALS_SHOWN = 10
# The first start's invented decision, so that new work can be tried today (see below).
DEMO_ACT = "DEMO - non è un atto reale"
DEMO_MINISTRY = Actor(ActorKind.SYSTEM, "lgnet-demo", Role.MINISTRY)


def load_demo_on_first_start(platform: Platform) -> None:
    if platform.record.recorder.max_notification_id() is not None:
        return
    scale = SCALES[FIRST_START_DEMO]
    _report_demo(platform, scale, _generate_demo(platform, scale, DEMO_SEED))
    extend_for_trying(platform, datetime.now(UTC))


def extend_for_trying(platform: Platform, now: datetime) -> date | None:
    """The demo's programme ran 2019-07..2021-12, as the card's; on today's date the platform
    refuses new intakes, referrals and placements after that period, as it must. So that `make
    run` can be tried at once, the first start records an invented decision of the Ministry
    extending the period to the end of this year: act "DEMO - non è un atto reale", recorded by
    the system actor `lgnet-demo`, shown as such on /programme and in the event browser. A
    real deployment starts with no demo, hence with no such decision (docs/operations.md).
    Returns the new end, or None when the period already covers this year."""
    today = programme_today(now)
    end = date(today.year, 12, 31)
    if today in platform.programme_terms.terms_in_force().period:
        return None
    platform.programme_terms.extend_period(end, today, DEMO_ACT, DEMO_MINISTRY, now)
    print(f"DEMO: the programme's period (2019-07-01 to 2021-12-31) is over; so that new work "
          f"can be tried today, an invented decision of the Ministry (act \"{DEMO_ACT}\") "
          f"extends it to {end}. It is shown on /programme; a real deployment has none.",
          flush=True)
    return end


def _generate_demo(platform: Platform, scale: DemoScale, seed: int) -> DemoReport:
    with tqdm(total=simulated_days(scale), desc=f"Generating the {scale.name} demo",
              unit="day") as bar:
        return load_demo(platform, scale, seed=seed, progress=lambda _day: bar.update())


def _report_demo(platform: Platform, scale: DemoScale, report: DemoReport) -> None:
    """Say what the demo wrote, and any command the domain refused: each is a bug of the
    generator, listed so that it gets fixed."""
    events = platform.record.recorder.max_notification_id() or 0
    minutes, seconds = divmod(round(report.seconds), 60)
    print(f"Demo data ({scale.name}): {events:,} events written in "
          f"{f'{minutes} min ' if minutes else ''}{seconds} s, from {report.commands:,} "
          f"commands ({len(report.refused)} refused).", flush=True)
    for refusal in report.refused[:_REFUSALS_SHOWN]:
        print(f"  refused: {refusal}", file=sys.stderr)
    if len(report.refused) > _REFUSALS_SHOWN:
        print(f"  ... and {len(report.refused) - _REFUSALS_SHOWN} more", file=sys.stderr)


class DemoScaleName(StrEnum):
    SMALL = "small"
    FULL = "full"


def demo(
    scale: Annotated[DemoScaleName, typer.Option(
        help="small: every city, about 260 intakes, seconds (what the first start loads); "
        "full: the whole programme, thousands of cases, minutes")] = DemoScaleName.SMALL,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = DEMO_SEED,
) -> None:
    """Invent a plausible run of the programme (all 19 cities, 2019-07 to 2021-12) through the
    application services. Only into an empty record: the record is append-only, so demo events
    could never be taken out of real ones. The platform publishes and projects them when it
    runs (lgnet run)."""
    settings = load_settings()
    platform = open_platform(settings)
    try:
        held = platform.record.recorder.max_notification_id()
        if held is not None:
            # With PostgreSQL the record is the database's, whatever the data dir.
            elsewhere = ("an empty database (LGNET_DATABASE_URL)" if settings.uses_postgres
                         else "an empty data dir, e.g. LGNET_DATA_DIR=var-demo lgnet demo "
                         f"--scale {scale.value}")
            raise SystemExit(
                f"Refused: the record already holds {held:,} events, and demo data can never be "
                f"taken out of it again (it is append-only). Generate the demo into {elsewhere}.")
        chosen = SCALES[scale.value]
        report = _generate_demo(platform, chosen, seed)
        _report_demo(platform, chosen, report)
    finally:
        platform.close()
    if report.refused:
        raise SystemExit(1)

