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
    for label in ("Nome", "Cognome", "Data di nascita", "Numero del documento", "Telefono",
                  "E-mail", "Data di presa in carico", "Status di protezione",
                  "Situazione rispetto all'accoglienza", "Data di uscita dall'accoglienza",
                  "Tipo di struttura lasciata", "Sesso", "Cittadinanza",
                  "Componenti del nucleo familiare", "Data del consenso"):
        assert label in page, label
    assert page.count('name="vulnerabilities"') == 11
    assert "Minori stranieri non accompagnati" in page
    assert "Richiedente protezione internazionale" in page
    assert '<option value="ER">Eritrea</option>' in page
    assert '<option value="CI">Costa d’Avorio</option>' in page
    assert page.count('name="consent_scopes"') == 3


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
    "still in reception": (
        {"reception_situation": "in_reception", "left_reception_on": "",
         "reception_centre_kind": ""},
        {"reception_situation": "La persona è ancora nel sistema di accoglienza e non può "
                                "essere presa in carico"},
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
        {"intake_date": "2999-01-01", "consent_given_on": "2021-03-10"},
        {"intake_date": "La data di presa in carico deve cadere nel periodo del programma, "
                        "dal 1 luglio 2019 al 31 dicembre 2021 (il Ministero può prorogarlo)."},
    ),
    "an intake date before the programme's period": (
        {"intake_date": "2019-06-30", "consent_given_on": "2019-06-30",
         "left_reception_on": "2019-06-01"},
        {"intake_date": "La data di presa in carico deve cadere nel periodo del programma, "
                        "dal 1 luglio 2019 al 31 dicembre 2021"},
    ),
    "an intake date in the future, within the period": (
        {"intake_date": "2021-12-01", "consent_given_on": "2021-03-10"},
        {"intake_date": "La data di presa in carico non può essere nel futuro."},
    ),
    "leaving reception after the intake": (
        {"left_reception_on": "2021-04-01"},
        {"left_reception_on": "non successiva alla presa in carico"},
    ),
    "leaving reception without a date": (
        {"left_reception_on": ""},
        {"left_reception_on": "indicare la data di uscita"},
    ),
    "an adult marked as an unaccompanied minor": (
        {"vulnerabilities": ["unaccompanied_minor"]},
        {"vulnerabilities": "In base alla data di nascita la persona è maggiorenne"},
    ),
    "no consent to case management": (
        {"consent_scopes": ["statistics"]},
        {"consent_scopes": "Senza il consenso al trattamento dei dati per la gestione del caso"},
    ),
    "a household that is not a number": (
        {"household_size": "tre"},
        {"household_size": "Inserire un numero intero."},
    ),
    "an empty household": (
        {"household_size": "0"},
        {"household_size": "Il nucleo familiare deve contare da 1 a 30 persone."},
    ),
    "an unknown nationality": (
        {"nationality": "XY"},
        {"nationality": "Scegliere la cittadinanza fra i Paesi proposti"},
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
    response = client.post(INTAKE_URL, data=an_intake_form(family_name="", nationality=""))

    page = html.unescape(response.text)
    assert '<a href="#family_name">Cognome: Campo obbligatorio.</a>' in page
    assert '<a href="#nationality">Cittadinanza: Campo obbligatorio.</a>' in page
    assert 'id="family_name"' in page and 'id="nationality"' in page


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
