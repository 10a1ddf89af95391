"""Irreversible commands ask first (issue 14): approving a claim, marking an activity as ended.

Their button posts without `confirm`; the answer is a page (confirm.html) that says what will
happen and on what, with a button that posts to the same address again with `confirm=1`, and a
way back. It needs no JavaScript. The API is not asked: a client means what it sends."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import HTMLResponse

from web.kit.templating import Pages

CONFIRM_FIELD = "confirm"
CONFIRMED = "1"


async def confirmed(request: Request) -> bool:
    """Whether the form posted the confirmation (`confirm=1`) of an irreversible command."""
    form = await request.form()
    return form.get(CONFIRM_FIELD) == CONFIRMED


def ask_to_confirm(
    request: Request, pages: Pages, *, question: str, consequence: str,
    facts: Sequence[tuple[str, str]], button: str, back: str,
) -> HTMLResponse:
    """The page that asks before an irreversible command (confirm.html): it posts to the same
    address with `confirm=1`; nothing is done until then."""
    return pages.render(request, "confirm.html", {
        "question": question, "consequence": consequence, "facts": facts, "button": button,
        "back": back, "action": request.url.path,
    })
