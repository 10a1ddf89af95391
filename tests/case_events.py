"""A case's published lifecycle events (events/contracts.py), by case number: closed, reopened,
transferred, its personal data erased (in both versions). Shared by the tests of the projections
that follow a case (documents, notes, assignment, housing...); a test names the day when the day
is what it checks. Case n is UUID(int=n), its code FI-2021-0000n (its city's first letters)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from events.contracts import (
    CaseClosedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseReopenedV2,
    CaseTransferredV1,
)


def case(number: int) -> UUID:
    return UUID(int=number)


def code(number: int, city: str = "firenze") -> str:
    return f"{city[:2].upper()}-2021-{number:05d}"


def closed(number: int, on: date = date(2021, 3, 12)) -> CaseClosedV2:
    """Case `number` of Firenze closed on `on` with autonomy, no reason written."""
    return CaseClosedV2(case_id=case(number), case_code=code(number), city="firenze",
                        closed_on=on, outcome="autonomy", reason_id=None, reason_digest=None)


def reopened(number: int, on: date = date(2021, 3, 13)) -> CaseReopenedV2:
    """Case `number` of Firenze reopened on `on`, no reason written."""
    return CaseReopenedV2(case_id=case(number), case_code=code(number), city="firenze",
                          reopened_on=on, reason_id=None, reason_digest=None)


def transferred(number: int, city: str = "milano") -> CaseTransferredV1:
    """Case `number` moved from Firenze to `city` on 12 March 2021 (its code stays)."""
    return CaseTransferredV1(case_id=case(number), case_code=code(number), city=city,
                             from_city="firenze", referral_id=UUID(int=900),
                             transferred_on=date(2021, 3, 12))


def erased_v2(number: int) -> CasePersonalDataErasedV2:
    """Case `number`'s personal data erased on request (article 17(1)(a)), as published now."""
    return CasePersonalDataErasedV2(
        case_id=case(number), case_code=code(number), city="firenze",
        requested_on=date(2021, 4, 2), request_reference="PG/2021/0012345",
        legal_basis="art17_1a")


def erased_v1(number: int) -> CasePersonalDataErasedV1:
    """The same erasure as first published, with no legal basis (still in the stream)."""
    return CasePersonalDataErasedV1(
        case_id=case(number), case_code=code(number), city="firenze",
        requested_on=date(2021, 4, 2), request_reference="PG/2021/0012346")
