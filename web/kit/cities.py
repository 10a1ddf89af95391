"""A city in a request body or query, as pydantic reads it: the city's slug, checked for its
form here (422 when it is not one); whether that city is a partner on the day is the domain's
rule (`TermsInForce.require_partner`), since the cities are the programme's data."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi.exceptions import RequestValidationError
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from domain.programme import CITY_SLUG, City
from web.services import WebServices

# The error type a request gets for a city that is not even a slug (web.kit.errors words it).
CITY_SLUG_ERROR = "city_slug"


def _city(value: object) -> City:
    if isinstance(value, City):
        return value
    try:
        return City(value)  # type: ignore[arg-type]  # City() refuses what is not a slug
    except ValueError:
        raise PydanticCustomError(
            CITY_SLUG_ERROR, "A city is given by its slug, such as firenze.") from None


CityField = Annotated[
    City,
    PlainValidator(_city),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": f"^{CITY_SLUG.pattern}$", "minLength": 2,
                    "maxLength": 40, "examples": ["firenze"]}),
]


def require_known_city(city: City, known: Collection[str], location: tuple[str, ...]) -> None:
    """Refuse (422, as an option not offered) a city the network never had: a misspelt filter
    would quietly find nothing, a grant or budget would be given for no one."""
    if city not in known:
        raise RequestValidationError([{
            "type": CITY_SLUG_ERROR, "loc": location, "input": city.value,
            "msg": "not a city of the network"}])


def known_cities(services: WebServices) -> list[str]:
    """Every city the network ever had (the programme's terms, as the ministry amended them):
    what pages list and what a city filter may name."""
    return [c.value for c in services.programme_terms.terms_in_force().known_cities]
