"""The case page's section on possible same persons (cases/_duplicates.html): read here, in the
kit, because the cases area shows it and the duplicates area acts on it (areas never import one
another)."""

from __future__ import annotations

from uuid import UUID

from domain.access import Permission, Principal, may
from domain.programme import City
from projections.person_links import MATCH_POSSIBLE, PersonMatchRow
from web.kit.vocabulary.identity import KEY_KINDS
from web.services import WebServices


def matches_shown(
    services: WebServices, principal: Principal, case_id: UUID
) -> list[tuple[PersonMatchRow, bool]]:
    """The case's possible matches, each with whether `principal` may decide it."""
    return [(match, match.status == MATCH_POSSIBLE and may(
                principal, Permission.LINK_SAME_PERSON, City(match.city)))
            for match in services.person_links.matches_of_case(case_id)]


def duplicates_section(
    services: WebServices, principal: Principal, case_id: UUID
) -> dict[str, object]:
    """What the case page's section (cases/_duplicates.html) shows."""
    return {"possible_matches": matches_shown(services, principal, case_id),
            "key_kinds": KEY_KINDS}
