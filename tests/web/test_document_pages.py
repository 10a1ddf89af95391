"""Documents (issue 16, item 9) through the pages and the API: files attached to a case or a
claim, checked by their content and size, kept encrypted in the vault, read back only by whom
may, every reading logged; the events carry the kind, type, size and SHA-256, never the file."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from uuid import UUID

import httpx
from fastapi.testclient import TestClient

from domain.documents.model import CaseDocument, ClaimDocument
from infra.bootstrap import Platform
from projections.documents import DOCUMENT_EXPIRING
from tests.web.conftest import TESTS_START, Clients, record_intake
from web.kit.authentication import CSRF_HEADER

MAX_BYTES = 10 * 1024 * 1024  # the default limit (infra.settings: document_max_bytes)


def a_pdf(marker: str = "permesso", size: int | None = None) -> bytes:
    """A small valid-looking PDF (what the magic bytes judge), padded to `size` if given."""
    body = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + marker.encode()
            + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    if size is None:
        return body
    return body + b"0" * (size - len(body))


def attach(client: TestClient, case_id: str, content: bytes, name: str = "scan.pdf",
           content_type: str = "application/pdf", **fields: str) -> httpx.Response:
    answer: httpx.Response = client.post(
        f"/api/v1/cases/{case_id}/documents",
        data={"kind": "residence_permit", "expires_on": "2022-03-31", **fields},
        files={"file": (name, content, content_type)})
    return answer


def test_a_permit_attached_is_listed_recorded_without_its_content_and_read_back_logged(
    clients: Clients, platform: Platform,
) -> None:
    case = record_intake(clients)
    operator = clients.operator()
    content = a_pdf("Tesfaye permit")

    answer = attach(operator, case["case_id"], content, name="permesso_Tesfaye_Amina.pdf")

    assert answer.status_code == 201, answer.text
    document_id = UUID(answer.json()["document_id"])
    recorded: object = platform.record.repository.get(document_id)
    assert isinstance(recorded, CaseDocument)
    assert (recorded.case_id, recorded.case_code, recorded.city.value, recorded.kind.value,
            recorded.file_type.value, recorded.size, recorded.sha256, recorded.expires_on,
            recorded.vulnerability, recorded.assessed_on) == (
        UUID(case["case_id"]), case["case_code"], "firenze", "residence_permit",
        "application/pdf", len(content), hashlib.sha256(content).hexdigest(),
        date(2022, 3, 31), None, None)
    listed = operator.get(f"/api/v1/cases/{case['case_id']}/documents").json()
    assert listed == [{
        "document_id": str(document_id), "kind": "residence_permit",
        "media_type": "application/pdf", "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(), "expires_on": "2022-03-31",
        "vulnerability": None, "assessed_on": None,
        "attached_at": listed[0]["attached_at"], "attached_by": "firenze.operator",
    }]
    stored = platform.record.recorder.select_notifications(1, 10_000)
    assert all(b"Tesfaye permit" not in n.state and b"Tesfaye_Amina" not in n.state
               for n in stored)

    downloaded = operator.post(f"/api/v1/cases/{case['case_id']}/documents/{document_id}/file",
                               json={"reason": "identity_check"})

    assert downloaded.status_code == 200
    assert downloaded.content == content
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert downloaded.headers["content-disposition"].startswith("attachment; filename=\"")
    assert "Tesfaye" not in downloaded.headers["content-disposition"]
    assert downloaded.headers["cache-control"] == "no-store"
    reading = platform.vault.accesses()[0]
    assert (reading.case_id, reading.case_code, reading.reason.value, reading.actor_id) == (
        UUID(case["case_id"]), case["case_code"], "identity_check", "firenze.operator")


def test_the_size_limit_holds_at_the_limit_and_refuses_one_byte_more_keeping_nothing(
    clients: Clients, platform: Platform,
) -> None:
    case = record_intake(clients)
    operator = clients.operator()

    at_the_limit = attach(operator, case["case_id"], a_pdf(size=MAX_BYTES))
    before = platform.record.recorder.max_notification_id()
    one_past = attach(operator, case["case_id"], a_pdf(size=MAX_BYTES + 1))

    assert at_the_limit.status_code == 201, at_the_limit.text[:300]
    assert one_past.status_code == 413
    assert one_past.json()["problems"][0]["code"] == "file_too_large"
    assert "10 MB" in one_past.json()["message"]
    assert platform.record.recorder.max_notification_id() == before
    assert len(operator.get(f"/api/v1/cases/{case['case_id']}/documents").json()) == 1


def test_a_pdf_that_is_really_html_is_refused_whatever_its_name_and_declared_type(
    clients: Clients, platform: Platform,
) -> None:
    case = record_intake(clients)
    before = platform.record.recorder.max_notification_id()

    answer = attach(clients.operator(), case["case_id"],
                    b"<!DOCTYPE html><html><script>alert(1)</script></html>",
                    name="permesso.pdf", content_type="application/pdf")

    assert answer.status_code == 422
    assert answer.json()["problems"][0]["code"] == "file_type_refused"
    assert platform.record.recorder.max_notification_id() == before


def test_jpeg_and_png_are_recognised_by_their_first_bytes(clients: Clients) -> None:
    case = record_intake(clients)
    operator = clients.operator()

    jpeg = attach(operator, case["case_id"], b"\xff\xd8\xff\xe0" + b"\0" * 64, name="a.pdf",
                  content_type="application/pdf", kind="identity_document", expires_on="")
    png = attach(operator, case["case_id"], b"\x89PNG\r\n\x1a\n" + b"\0" * 64, name="b.jpg",
                 content_type="image/jpeg", kind="other", expires_on="")

    assert jpeg.status_code == png.status_code == 201
    kinds = {d["kind"]: d["media_type"]
             for d in operator.get(f"/api/v1/cases/{case['case_id']}/documents").json()}
    assert kinds == {"identity_document": "image/jpeg", "other": "image/png"}


def test_a_permit_without_its_expiry_and_a_certificate_of_an_unassessed_vulnerability_are_refused(
    clients: Clients,
) -> None:
    case = record_intake(clients, vulnerabilities=["disability"])
    operator = clients.operator()

    no_expiry = attach(operator, case["case_id"], a_pdf(), expires_on="")
    unassessed = attach(operator, case["case_id"], a_pdf(), kind="medical_certificate",
                        expires_on="", vulnerability="disability")
    assessed = operator.post(f"/cases/{case['case_id']}/assessments", data={
        "vulnerability": "disability", "assessed_on": "2021-03-11",
        "assessed_by": "health_service"}, follow_redirects=False)
    linked = attach(operator, case["case_id"], a_pdf(), kind="medical_certificate",
                    expires_on="", vulnerability="disability")

    assert no_expiry.status_code == 422
    assert no_expiry.json()["problems"][0]["field"] == "expires_on"
    assert unassessed.status_code == 422
    assert unassessed.json()["problems"][0]["field"] == "vulnerability"
    assert assessed.status_code == 303, assessed.text[:300]
    assert linked.status_code == 201, linked.text
    listed = operator.get(f"/api/v1/cases/{case['case_id']}/documents").json()
    assert (listed[0]["vulnerability"], listed[0]["assessed_on"]) == ("disability", "2021-03-11")


def test_the_case_page_lists_documents_and_the_upload_form_posts_a_multipart_file(
    clients: Clients,
) -> None:
    case = record_intake(clients)
    operator = clients.operator()

    posted = operator.post(f"/cases/{case['case_id']}/documents",
                           data={"kind": "information_notice"},
                           files={"file": ("informativa.pdf", a_pdf(), "application/pdf")},
                           follow_redirects=False)
    refused = operator.post(f"/cases/{case['case_id']}/documents",
                            data={"kind": "information_notice"},
                            files={"file": ("x.pdf", b"MZ not a pdf", "application/pdf")})
    page = operator.get(f"/cases/{case['case_id']}").text

    assert posted.status_code == 303
    assert posted.headers["location"] == (
        f"/cases/{case['case_id']}?done=attach_case_document#documents")
    assert refused.status_code == 422
    assert "PDF, JPEG" in refused.text and "document-errors" in refused.text
    assert 'id="documents"' in page and "informativa" not in page
    assert page.count('class="download-document') == 1
    assert "Documento allegato al caso" in page and "Informativa firmata." in page


def test_only_the_case_s_city_staff_read_its_files_and_a_foreign_city_learns_nothing(
    clients: Clients,
) -> None:
    case = record_intake(clients)
    document_id = attach(clients.operator(), case["case_id"], a_pdf()).json()["document_id"]
    path = f"/api/v1/cases/{case['case_id']}/documents/{document_id}/file"

    assert clients.ministry().post(path, json={"reason": "identity_check"}).status_code == 403
    assert clients.auditor().post(path, json={"reason": "identity_check"}).status_code == 403
    assert clients.operator("milano").post(
        path, json={"reason": "identity_check"}).status_code == 404
    other = record_intake(clients)
    assert clients.operator().post(
        f"/api/v1/cases/{other['case_id']}/documents/{document_id}/file",
        json={"reason": "identity_check"}).status_code == 404


def test_expiring_permits_feed_the_work_queue_until_renewed_or_the_case_closes(
    clients: Clients, platform: Platform,
) -> None:
    soon, later = record_intake(clients), record_intake(clients)
    operator = clients.operator()
    today = TESTS_START.date()
    attach(operator, soon["case_id"], a_pdf(), expires_on=(today + timedelta(days=10)).isoformat())
    attach(operator, later["case_id"], a_pdf(),
           expires_on=(today + timedelta(days=31)).isoformat())

    items = platform.document_views.work_items("firenze", TESTS_START)

    assert [(item.kind, item.case_code) for item in items] == [
        (DOCUMENT_EXPIRING, soon["case_code"])]
    assert items[0].due.date() == today + timedelta(days=10)
    assert platform.document_views.work_items("milano", TESTS_START) == []
    assert [i.case_code for i in platform.document_views.work_items(
        "firenze", TESTS_START + timedelta(days=2))] == [soon["case_code"], later["case_code"]]
    # A renewed permit (a later expiry) ends the line; so does closing the case.
    attach(operator, soon["case_id"], a_pdf(), expires_on=date(2023, 3, 31).isoformat())
    closed = clients.coordinator().post(f"/api/v1/cases/{later['case_id']}/closure", json={
        "outcome": "autonomy", "closed_on": "2021-10-04", "reason": "Test"})
    assert closed.status_code == 200, closed.text
    assert platform.document_views.work_items("firenze", TESTS_START + timedelta(days=2)) == []


A_CLAIM = {"sub_action": "3", "category": "staff", "amount": "10.00",
           "spent_on": "2021-03-15", "document_reference": "PG/2021/0001"}


def a_claim(clients: Clients) -> str:
    allocated = clients.ministry().post("/api/v1/finance/allocations", json={
        "city": "firenze", "sub_action": "3", "amount": "1000.00", "reason": "Test"})
    assert allocated.status_code == 200, allocated.text
    claimed = clients.coordinator().post("/api/v1/cities/firenze/finance/claims", json=A_CLAIM)
    assert claimed.status_code == 201, claimed.text
    claim_id: str = claimed.json()["claim_id"]
    return claim_id


def test_an_invoice_is_attached_by_the_coordinator_and_read_by_the_ministry_and_auditors(
    clients: Clients, platform: Platform,
) -> None:
    claim_id = a_claim(clients)
    invoice = a_pdf("fattura 2021/17")

    refused = clients.operator().post(
        f"/api/v1/claims/{claim_id}/documents", data={"kind": "invoice"},
        files={"file": ("f.pdf", invoice, "application/pdf")})
    wrong_kind = clients.coordinator().post(
        f"/api/v1/claims/{claim_id}/documents", data={"kind": "residence_permit"},
        files={"file": ("f.pdf", invoice, "application/pdf")})
    attached = clients.coordinator().post(
        f"/api/v1/claims/{claim_id}/documents", data={"kind": "invoice"},
        files={"file": ("f.pdf", invoice, "application/pdf")})

    assert refused.status_code == 403
    assert wrong_kind.status_code == 422
    assert attached.status_code == 201, attached.text
    document_id = attached.json()["document_id"]
    assert isinstance(platform.record.repository.get(UUID(document_id)), ClaimDocument)
    path = f"/api/v1/claim-documents/{document_id}"
    for reader in (clients.coordinator(), clients.ministry(), clients.auditor()):
        answer = reader.get(path)
        assert answer.status_code == 200
        assert answer.content == invoice
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-disposition"].startswith("attachment;")
    assert sorted((a.actor_id, a.claim_id, a.file_id)
                  for a in platform.vault.claim_file_accesses()) == [
        (reader, UUID(claim_id), UUID(document_id))
        for reader in ("auditor", "firenze.coordinator", "ministry")]
    assert clients.operator().get(path).status_code == 403
    assert clients.coordinator("milano").get(path).status_code == 404
    page = clients.ministry().get(f"/claims/{claim_id}/documents")
    assert page.status_code == 200 and "Fattura" in page.text
    assert "claim-documents-link" in clients.coordinator().get("/cities/firenze/finance").text


def test_a_browser_s_upload_carries_its_token_in_the_form_up_to_the_file_limit(
    clients: Clients, platform: Platform,
) -> None:
    """A page's form sends the CSRF token as a field of the multipart body, not as a header: the
    check reads such a body up to the file limit (and its framing), not the 256 KiB of forms."""
    case = record_intake(clients)
    operator = clients.operator()
    token = operator.headers.pop(CSRF_HEADER)
    try:
        at_the_limit = operator.post(
            f"/cases/{case['case_id']}/documents",
            data={"csrf_token": token, "kind": "information_notice"},
            files={"file": ("a.pdf", a_pdf(size=MAX_BYTES), "application/pdf")},
            follow_redirects=False)
        without_token = operator.post(
            f"/cases/{case['case_id']}/documents", data={"kind": "information_notice"},
            files={"file": ("a.pdf", a_pdf(), "application/pdf")}, follow_redirects=False)
        far_too_large = operator.post(
            f"/cases/{case['case_id']}/documents",
            data={"csrf_token": token, "kind": "information_notice"},
            files={"file": ("a.pdf", a_pdf(size=MAX_BYTES + 128 * 1024), "application/pdf")},
            follow_redirects=False)
    finally:
        operator.headers[CSRF_HEADER] = token

    assert at_the_limit.status_code == 303, at_the_limit.text[:300]
    assert without_token.status_code == 403
    assert far_too_large.status_code == 413
    assert len(platform.document_views.of_owner(UUID(case["case_id"]))) == 1


def test_the_person_s_erasure_ends_the_expiring_permit_s_line_and_its_file(
    clients: Clients, platform: Platform,
) -> None:
    case = record_intake(clients)
    expires = (TESTS_START.date() + timedelta(days=3)).isoformat()
    document_id = attach(clients.operator(), case["case_id"], a_pdf(), expires_on=expires
                         ).json()["document_id"]
    assert len(platform.document_views.work_items("firenze", TESTS_START)) == 1

    erased = clients.coordinator().post(f"/api/v1/cases/{case['case_id']}/erasure", json={
        "requested_on": TESTS_START.date().isoformat(), "request_reference": "PG/2021/9"})

    assert erased.status_code == 200, erased.text
    assert platform.document_views.work_items("firenze", TESTS_START) == []
    assert platform.vault.read_file(UUID(case["case_id"]), UUID(document_id)) is None
    read = clients.operator().post(
        f"/api/v1/cases/{case['case_id']}/documents/{document_id}/file",
        json={"reason": "identity_check"})
    assert read.status_code == 404
    assert platform.vault.accesses() == []  # nothing was read, so nothing is logged
    refused = attach(clients.operator(), case["case_id"], a_pdf())
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == "documents_closed"


def test_the_pages_refuse_a_file_one_byte_over_the_limit_413_and_a_reading_without_reason(
    clients: Clients, platform: Platform,
) -> None:
    case = record_intake(clients)
    operator = clients.operator()
    document_id = attach(operator, case["case_id"], a_pdf()).json()["document_id"]
    before = platform.record.recorder.max_notification_id()

    too_large = operator.post(
        f"/cases/{case['case_id']}/documents", data={"kind": "information_notice"},
        files={"file": ("a.pdf", a_pdf(size=MAX_BYTES + 1), "application/pdf")})
    no_reason = operator.post(f"/cases/{case['case_id']}/documents/{document_id}/file", data={})
    read = operator.post(f"/cases/{case['case_id']}/documents/{document_id}/file",
                         data={"reason": "contact_person"})

    assert too_large.status_code == 413
    assert "10 MB" in too_large.text and 'id="document-file-error"' in too_large.text
    assert platform.record.recorder.max_notification_id() == before
    assert no_reason.status_code == 422 and 'id="download-errors"' in no_reason.text
    assert read.status_code == 200 and read.content == a_pdf()
    assert read.headers["x-content-type-options"] == "nosniff"
    # The reading refused (no reason) logged nothing; the one carried out, its reason.
    assert [a.reason.value for a in platform.vault.accesses()] == ["contact_person"]
