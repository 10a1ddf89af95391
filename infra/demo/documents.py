"""Documents in the demo: every few weeks each city's staff file the papers of the cases they
took in since (the signed information notice; the residence permit, with its expiry date, for a
person who holds one) and the coordinator attaches an invoice (and now and then a proof of
payment) to each claim recorded since. The files are small PDFs written here by hand (a page that
says what the document stands for, by case code or claim reference only, never a name), so the
demo needs no PDF library. A few permits expire around the demo's last day ("today" when the
demo is shown): the work queue has documents to show."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from uuid import UUID

from domain.access import Principal
from domain.documents.model import CaseDocumentDraft, ClaimDocumentDraft, DocumentKind
from domain.programme import Actor, City
from infra.demo.known import KnownCase
from infra.demo.people import coordinator, operator
from infra.demo.scheduler import Area, DemoServices, Scheduler

# How often a city's staff file the papers of their new cases and claims.
_SWEEP_DAYS = 14


def demo_pdf(title: str, line: str) -> bytes:
    """A minimal valid one-page PDF 1.4 with two lines of text (Helvetica), its cross-reference
    table computed: a few hundred bytes. Text is kept to printable ASCII."""

    def text(value: str) -> str:
        printable = "".join(c if 32 <= ord(c) < 127 else "?" for c in value)
        return printable.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = (f"BT /F1 18 Tf 72 760 Td ({text(title)}) Tj 0 -28 Td /F1 11 Tf "
              f"({text(line)}) Tj 0 -18 Td (LGNetEA demo document) Tj ET").encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)


def _principal(actor: Actor) -> Principal:
    return Principal(actor.id, actor.role, actor.city)


class DocumentDesk(Area):
    """The cities' papers: case files every few weeks, invoices for the claims."""

    def __init__(
        self, scheduler: Scheduler, services: DemoServices, cases_of: dict[City, list[KnownCase]]
    ) -> None:
        super().__init__(scheduler, services, cases_of)
        self.filed_cases: set[UUID] = set()
        self.filed_claims: set[UUID] = set()

    def plan_city(self, city: City) -> None:
        """A sweep every _SWEEP_DAYS over the city's cases and claims, from the scale's start."""
        day = self.scale.start + timedelta(days=self.rng.randint(5, _SWEEP_DAYS))
        while day <= self.scale.end:
            self.at(self.working_time(day, 9, 16), partial(self.sweep, city))
            day += timedelta(days=_SWEEP_DAYS)

    def sweep(self, city: City) -> None:
        for case in list(self.cases_of[city]):
            if case.id not in self.filed_cases and case.is_open and not case.transfer_waiting:
                self.filed_cases.add(case.id)
                self.file_case(case)
        budget = self.services.finance.budget(city)
        for claim_id in sorted(budget.claims if budget else (), key=str):
            if claim_id not in self.filed_claims:
                self.filed_claims.add(claim_id)
                self.file_claim(city, claim_id)

    def file_case(self, case: KnownCase) -> None:
        documents = self.services.documents
        staff = _principal(operator(case.city))
        notice = demo_pdf("Informativa privacy firmata", f"Caso {case.code}")
        self.attempt("document", lambda now: documents.attach_to_case(
            self.new_id(), case.id, CaseDocumentDraft(DocumentKind.INFORMATION_NOTICE), notice,
            staff, now))
        if not case.status.has_permit:
            return
        expires_on = self._permit_expiry()
        permit = demo_pdf("Permesso di soggiorno", f"Caso {case.code}, scade il {expires_on}")
        self.attempt("document", lambda now: documents.attach_to_case(
            self.new_id(), case.id, CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT, expires_on),
            permit, staff, now))

    def _permit_expiry(self) -> date:
        """Most permits run a year or two past the demo; about one in six expires around its
        last day (a few days before, or within the month after)."""
        end = self.scale.end
        if self.rng.random() < 0.17:
            return end + timedelta(days=self.rng.randint(-6, 28))
        return end + timedelta(days=self.rng.randint(120, 720))

    def file_claim(self, city: City, claim_id: UUID) -> None:
        documents = self.services.documents
        staff = _principal(coordinator(city))
        reference = str(claim_id)[:8]
        invoice = demo_pdf("Fattura", f"Spesa rendicontata {reference}")
        self.attempt("document", lambda now: documents.attach_to_claim(
            self.new_id(), city, claim_id, ClaimDocumentDraft(DocumentKind.INVOICE), invoice,
            staff, now))
        if self.rng.random() < 0.5:
            paid = demo_pdf("Quietanza di pagamento", f"Spesa rendicontata {reference}")
            self.attempt("document", lambda now: documents.attach_to_claim(
                self.new_id(), city, claim_id, ClaimDocumentDraft(DocumentKind.PROOF_OF_PAYMENT),
                paid, staff, now))
