"""Issue 14: the developer documentation out of every user's menu (item 12), one statistic for
referral answer times (item 14), and the event browser's words (item 15)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from domain.programme import City, Role
from events.catalogue import CONTRACTS
from infra.bootstrap import Platform
from tests.web.conftest import Clients, clock_of, record_intake, sign_in
from web.kit.i18n import Catalogues
from web.kit.labels import Labels

SCHEMAS = 'href="/docs/events/schemas"'


def menu_of(page: str) -> str:
    return page[page.index('id="main-navigation"'):page.index("</nav>", page.index(
        'id="main-navigation"'))]


def footer_of(page: str) -> str:
    return page[page.index('<footer'):]


def test_the_event_contracts_are_in_the_footer_and_only_in_partner_and_auditor_menus(
    clients: Clients,
) -> None:
    for viewer in (clients.coordinator(), clients.operator(), clients.ministry()):
        page = viewer.get("/").text
        assert SCHEMAS not in menu_of(page)
        assert SCHEMAS in footer_of(page)
    auditor = clients.auditor().get("/").text
    assert SCHEMAS in menu_of(auditor)
    sign_in_page = clients.anonymous().get("/sign-in").text
    assert 'id="main-navigation"' not in sign_in_page  # signed out, no (empty) menu
    assert SCHEMAS not in sign_in_page[:sign_in_page.index("<footer")]
    assert SCHEMAS in footer_of(sign_in_page)
    assert "per chi sviluppa i sistemi dei partner" in footer_of(sign_in_page)


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_event_type_has_a_label_and_every_actor_kind_a_word(language: str) -> None:
    labels = Labels(Catalogues().translator(language))

    unlabelled = [ce_type for ce_type in CONTRACTS if labels.event_type(ce_type) == ce_type]

    assert unlabelled == []
    assert labels.event_type("it.lgnet.audit.checkpoint_signed.v1") == {
        "it": "Punto di controllo della catena di audit firmato",
        "en": "Audit chain checkpoint signed"}[language]
    assert labels.actor_kind("user") == {"it": "Utente", "en": "User"}[language]
    assert labels.actor_kind("system") == {"it": "Sistema", "en": "System"}[language]


def test_the_event_browser_says_who_recorded_an_event_in_the_reader_s_words(
    clients: Clients,
) -> None:
    record_intake(clients, "milano")
    auditor = clients.auditor()

    italian = html.unescape(auditor.get("/audit/events", params={"lang": "it"}).text)
    english = html.unescape(auditor.get("/audit/events", params={"lang": "en"}).text)

    recorded_by = re.compile(r"<dt[^>]*>(?:Registrato da|Recorded by)</dt>\s*<dd[^>]*>(.*?)</dd>",
                             re.S)
    [it_actor] = recorded_by.findall(italian)
    [en_actor] = recorded_by.findall(english)
    assert it_actor.startswith("Utente <code>milano.coordinator</code>")
    assert en_actor.startswith("User <code>milano.coordinator</code>")
    assert "<code>user</code>" not in italian


def _answer_after(clients: Clients, platform: Platform, case_id: str, hours: int) -> None:
    """Refer the case, move the clock `hours` on, and record the service's acceptance."""
    clients.add_user("milano.operator", Role.CITY_OPERATOR, City.MILANO)
    operator = sign_in(clients.anonymous(), "milano.operator")  # sessions idle out
    referred = operator.post(
        f"/api/v1/cases/{case_id}/referrals",
        json={"destination_kind": "city_service", "service": "health"})
    assert referred.status_code == 201, referred.text
    clock_of(platform).advance(timedelta(hours=hours))
    operator = sign_in(clients.anonymous(), "milano.operator")
    accepted = operator.post(f"/api/v1/referrals/{referred.json()['referral_id']}/acceptance",
                             json={})
    assert accepted.status_code == 200, accepted.text


def test_referral_answer_times_are_the_median_and_90th_percentile_everywhere(
    clients: Clients, platform: Platform,
) -> None:
    """Answers after 1, 2 and 10 hours: median 2, 90th percentile 1.8 ranks up the sorted
    times (PERCENTILE.INC): 2 + 0.8 × (10 − 2) = 8.4 hours; the mean (4.3) is shown nowhere."""
    case_id = record_intake(clients, "milano")["case_id"]
    for hours in (1, 2, 10):
        _answer_after(clients, platform, case_id, hours)
    operator: TestClient = sign_in(clients.anonymous(), "milano.operator")

    times = operator.get("/api/v1/cities/milano/referrals").json()["response_times"]
    board = html.unescape(operator.get("/cities/milano/referrals").text)
    dashboard = html.unescape(operator.get("/cities/milano/dashboard").text)

    assert (times["median_hours"], times["p90_hours"]) == ("2.0", "8.4")
    assert re.search(r'id="median-answer-hours">2</p>\s*<p class="mb-0">Ore per la risposta '
                     r'\(mediana\)</p>', board)
    assert "9 risposte su 10 entro 8,4 ore (90° percentile)" in board
    assert "medie" not in board and "4,3" not in board
    assert re.search(r"Tempo di risposta mediano \(ore\)</th>\s*<td[^>]*>\s*"
                     r"(<a[^>]*>)?2(</a>)?</td>", dashboard)
