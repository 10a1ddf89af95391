"""Who may see and decide a possible match, for the case page and the API alike.

A match is seen by whoever may view the case it was noted on (the new case), and by the staff
of the other case's city, who see only the codes (nothing of the new city's case beyond them).
It is decided (confirmed or ruled out) by the coordinators of the city of the case it was noted
on: LINK_SAME_PERSON. Anyone else is answered 404, as for a match that does not exist."""

from __future__ import annotations

from uuid import UUID

from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may, require
from domain.programme import City
from projections.person_links import PersonMatchRow
from web.kit.errors import ResourceNotFound
from web.kit.i18n import N_, Translator
from web.services import WebServices


class UnknownMatch(ResourceNotFound):
    """Raised when no possible match the principal may see has the id in the path."""

    code = "unknown_match"

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_("There is no such possible match."))


def viewable_match(services: WebServices, principal: Principal, match_id: UUID) -> PersonMatchRow:
    match = services.person_links.match(match_id)
    if match is None or not (
        may(principal, Permission.VIEW_CASE, City(match.city))
        or may(principal, Permission.VIEW_CASE, City(match.other_city))
    ):
        raise UnknownMatch()
    return match


def decidable_match(
    services: WebServices, principal: Principal, match_id: UUID
) -> PersonMatchRow:
    """The match, once `principal` may decide it: 404 when they may not even see it, 403 when
    they see it but the decision is another city's or a coordinator's."""
    match = viewable_match(services, principal, match_id)
    require(principal, Permission.LINK_SAME_PERSON, City(match.city))
    return match


async def confirm(
    services: WebServices, principal: Principal, match_id: UUID
) -> PersonMatchRow:
    """Confirm the match; the match as the read models show it afterwards."""
    match = await run_in_threadpool(decidable_match, services, principal, match_id)
    position = await run_in_threadpool(
        services.identity.confirm, match.match_id, principal.actor, services.now())
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return services.person_links.match(match_id) or match


async def rule_out(
    services: WebServices, principal: Principal, match_id: UUID
) -> PersonMatchRow:
    match = await run_in_threadpool(decidable_match, services, principal, match_id)
    position = await run_in_threadpool(
        services.identity.rule_out, match.match_id, principal.actor, services.now())
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return services.person_links.match(match_id) or match
