"""The moment text read models store (`utc_text`, `Envelope.utc_time`): fixed width and in UTC,
so that comparing the texts compares the instants (the referral board's and the assignment's
"oldest first", the grant's "as of" filters rely on it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from events.cloudevents import Actor, utc_text
from tests.read_models import an_envelope
from tests.unit.test_projections import an_intake_recorded

aware_moments = st.builds(
    lambda naive, minutes: naive.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-23 * 60, max_value=23 * 60),
)


@given(aware_moments)
def test_the_text_is_the_moment_in_utc_to_the_microsecond_in_the_form_stored_before(
    moment: datetime,
) -> None:
    text = utc_text(moment)
    # The form the read models wrote before this function (strftime), so that rows written
    # before and after compare alike.
    assert text == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    assert len(text) == 32
    assert datetime.fromisoformat(text) == moment


@given(aware_moments, aware_moments)
def test_texts_compare_as_their_moments_do(first: datetime, second: datetime) -> None:
    assert (utc_text(first) < utc_text(second)) == (first < second)
    assert (utc_text(first) == utc_text(second)) == (first == second)


def test_an_envelope_s_utc_time_is_made_once() -> None:
    rome = timezone(timedelta(hours=1))
    envelope = an_envelope(an_intake_recorded(1, "roma"), 1,
                           time=datetime(2021, 1, 5, 10, 0, 0, 7, tzinfo=rome),
                           actor=Actor("user", "anna", "city_coordinator", "roma"))
    assert envelope.utc_time == "2021-01-05T09:00:00.000007+00:00"
    assert envelope.utc_time is envelope.utc_time
