"""Issue 13, what the grant's pages lacked: the ministry's payments to the co-beneficiaries
(payments received vs due, on the page, in the CSV, Italian CSV, XLSX and PDF), and the lead and
national partners' claims entered by the ministry's finance office with their invoice and proof
of payment, checked by another ministry user. Every refusal is a 4xx that says why in Italian and
English and writes nothing; a city never sees the partners' claims or their evidence."""

from __future__ import annotations

import csv
import io
import zlib
from decimal import Decimal
from urllib.parse import urlsplit

from openpyxl import load_workbook

from domain.finance.grant import BudgetFigures, GrantTerms, payment_ceiling
from domain.programme import CARD_TERMS, Role
from infra.bootstrap import Platform
from infra.demo.finance import DEMO_BUDGET_FILE
from infra.finance_allocations import read_budget
from tests.web.conftest import TODAY_IN_ITALY, Clients
from tests.web.test_grant_pages import A_PDF, a_claim_form, adopted, submitted


def milan_ceiling() -> Decimal:
    budget = read_budget(DEMO_BUDGET_FILE, GrantTerms(), CARD_TERMS)
    return payment_ceiling(BudgetFigures(budget.lines), "milano", GrantTerms())


def pdf_text(content: bytes) -> str:
    """The text fpdf2 wrote in a PDF's content streams (compressed with zlib), as Latin-1."""
    texts = []
    for part in content.split(b"stream")[1:]:
        body = part.split(b"endstream", 1)[0].strip(b"\r\n")
        try:
            texts.append(zlib.decompress(body).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(texts)


def a_payment(**overrides: str) -> dict[str, str]:
    form = {"co_beneficiary": "milano", "kind": "pre_financing", "amount": "1.000,00",
            "value_date": TODAY_IN_ITALY, "reference": "MP-2021/0001"}
    form.update(overrides)
    return form


def test_a_payment_is_recorded_and_the_statements_show_received_and_due(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    claim_id = submitted(clients)  # 1,000.00 eligible
    ministry = clients.ministry()
    assert ministry.post(f"/grant-claims/{claim_id}/admission",
                         follow_redirects=False).status_code == 303
    recorded = ministry.post("/finance/grant/payments", data=a_payment(amount="500,25"),
                             follow_redirects=False)
    assert recorded.status_code == 303, recorded.text[:2000]
    assert "done=record_grant_payment" in recorded.headers["location"]
    page = ministry.get(recorded.headers["location"] + "&lang=it").text
    assert "Il pagamento è stato registrato." in page
    assert "MP-2021/0001" in page and "Prefinanziamento" in page
    # Admitted 1,000.00 + 70.00 indirect = 1,070.00; financed 90% = 963.00; received 500.25;
    # due 963.00 − 500.25 = 462.75.
    row = page.split('data-co-beneficiary="milano"', 1)[1].split("</tr>", 1)[0]
    assert "500,25" in row and "462,75" in row and "963,00" in row

    statement = ministry.get("/finance/grant/statement", params={"of": "milano"}).text
    assert "500,25" in statement and "462,75" in statement
    for fmt, delimiter, received, due in (("csv", ",", "500.25", "462.75"),
                                          ("csv-it", ";", "500,25", "462,75")):
        export = ministry.get(f"/finance/grant/statement/export.{fmt}",
                              params={"of": "milano", "lang": "it"})
        rows = {row[0]: row for row in csv.reader(
            io.StringIO(export.content.decode("utf-8-sig")), delimiter=delimiter) if row}
        assert rows["Pagamenti ricevuti"][4] == received, fmt
        assert rows["Pagamenti dovuti"][4] == due, fmt
    sheet = load_workbook(io.BytesIO(ministry.get(
        "/cities/milano/grant/statement/export.xlsx", params={"lang": "en"}).content)).active
    assert sheet is not None
    values = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["Payments received"][4] == 500.25
    assert values["Payments due"][4] == 462.75
    pdf = ministry.get("/finance/grant/statement.pdf", params={"of": "milano", "lang": "it"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    received_line = text.split("Pagamenti ricevuti", 1)[1].split("Pagamenti dovuti", 1)[0]
    assert "500,25" in received_line
    assert "462,75" in text.split("Pagamenti dovuti", 1)[1]
    # As of a day before the payment: nothing received, all of it due.
    before = ministry.get("/finance/grant/statement",
                          params={"of": "milano", "as_of": "2019-07-01"}).text
    assert "500,25" not in before
    # The city sees what it was paid on its own statement.
    assert "500,25" in clients.coordinator("milano").get("/cities/milano/grant").text


def test_payments_up_to_the_financed_share_of_the_budget_and_not_a_cent_more(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    ceiling = milan_ceiling()
    ministry = clients.ministry()
    first = ceiling - Decimal("0.01")
    assert ministry.post("/finance/grant/payments", data=a_payment(
        amount=format(first, "f")), follow_redirects=False).status_code == 303
    over = ministry.post("/finance/grant/payments", data=a_payment(
        amount="0,02", reference="MP-2021/0002"), params={"lang": "it"})
    assert over.status_code == 422
    assert "supererebbero quanto la sovvenzione finanzia del suo budget" in over.text
    assert ministry.post("/finance/grant/payments", data=a_payment(
        amount="0,01", reference="MP-2021/0002", kind="balance"),
        follow_redirects=False).status_code == 303
    page = ministry.get("/finance/grant/payments").text
    row = page.split('data-co-beneficiary="milano"', 1)[1].split("</tr>", 1)[0]
    assert 'data-figure="payable">€ 0,00' in row.replace("\xa0", " ")


def test_bad_payments_are_refused_in_italian_and_english_and_nothing_is_written(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    ministry = clients.ministry()
    for field, value, italian, english in [
        ("amount", "١٠٠,٠٠", "importo in euro", "Give the amount in euros"),
        ("amount", "0,00", "importo in euro", "Give the amount in euros"),
        ("amount", "10,001", "importo in euro", "Give the amount in euros"),
        ("value_date", "2099-01-01", "non può essere nel futuro", "cannot be in the future"),
        ("reference", "pagato a Rossi", "numero del mandato di pagamento",
         "number: up to 40 letters"),
        ("co_beneficiary", "caritas", "Non è un co-beneficiario", "not a co-beneficiary"),
        ("kind", "gift", "Scegliere una delle opzioni", "Choose one of the options"),
    ]:
        page = ministry.post("/finance/grant/payments", data=a_payment(**{field: value}),
                             params={"lang": "it"})
        assert page.status_code == 422 and italian in page.text, (field, page.text[-3000:])
        assert "Il pagamento non è stato registrato" in page.text
        page = ministry.post("/finance/grant/payments", data=a_payment(**{field: value}),
                             params={"lang": "en"})
        assert page.status_code == 422 and english in page.text, field
    assert "Nessun pagamento ancora registrato." in ministry.get(
        "/finance/grant/payments", params={"lang": "it"}).text
    # The same reference twice.
    assert ministry.post("/finance/grant/payments", data=a_payment(),
                         follow_redirects=False).status_code == 303
    again = ministry.post("/finance/grant/payments", data=a_payment(), params={"lang": "it"})
    assert again.status_code == 422 and "già registrato" in again.text


def test_an_htmx_payment_form_is_answered_with_the_section_to_swap(
    clients: Clients, platform: Platform,
) -> None:
    """The form is sent by htmx (hx-post): a refusal is a 422 the page swaps in
    (data-swap-refusals, web/static/js/refused-form-swap.js); an accepted one the page again."""
    adopted(platform)
    ministry = clients.ministry()
    form_page = ministry.get("/finance/grant/payments").text
    assert 'hx-post="/finance/grant/payments"' in form_page
    assert 'id="grant-payments" data-swap-refusals' in form_page
    refused = ministry.post("/finance/grant/payments", data=a_payment(amount="x"),
                            headers={"HX-Request": "true"})
    assert refused.status_code == 422 and 'id="grant-payments"' in refused.text
    accepted = ministry.post("/finance/grant/payments", data=a_payment(),
                             headers={"HX-Request": "true"})
    assert accepted.status_code == 200 and "MP-2021/0001" in accepted.text


def test_only_the_ministry_records_payments(clients: Clients, platform: Platform) -> None:
    adopted(platform)
    for client in (clients.coordinator("milano"), clients.auditor()):
        assert client.get("/finance/grant/payments").status_code == 403
        assert client.post("/finance/grant/payments", data=a_payment()).status_code == 403
    assert "MP-2021/0001" not in clients.ministry().get("/finance/grant/payments").text


# --- the lead and national partners' claims ----------------------------------------------------


def partner_claim(clients: Clients, partner: str = "cittalia", **overrides: str) -> str:
    drafted = clients.ministry().post(f"/finance/grant/partners/{partner}/claims",
                                      data=a_claim_form(sub_action="5", **overrides),
                                      follow_redirects=False)
    assert drafted.status_code == 303, drafted.text[:3000]
    claim_id: str = urlsplit(drafted.headers["location"]).path.rsplit("/", 1)[-1]
    return claim_id


def attach_as_ministry(clients: Clients, claim_id: str, kind: str) -> str:
    attached = clients.ministry().post(
        f"/api/v1/claims/{claim_id}/documents", data={"kind": kind},
        files={"file": ("a.pdf", A_PDF, "application/pdf")})
    assert attached.status_code == 201, attached.text
    document_id: str = attached.json()["document_id"]
    return document_id


def test_the_ministry_claims_a_national_partner_s_cost_with_its_evidence_and_another_checks_it(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    ministry = clients.ministry()
    page = ministry.get("/finance/grant/partners/cittalia", params={"lang": "it"}).text
    assert "Fondazione Cittalia" in page
    assert 'action="/finance/grant/partners/cittalia/claims"' in page
    claim_id = partner_claim(clients)
    attach_as_ministry(clients, claim_id, "invoice")
    # No proof of payment: not submitted.
    refused = ministry.post(f"/grant-claims/{claim_id}/submission", params={"lang": "it"})
    assert refused.status_code == 422
    assert "Allegare la fattura e la quietanza di pagamento" in refused.text
    proof = attach_as_ministry(clients, claim_id, "proof_of_payment")
    assert ministry.post(f"/grant-claims/{claim_id}/submission",
                         follow_redirects=False).status_code == 303
    # Four eyes: the ministry user who submitted it does not check it.
    own = ministry.post(f"/grant-claims/{claim_id}/admission", params={"lang": "it"})
    assert own.status_code == 422 and "Quattro occhi" in own.text
    checker = clients.user("ministry.checker", Role.MINISTRY)
    claim_page = checker.get(f"/grant-claims/{claim_id}", params={"lang": "it"}).text
    assert "Quietanza di pagamento ·" in claim_page
    assert f'href="/claim-documents/{proof}"' in claim_page
    assert checker.post(f"/grant-claims/{claim_id}/admission", data={
        "part_1_amount": "100,00", "part_1_reason": "not_pertinent"},
        follow_redirects=False).status_code == 303
    statement = ministry.get("/finance/grant/partners/cittalia").text
    assert "900,00" in statement
    # The evidence is read by the ministry and the auditors (logged), on the network's claim.
    assert checker.get(f"/claim-documents/{proof}").content == A_PDF
    assert clients.auditor().get(f"/claim-documents/{proof}").content == A_PDF
    documents = ministry.get(f"/claims/{claim_id}/documents", params={"lang": "it"})
    assert documents.status_code == 200 and "Comune" not in documents.text.split("<main", 1)[-1]


def test_a_city_never_sees_a_partner_s_claims_or_their_evidence(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    claim_id = partner_claim(clients, "ministry")
    document_id = attach_as_ministry(clients, claim_id, "invoice")
    for client in (clients.coordinator("milano"), clients.operator("firenze")):
        assert client.get(f"/grant-claims/{claim_id}").status_code == 404
        assert client.post(f"/grant-claims/{claim_id}/submission").status_code == 404
        assert client.get(f"/claims/{claim_id}/documents").status_code == 404
        assert client.get(f"/api/v1/claims/{claim_id}/documents").status_code == 404
        assert client.post(f"/api/v1/claims/{claim_id}/documents", data={"kind": "invoice"},
                           files={"file": ("a.pdf", A_PDF, "application/pdf")}
                           ).status_code == 404
        assert client.get(f"/claim-documents/{document_id}").status_code == 404
        assert client.get("/finance/grant/partners/ministry").status_code == 403
        assert client.post("/finance/grant/partners/ministry/claims",
                           data=a_claim_form()).status_code == 403
    # An auditor sees the claim but neither drafts nor attaches.
    auditor = clients.auditor()
    assert auditor.get(f"/grant-claims/{claim_id}").status_code == 200
    assert auditor.post("/finance/grant/partners/ministry/claims",
                        data=a_claim_form()).status_code == 403
    assert auditor.post(f"/api/v1/claims/{claim_id}/documents", data={"kind": "invoice"},
                        files={"file": ("a.pdf", A_PDF, "application/pdf")}).status_code == 403
    # No partner of that name.
    assert clients.ministry().get("/finance/grant/partners/caritas").status_code == 404


def test_a_partner_s_bad_claim_is_refused_with_its_reason(
    clients: Clients, platform: Platform,
) -> None:
    adopted(platform)
    page = clients.ministry().post("/finance/grant/partners/anci/claims",
                                   data=a_claim_form(eligible_amount="١٢٣,٠٠"),
                                   params={"lang": "en"})
    assert page.status_code == 422 and "Give the amount in euros" in page.text
    assert "Cooperativa" not in clients.ministry().get("/finance/grant/partners/anci").text
