"""Cities on the command line. The cities are the programme's data (the ministry admits new
ones: `lgnet programme admit-city`), so an option naming one is checked against the terms in
force, not against a list in the code."""

from __future__ import annotations

import typer

from domain.amendments.service import ProgrammeTermsService
from domain.programme import City
from infra.settings import load_settings
from infra.store.eventstore import open_record


def city_slug(text: str) -> City:
    """A city's slug, checked for its form only (a filter may name a city of the past)."""
    try:
        return City(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def city_of_the_network(text: str) -> City:
    """A city that is or was a partner of the programme (typer's parser for such options)."""
    city = city_slug(text)
    record = open_record(load_settings())
    try:
        known = ProgrammeTermsService(record).terms_in_force().known_cities
    finally:
        record.close()
    if city not in known:
        raise typer.BadParameter(
            f"{text} is not a city of the network: {', '.join(c.value for c in known)}.")
    return city
