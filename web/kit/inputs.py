"""The input types every request model uses for dates and decimal numbers, strict where pydantic
is lenient (issue 18 items 6 and 11):

- `Day`: a calendar date written as ISO 8601 `YYYY-MM-DD` in ASCII digits (or a `date`), within
  the supported range (`FIRST_DAY`..`LAST_DAY`). Pydantic alone reads a number as a Unix time
  (`birth_date=0` became 1970-01-01), a date and time as its date, and any year up to 9999, whose
  day after overflows the date arithmetic of the filters (a 500).
- `AsciiDecimal`: a decimal number in ASCII digits. Python's Decimal (and so pydantic's) reads
  any script's digits: "١٢٣", "１２３" and "𝟗𝟗" were stored as 123 and 99.

Both refuse with their own error types, translated in web.kit.errors (VALIDATION_MESSAGES) like
pydantic's; a test walks every route's inputs to see that no date escapes `Day`."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

# The supported dates: the oldest birth date the intake's plausibility rule can meet (120 years
# before the programme's start, 2019-07-01) to well after the programme and its retention.
FIRST_DAY = date(1890, 1, 1)
LAST_DAY = date(2099, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ASCII_DECIMAL = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)", re.ASCII)

DAY_TYPE = "day_format"
DAY_RANGE = "day_out_of_range"
DECIMAL_DIGITS = "decimal_digits"


def _written_as_a_day(value: Any) -> Any:
    if isinstance(value, datetime):
        raise PydanticCustomError(DAY_TYPE, "a date, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError(DAY_TYPE, "a date written YYYY-MM-DD")


def _within_supported_days(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            DAY_RANGE, "a date from {first} to {last}",
            {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
    return value


def _written_in_ascii_digits(value: Any) -> Any:
    if isinstance(value, str) and not _ASCII_DECIMAL.fullmatch(value.strip()):
        raise PydanticCustomError(DECIMAL_DIGITS, "a number written with the digits 0-9")
    if isinstance(value, bool):
        raise PydanticCustomError(DECIMAL_DIGITS, "a number, not a truth value")
    return value


def within_supported_days(value: date) -> bool:
    """Whether a date (of a cookie, say, read without a model) is in the supported range."""
    return FIRST_DAY <= value <= LAST_DAY


Day = Annotated[date, BeforeValidator(_written_as_a_day), AfterValidator(_within_supported_days)]
AsciiDecimal = Annotated[Decimal, BeforeValidator(_written_in_ascii_digits)]
