"""The grant's pages (issue 13): a city's coordinator drafts a claim with its evidence, attaches
the invoice and the proof of payment, submits it; the ministry admits it partly; the figures
appear on the city's and the action's statements, in the CSV, Italian CSV, XLSX and PDF files
stamped like every export. Every refusal says why in Italian and in English and writes nothing;
a city never sees another city's claims."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from openpyxl import load_workbook

from domain.programme import Role
from infra.bootstrap import Platform
from infra.demo.finance import DEMO_BUDGET_FILE
from infra.finance_allocations import load_budget
from tests.web.conftest import Clients, follower_of

A_PDF = b"%PDF-1.4\n% Grant pages\n%%EOF\n"


def a_claim_form(**overrides: str) -> dict[str, str]:
    form = {"sub_action": "3", "heading": "services", "supplier": "Cooperativa Il Ponte",
            "document_number": "FT 7/2021", "document_date": "2021-02-01",
            "gross_amount": "1.220,00", "eligible_amount": "1.000,00",
            "vat_treatment": "recoverable", "payment_date": "2021-02-15",
            "cup": "J41H19000010001", "cig": ""}
    form.update(overrides)
    return form


def drafted(clients: Clients, city: str = "milano", **overrides: str) -> str:
    response = clients.coordinator(city).post(f"/cities/{city}/grant/claims",
                                              data=a_claim_form(**overrides),
                                              follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    claim_id: str = urlsplit(response.headers["location"]).path.rsplit("/", 1)[-1]
    return claim_id


def attach(clients: Clients, claim_id: str, *kinds: str, city: str = "milano") -> None:
    for kind in kinds:
        attached = clients.coordinator(city).post(
            f"/api/v1/claims/{claim_id}/documents", data={"kind": kind},
            files={"file": ("a.pdf", A_PDF, "application/pdf")})
        assert attached.status_code == 201, attached.text


def submitted(clients: Clients, city: str = "milano", **overrides: str) -> str:
    claim_id = drafted(clients, city, **overrides)
    attach(clients, claim_id, "invoice", "proof_of_payment", city=city)
    response = clients.coordinator(city).post(f"/grant-claims/{claim_id}/submission",
                                              follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    return claim_id


def adopted(platform: Platform) -> None:
    load_budget(platform.grants, DEMO_BUDGET_FILE, platform.now())
    follower_of(platform).catch_up()


def test_a_claim_from_draft_to_partial_admission_reaches_the_statements(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    claim_id = submitted(clients)
    ministry = clients.ministry()
    admitted = ministry.post(f"/grant-claims/{claim_id}/admission", data={
        "part_1_amount": "150,00", "part_1_reason": "outside_period",
        "part_2_amount": "0,50", "part_2_reason": "duplicate"}, follow_redirects=False)
    assert admitted.status_code == 303, admitted.text[:2000]

    page = clients.coordinator("milano").get(f"/grant-claims/{claim_id}").text
    assert "Cooperativa Il Ponte" in page and "FT 7/2021" in page  # the record's evidence
    assert "849,50" in page and "150,00" in page
    city = clients.coordinator("milano").get("/cities/milano/grant").text
    assert "849,50" in city
    # Indirect costs on the admitted direct costs: 849.50 × 7% = 59.465 → 59.46.
    assert "59,46" in city
    action = ministry.get("/finance/grant").text
    assert "11.434.653,45" in action  # the action's total cost, the demo budget's total

    export = ministry.get("/finance/grant/statement/export.csv-it", params={"of": "milano"})
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[2][0] == "Posizione nel registro degli eventi" and int(rows[2][1]) > 0
    admitted_line = next(row for row in rows if row[1:3] == ["3", "Servizi e subappalti"])
    assert admitted_line[4] == "849,50" and admitted_line[6] == "150,50"
    totals = {row[0]: row for row in rows if len(row) > 4}
    assert totals["Costi indiretti (forfettari)"][4] == "59,46"
    assert totals["Costi totali"][4] == "908,96"
    # 90% of 908.96 = 818.064 → 818.06 financed; 90.90 co-financing.
    assert totals["Finanziato dalla sovvenzione"][4] == "818,06"
    assert totals["Cofinanziamento"][4] == "90,90"

    workbook = ministry.get("/cities/milano/grant/statement/export.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any(row[4] == 849.5 for row in values if len(row) > 4)
    pdf = clients.coordinator("milano").get("/cities/milano/grant/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith('attachment; filename="statement-')


def test_a_statement_as_of_a_day_before_the_budget_shows_nothing_admitted(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    earlier = clients.ministry().get("/finance/grant/statement",
                                     params={"of": "firenze", "as_of": "2019-01-01"})
    assert earlier.status_code == 200
    assert "346.000,00" not in earlier.text
    now = clients.ministry().get("/finance/grant/statement", params={"of": "firenze"})
    assert "346.000,00" in now.text


def test_a_claim_without_proof_of_payment_is_not_submitted_and_the_reason_is_given(
    clients: Clients,
) -> None:
    claim_id = drafted(clients)
    attach(clients, claim_id, "invoice")
    coordinator = clients.coordinator("milano")
    refused = coordinator.post(f"/grant-claims/{claim_id}/submission")
    assert refused.status_code == 422
    assert "Allegare la fattura e la quietanza di pagamento" in refused.text
    english = coordinator.post(f"/grant-claims/{claim_id}/submission",
                               params={"lang": "en"})
    assert "Attach the invoice and the proof of payment" in english.text
    page = coordinator.get(f"/grant-claims/{claim_id}", params={"lang": "it"}).text
    assert "Bozza" in page  # still a draft


def test_an_operator_sees_what_is_attached_without_a_link_to_the_files(
    clients: Clients,
) -> None:
    """The files are for whoever may read a claim's files: the crawl found the operator's page
    linking to a file that answered 403."""
    claim_id = drafted(clients)
    attach(clients, claim_id, "invoice")
    document_link = 'href="/claim-documents/'

    coordinator_page = clients.coordinator("milano").get(f"/grant-claims/{claim_id}").text
    operator_page = clients.operator("milano").get(f"/grant-claims/{claim_id}").text

    assert document_link in coordinator_page
    assert document_link not in operator_page
    # The kind translated and the file's name (the one it downloads under), never the codes.
    [document] = clients.coordinator("milano").get(f"/api/v1/claims/{claim_id}/documents").json()
    name = f"claim-{claim_id[:8]}-invoice-{document['document_id'][:8]}.pdf"
    assert f"Fattura · {name}" in operator_page
    assert f">{name}</a>" in coordinator_page
    english = clients.operator("milano").get(f"/grant-claims/{claim_id}",
                                             params={"lang": "en"}).text
    assert f"Invoice · {name}" in english
    for page in (operator_page, coordinator_page, english):
        assert "application/pdf" not in page and "invoice ·" not in page


def test_a_claim_shows_its_admitted_amount_only_once_checked(
    clients: Clients, platform: Platform,
) -> None:
    """A draft or a submitted claim has nothing admitted yet: no "Ammessa € 0,00"."""
    adopted(platform)
    claim_id = drafted(clients)
    coordinator = clients.coordinator("milano")
    admitted = 'class="col-sm-8 admitted-amount"'
    assert admitted not in coordinator.get(f"/grant-claims/{claim_id}").text
    attach(clients, claim_id, "invoice", "proof_of_payment")
    assert coordinator.post(f"/grant-claims/{claim_id}/submission",
                            follow_redirects=False).status_code == 303
    submitted_page = coordinator.get(f"/grant-claims/{claim_id}").text
    assert admitted not in submitted_page and "Quietanza di pagamento ·" in submitted_page
    row = coordinator.get("/cities/milano/grant").text.split(
        f'data-grant-claim="{claim_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Non ancora verificata" in row and "€" not in row.split("1.000,00", 1)[1]
    assert clients.ministry().post(f"/grant-claims/{claim_id}/admission", data={
        "part_1_amount": "100,00", "part_1_reason": "duplicate"},
        follow_redirects=False).status_code == 303
    checked = coordinator.get(f"/grant-claims/{claim_id}").text
    assert f'{admitted}>€ 900,00' in checked.replace("\xa0", " ")
    row = coordinator.get("/cities/milano/grant").text.split(
        f'data-grant-claim="{claim_id}"', 1)[1].split("</tr>", 1)[0]
    assert "900,00" in row and "Non ancora verificata" not in row


def test_bad_evidence_is_refused_in_italian_and_english(clients: Clients) -> None:
    coordinator = clients.coordinator("milano")
    for field, value, italian, english in [
        ("cup", "J41H1900001000", "Controllare le evidenze della spesa",
         "Check the claim"),
        ("eligible_amount", "١٢٣,٠٠", "importo in euro",
         "Give the amount in euros"),
        ("eligible_amount", "1.500,00", "importo in euro",
         "Give the amount in euros"),  # more than the gross amount
    ]:
        page = coordinator.post("/cities/milano/grant/claims",
                                data=a_claim_form(**{field: value}), params={"lang": "it"})
        assert page.status_code == 422 and italian in page.text, field
        page = coordinator.post("/cities/milano/grant/claims",
                                data=a_claim_form(**{field: value}),
                                params={"lang": "en"})
        assert page.status_code == 422 and english in page.text, field
    assert "J41H19000010001" not in coordinator.get("/cities/milano/grant").text


def test_four_eyes_a_large_admission_waits_for_a_second_ministry_user(
    clients: Clients, platform: Platform,
) -> None:
    claim_id = submitted(clients, gross_amount="60.000,00", eligible_amount="60.000,00",
                         vat_treatment="exempt")
    ministry = clients.ministry()
    assert ministry.post(f"/grant-claims/{claim_id}/admission",
                         follow_redirects=False).status_code == 303
    again = ministry.post(f"/grant-claims/{claim_id}/confirmation")
    assert again.status_code == 422
    assert "Quattro occhi" in again.text
    english = ministry.post(f"/grant-claims/{claim_id}/confirmation",
                            params={"lang": "en"})
    assert "Four eyes" in english.text
    second = clients.user("ministry.second", Role.MINISTRY)
    assert second.post(f"/grant-claims/{claim_id}/confirmation",
                       follow_redirects=False).status_code == 303
    assert "Ammessa" in second.get(f"/grant-claims/{claim_id}").text


def test_a_rejected_claim_is_answered_by_a_corrected_one_linked_to_it(
    clients: Clients,
) -> None:
    claim_id = submitted(clients)
    rejected = clients.ministry().post(f"/grant-claims/{claim_id}/rejection",
                                       data={"reason": "no_proof"}, follow_redirects=False)
    assert rejected.status_code == 303
    answer = clients.coordinator("milano").get(f"/grant-claims/{claim_id}").text
    assert f"/cities/milano/grant?corrects={claim_id}" in answer
    form = clients.coordinator("milano").get("/cities/milano/grant",
                                             params={"corrects": claim_id}).text
    assert f'value="{claim_id}"' in form
    corrected = drafted(clients, corrects=claim_id)
    page = clients.coordinator("milano").get(f"/grant-claims/{claim_id}").text
    assert corrected in page
    assert claim_id in clients.coordinator("milano").get(f"/grant-claims/{corrected}").text
    # Once only.
    twice = clients.coordinator("milano").post("/cities/milano/grant/claims",
                                               data=a_claim_form(corrects=claim_id))
    assert twice.status_code == 422


def test_a_city_never_sees_another_city_s_claims_or_their_evidence(clients: Clients) -> None:
    claim_id = submitted(clients)
    florence = clients.coordinator("firenze")
    assert florence.get(f"/grant-claims/{claim_id}").status_code == 404
    assert florence.post(f"/grant-claims/{claim_id}/submission").status_code == 404
    assert florence.get("/cities/milano/grant").status_code == 403
    assert "Cooperativa" not in florence.get("/cities/firenze/grant").text
    assert florence.get("/finance/grant").status_code == 403
    assert clients.coordinator("milano").post(
        f"/grant-claims/{claim_id}/admission").status_code == 403


def first_stamp(rows: list[list[str]]) -> Any:
    return datetime.fromisoformat(rows[1][1])


def test_the_dashboards_expenditure_shows_absorption_and_the_claims_awaiting_with_their_age(
    clients: Clients, platform: Platform,
) -> None:
    """Issue 13 item 5: absorption per co-beneficiary and per heading, claims pending and age."""
    adopted(platform)
    admitted = submitted(clients)
    assert clients.ministry().post(f"/grant-claims/{admitted}/admission",
                                   follow_redirects=False).status_code == 303
    submitted(clients, gross_amount="333,33", eligible_amount="333,33",
              vat_treatment="exempt")
    ministry = clients.ministry().get("/ministry/dashboard", params={"lang": "it"}).text
    assert "Assorbimento per co-beneficiario" in ministry
    assert "Assorbimento per voce di costo" in ministry
    awaiting = clients.ministry().get("/ministry/dashboard/grant_awaiting/export.csv")
    assert awaiting.status_code == 200
    rows = list(csv.reader(io.StringIO(awaiting.content.decode("utf-8-sig"))))
    assert [row[2:] for row in rows[-1:]] == [["333.33", "0"]]  # eligible amount, days waiting
    by_co_beneficiary = clients.ministry().get(
        "/ministry/dashboard/grant_co_beneficiaries/export.csv")
    lines = {row[0]: row for row in csv.reader(
        io.StringIO(by_co_beneficiary.content.decode("utf-8-sig"))) if row}
    # Milan: 1,000.00 admitted + 70.00 indirect = 1,070.00 of its budget.
    assert lines["Milano"][2] == "1070.00"
    assert lines["Firenze"][1] == "346000.00"
    city = clients.coordinator("milano").get("/cities/milano/dashboard/grant_awaiting/export.csv")
    assert city.status_code == 200 and "333.33" in city.text
    florence = clients.coordinator("firenze").get(
        "/cities/firenze/dashboard/grant_awaiting/export.csv")
    assert "333.33" not in florence.text  # a city's dashboard lists its own claims only
