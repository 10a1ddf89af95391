"""The individual plans' event contracts carry no free text (ARCHITECTURE firm point 5: a goal's
words, an action's description, a review's findings stay in the vault) and never go to partners
(issue 16: partner copies carry nothing of case work)."""

from __future__ import annotations

from typing import get_args
from uuid import UUID

import pytest
from pydantic import ValidationError

from events.catalogue import CONTRACTS
from events.partner import PARTNER_KINDS, partner_kind_names
from events.plans import PLAN_CONTRACTS, PlanActionPlannedV1, PlanGoalAgreedV1

# The only strings a plan event may carry: codes checked by a pattern or a list.
CODED_STRINGS = {"case_code", "city", "area", "reason", "owner", "text_digest", "assignee"}


def test_every_plan_contract_is_in_the_catalogue_and_none_is_copied_to_partners() -> None:
    assert {c.ce_type() for c in PLAN_CONTRACTS} <= CONTRACTS.keys()
    assert not {c.ce_type() for c in PLAN_CONTRACTS} & PARTNER_KINDS.keys()
    assert not {name for name in partner_kind_names() if name.startswith("plan.")}


def test_no_plan_contract_has_a_free_text_field() -> None:
    for contract in PLAN_CONTRACTS:
        for name, field in contract.model_fields.items():
            annotation = field.annotation
            if annotation is str or str in get_args(annotation):
                assert name in CODED_STRINGS, (contract.__name__, name)
                assert field.metadata or name in {"city", "area", "reason", "owner"}, name


def test_a_text_field_is_an_id_and_a_digest_never_words() -> None:
    ids = {"plan_id": UUID(int=1), "case_id": UUID(int=2), "goal_id": UUID(int=3),
           "text_id": UUID(int=4)}
    base = {**ids, "case_code": "FI-2021-00001", "city": "firenze", "area": "work",
            "agreed_on": "2021-03-12", "target_date": "2021-09-30"}
    assert PlanGoalAgreedV1.model_validate({**base, "text_digest": "a" * 64})
    with pytest.raises(ValidationError):
        PlanGoalAgreedV1.model_validate({**base, "text_digest": "Trovare un lavoro"})
    with pytest.raises(ValidationError):
        PlanGoalAgreedV1.model_validate({**base, "text_digest": "a" * 64, "text": "Lavoro"})
    with pytest.raises(ValidationError):  # an assignee is a staff username, never a name
        PlanActionPlannedV1.model_validate({
            **ids, "case_code": "FI-2021-00001", "city": "firenze", "action_id": UUID(int=5),
            "owner": "operator", "assignee": "Amina Tesfaye", "due_on": "2021-04-01",
            "text_digest": "a" * 64})
