"""What made `lgnet demo --scale full` refuse commands (and exit 1): a possible same person's
intake with an "other" vulnerability and no description, and the plans' reviews piled up on the
programme's last day, which ran the calendar past the period's end."""

from __future__ import annotations

import random
from datetime import timedelta

from domain.cases.rules import Vulnerability
from domain.programme import PROGRAMME_END
from infra.demo import plans
from infra.demo.cases import other_vulnerability_description
from tests.builders import an_intake


def test_an_other_vulnerability_is_described_and_none_without_one() -> None:
    rng = random.Random(1)
    described = an_intake(vulnerabilities=frozenset({Vulnerability.OTHER}))
    assert other_vulnerability_description(rng, described)
    assert other_vulnerability_description(rng, an_intake(vulnerabilities=frozenset())) is None


def test_no_plan_review_is_held_on_the_programme_s_last_day() -> None:
    assert plans._simulated(PROGRAMME_END - timedelta(days=1))
    assert not plans._simulated(PROGRAMME_END)
