"""The intake form: a valid intake lands in the case list at once; a refused one is shown again
with each problem next to its field, and leaves nothing behind."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Platform
from tests.web.conftest import Clients, an_intake_form, follower_of, ids_of, record_intake

INTAKE_URL = "/cities/firenze/intake"


def error_next_to(page: str, field: str) -> str:
    """The text of the error shown under a field ('' when there is none)."""
    match = re.search(rf'<div class="invalid-feedback d-block" id="{field}-error">(.*?)</div>',
                      page, re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def test_the_form_offers_every_field_in_italian(client: TestClient) -> None:
    response = client.get(INTAKE_URL)

    assert response.status_code == 200
    page = html.unescape(response.text)
    for label in ("Nome", "Cognome", "Data di nascita", "Documento d'identità",
                  "Numero del documento", "Telefono", "E-mail", "Data di presa in carico",
                  "Status di protezione", "Scadenza del permesso",
                  "Situazione rispetto all'accoglienza", "Data di uscita dall'accoglienza",
                  "Data di uscita prevista", "Tipo di centro di accoglienza",
                  "Sesso (come da documenti)", "Cittadinanza",
                  "Componenti del nucleo familiare", "Informativa (art. 13 GDPR) fornita il",
                  "Lingua dell'informativa"):
        assert label in page, label
    # The eleven categories of art. 17 c.1 and "other" (the list is illustrative: "quali").
    assert page.count('name="vulnerabilities"') == 12
    assert 'name="other_vulnerability_description"' in page
    assert "Minori stranieri non accompagnati" in page
    assert '<option value="ER">Eritrea</option>' in page
    assert '<option value="CI">Costa d’Avorio</option>' in page
    assert '<option value="ti">tigrino</option>' in page


def test_the_form_offers_the_statuses_of_the_period_and_the_reception_names_by_date(
    client: TestClient,
) -> None:
    """DOMAIN.md, "Legal notes": the statuses of the period; SPRAR, SIPROIMI, SAI, CAS,
    government first-reception centres and hotspots as kinds of their own; sex as in the
    documents or not stated; no citizenship for a stateless person."""
    page = html.unescape(client.get(INTAKE_URL).text)
    for status in ("Richiedente protezione internazionale (primo grado)",
                   "Richiedente protezione internazionale ricorrente",
                   "Protezione umanitaria (permesso rilasciato prima del 5 ottobre 2018)",
                   "Casi speciali (d.l. 113/2018, art. 1, c. 9)", "Protezione speciale",
                   "Permesso per protezione sociale, vittime di tratta (art. 18 TUI)",
                   "Apolide", "Senza permesso valido (diniego o permesso scaduto)",
                   "Altro permesso di soggiorno"):
        assert f">{status}</option>" in page, status
    for kind in ("SPRAR (fino al 4 ottobre 2018)", "SIPROIMI (dal 5 ottobre 2018 al 21 ottobre "
                 "2020)", "SAI (dal 22 ottobre 2020)", "Centro governativo di prima accoglienza",
                 "Hotspot"):
        assert f">{kind}</option>" in page, kind
    assert ">Persona ospite di un centro di accoglienza</option>" in page
    assert '<option value="none">Nessuna cittadinanza (apolide)</option>' in page
    assert re.findall(r'name="sex" value="(\w+)"', page) == ["female", "male", "not_stated"]


def test_consent_is_asked_only_for_what_rests_on_it(client: TestClient) -> None:
    """Issue 12 item 5 (GDPR art. 6(1)(e), recital 43): taking in needs no consent; the form
    asks only for the purposes resting on consent; sharing with partners is asked on the case
    page, where it names each organisation (a consent naming none would cover none of them)."""
    page = html.unescape(client.get(INTAKE_URL).text)
    assert re.findall(r'name="consents" value="(\w+)"', page) == ["photographs"]
    assert "registralo nella pagina del caso" in page
    assert "la presa in carico non richiede il consenso" in page


def test_a_recorded_intake_leads_to_the_case_list_which_already_shows_it(
    client: TestClient, platform: Platform
) -> None:
    response = client.post(INTAKE_URL, data=an_intake_form(), follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/cities/firenze/cases?created=")
    case_list = client.get(response.headers["location"])
    assert "Presa in carico registrata: il codice del caso è FI-2021-00001." in case_list.text
    assert ">FI-2021-00001</a>" in case_list.text
    person = platform.vault.read(ids_of(platform).issued[-1])
    assert person is not None
    assert (person.given_name, person.family_name) == ("Amanuel", "Tesfaye")


def test_the_case_list_says_when_it_does_not_show_the_new_case_yet(
    client: TestClient, platform: Platform
) -> None:
    follower_of(platform).following = False

    response = client.post(INTAKE_URL, data=an_intake_form())

    assert response.status_code == 200
    assert "l'elenco potrebbe non mostrarla ancora" in html.unescape(response.text)
    assert "FI-2021-00001" not in response.text


REFUSED_INTAKES: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "a centre named SAI in 2019": (
        {"reception_centre_kind": "sai", "left_reception_on": "2019-09-01"},
        {"reception_centre_kind": "In quella data il centro non aveva quel nome"},
    ),
    "in reception without the kind of centre": (
        {"reception_situation": "in_reception", "left_reception_on": "",
         "reception_centre_kind": ""},
        {"reception_centre_kind": "per chi è ospite di un centro indicare il tipo di centro"},
    ),
    "missing fields": (
        {"given_name": "  ", "birth_date": "", "protection_status": "", "sex": ""},
        {"given_name": "Campo obbligatorio.", "birth_date": "Campo obbligatorio.",
         "protection_status": "Campo obbligatorio.", "sex": "Campo obbligatorio."},
    ),
    "a date that does not exist": (
        {"birth_date": "1994-02-30"},
        {"birth_date": "Inserire una data valida (giorno, mese e anno)."},
    ),
    "an intake date after the programme's period": (
        {"intake_date": "2099-01-01"},
        {"intake_date": "La data di presa in carico deve cadere nel periodo del programma, "
                        "dal 1 luglio 2019 al 31 dicembre 2021 (il Ministero può prorogarlo)."},
    ),
    "an intake date before the programme's period": (
        {"intake_date": "2019-06-30", "left_reception_on": "2019-06-01"},
        {"intake_date": "La data di presa in carico deve cadere nel periodo del programma, "
                        "dal 1 luglio 2019 al 31 dicembre 2021"},
    ),
    "an intake date in the future, within the period": (
        {"intake_date": "2021-12-01"},
        {"intake_date": "La data di presa in carico non può essere nel futuro."},
    ),
    "leaving reception after the intake": (
        {"left_reception_on": "2021-04-01"},
        {"left_reception_on": "non successiva alla presa in carico"},
    ),
    "leaving reception without a date": (
        {"left_reception_on": ""},
        {"left_reception_on": "per chi ne è uscito, indicare la data di uscita"},
    ),
    "an adult marked as an unaccompanied minor": (
        {"vulnerabilities": ["unaccompanied_minor"]},
        {"vulnerabilities": "In base alla data di nascita la persona è maggiorenne"},
    ),
    "a consent to what does not rest on consent": (
        {"consents": ["case_management"]},
        {"consents": "Il consenso si chiede solo per ciò che si fonda su di esso"},
    ),
    "a notice given after the intake": (
        {"information_notice_given_on": "2021-03-11"},
        {"information_notice_given_on": "al più tardi alla data della presa in carico"},
    ),
    "a humanitarian permit without its expiry": (
        {"protection_status": "humanitarian_protection"},
        {"permit_expires_on": "il permesso per protezione umanitaria vale solo fino alla "
                              "scadenza"},
    ),
    "a stateless person with a citizenship": (
        {"protection_status": "stateless"},
        {"citizenship": "Un apolide non ha cittadinanza"},
    ),
    "a document number for a person without documents": (
        {"has_identity_document": "false"},
        {"document_number": "La persona risulta senza documento d'identità"},
    ),
    "a household that is not a number": (
        {"household_size": "tre"},
        {"household_size": "Inserire un numero intero."},
    ),
    "an empty household": (
        {"household_size": "0"},
        {"household_size": "Il nucleo familiare deve contare da 1 a 30 persone."},
    ),
    "an unknown citizenship": (
        {"citizenship": "XY"},
        {"citizenship": "Scegliere la cittadinanza fra i Paesi proposti"},
    ),
    # Issue 14: every problem at once, the rules on the readable fields told while another
    # field is missing (it took five submits).
    "five wrong fields at once": (
        {"intake_date": "2021-12-01", "birth_date": "2021-12-15", "household_size": "0",
         "given_name": "", "information_notice_given_on": "2021-12-20"},
        {"intake_date": "La data di presa in carico non può essere nel futuro.",
         "birth_date": "La data di nascita non può essere successiva",
         "household_size": "Il nucleo familiare deve contare da 1 a 30 persone.",
         "given_name": "Campo obbligatorio.",
         "information_notice_given_on": "al più tardi alla data della presa in carico"},
    ),
    "an e-mail address without a domain": (
        {"email": "amanuel@"},
        {"email": "Inserire un indirizzo e-mail valido"},
    ),
}


@pytest.mark.parametrize("changes, errors", REFUSED_INTAKES.values(), ids=REFUSED_INTAKES.keys())
def test_a_refused_intake_is_shown_again_with_each_error_next_to_its_field_and_writes_nothing(
    client: TestClient, clients: Clients, platform: Platform, changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    record_intake(clients)
    [recorded_id] = ids_of(platform).issued
    position_before = platform.last_written_position()

    response = client.post(INTAKE_URL, data=an_intake_form(**changes))

    assert response.status_code == 422
    for field, message in errors.items():
        assert message in error_next_to(response.text, field), field
    summary = html.unescape(response.text.split('id="error-summary"')[1].split("</div>")[0])
    assert len(re.findall(r'<li><a href="#\w+">', summary)) == len(errors)
    assert 'value="Tesfaye"' in response.text  # what was typed is kept
    assert platform.last_written_position() == position_before
    assert all(platform.vault.read(refused) is None for refused in ids_of(platform).issued[1:])
    assert platform.vault.read(recorded_id) is not None


def test_the_error_summary_names_each_field_and_links_to_it(client: TestClient) -> None:
    response = client.post(INTAKE_URL, data=an_intake_form(family_name="", citizenship=""))

    page = html.unescape(response.text)
    assert '<a href="#family_name">Cognome: Campo obbligatorio.</a>' in page
    assert '<a href="#citizenship">Cittadinanza: Campo obbligatorio.</a>' in page
    assert 'id="family_name"' in page and 'id="citizenship"' in page


def test_a_refused_intake_keeps_the_ticked_boxes(client: TestClient) -> None:
    response = client.post(INTAKE_URL, data=an_intake_form(
        given_name="", vulnerabilities=["pregnancy", "trafficking_victim"]))

    assert response.status_code == 422
    assert 'value="pregnancy" checked' in response.text
    assert 'value="trafficking_victim" checked' in response.text
    assert 'value="elderly" checked' not in response.text


def test_a_child_is_recorded_as_a_minor_even_if_not_ticked(client: TestClient) -> None:
    response = client.post(INTAKE_URL, data=an_intake_form(
        birth_date="2006-01-15", vulnerabilities=["unaccompanied_minor"]))

    assert response.status_code == 200
    assert "Minore di 18 anni" in response.text
    assert "Minori stranieri non accompagnati" in response.text
    assert 'title="Minori"' in response.text


def test_an_intake_for_an_unknown_city_is_not_found(client: TestClient) -> None:
    response = client.post("/cities/atlantide/intake", data=an_intake_form())

    assert response.status_code == 404
    assert "«atlantide» non è un Comune della rete" in response.text


ACCEPTED_INTAKES: dict[str, dict[str, Any]] = {
    # DOMAIN.md: Sub-Action 2's applicants are usually still hosted in reception.
    "an applicant hosted in a CAS": {
        "protection_status": "asylum_seeker", "reception_situation": "in_reception",
        "left_reception_on": "", "reception_centre_kind": "cas"},
    # The card: "persone in uscita dai centri".
    "a person leaving SAI": {
        "reception_situation": "leaving_reception", "left_reception_on": "",
        "planned_exit_on": "2021-04-15", "reception_centre_kind": "sai"},
    "a stateless person without any document, sex not stated": {
        "protection_status": "stateless", "citizenship": "none", "sex": "not_stated",
        "has_identity_document": "false", "document_number": ""},
    "a person who consents to sharing with a named partner": {
        "consents": ["referral_to_named_partner"]},
}


@pytest.mark.parametrize("changes", ACCEPTED_INTAKES.values(), ids=ACCEPTED_INTAKES.keys())
def test_people_the_card_allows_are_taken_in(
    client: TestClient, platform: Platform, changes: dict[str, Any],
) -> None:
    """Issue 12: "nothing is refused that the card allows"."""
    response = client.post(INTAKE_URL, data=an_intake_form(**changes), follow_redirects=False)
    assert response.status_code == 303, html.unescape(response.text)
