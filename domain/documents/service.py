"""Application service of the documents context: attach a file to a case or to an expenditure
claim, and read one back. Each call checks who may do it (domain.access), keeps the file in the
vault, then records the attachment; a reading is logged before the file is returned.

The cases and the budget are other contexts: the composition root passes in what this service
needs of them (`CaseFactsSource`, `ClaimsSource`), as plain facts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.access import AccessDenied, Permission, Principal, may
from domain.documents.model import (
    EXPIRY_WARNING_DAYS,
    MAX_FILE_BYTES,
    CaseDocument,
    CaseDocumentDraft,
    ClaimDocument,
    ClaimDocumentDraft,
    DocumentsClosed,
    FileType,
    InvalidDocument,
    check_case_draft,
    check_claim_draft,
    check_file,
)
from domain.programme import City
from domain.record import ProgrammeRecord, position_of
from domain.vault import AccessReason, ClaimFileAccess, IdentifierAccess, PersonalDataVault


@dataclass(frozen=True)
class DocumentRules:
    """The deployment's limits: the largest file accepted, and how many days before its expiry
    a document enters the work queue."""

    max_bytes: int = MAX_FILE_BYTES
    expiry_warning_days: int = EXPIRY_WARNING_DAYS


@dataclass(frozen=True)
class CaseFacts:
    """What the documents need of a case: where it is, whether work on it is open, whether the
    person's data is erased, and the vulnerabilities assessed (code -> latest assessment's
    date), which a medical certificate may be linked to."""

    case_code: str
    city: City
    is_open: bool
    personal_data_erased: bool
    assessed: Mapping[str, date] = field(default_factory=dict)


class CaseFactsSource(Protocol):
    def case_facts(self, case_id: UUID) -> CaseFacts:
        """The case's facts; raises a LookupError when there is no such case."""
        ...


class ClaimsSource(Protocol):
    def has_claim(self, city: City | None, claim_id: UUID) -> bool:
        """True when `city` recorded the claim `claim_id` (`city` None: a national partner's
        claim, the lead partner's included)."""
        ...


@dataclass(frozen=True)
class FileRead:
    """A file as served: its content and type."""

    content: bytes
    file_type: FileType


_Document = TypeVar("_Document", CaseDocument, ClaimDocument)


class DocumentNotFound(LookupError):
    """Raised when no document of the case or claim has the given id."""


class DocumentService:
    def __init__(
        self, record: ProgrammeRecord, vault: PersonalDataVault, cases: CaseFactsSource,
        claims: ClaimsSource, rules: DocumentRules | None = None,
    ) -> None:
        self.record = record
        self.vault = vault
        self.cases = cases
        self.claims = claims
        self.rules = rules or DocumentRules()

    # --- a case's files ----------------------------------------------------------------------

    def attach_to_case(
        self, document_id: UUID, case_id: UUID, draft: CaseDocumentDraft, content: bytes,
        principal: Principal, now: datetime,
    ) -> int:
        """Attach a file to a case (its city's staff): every rule checked first, the file to the
        vault under the person's key, then the event; nothing is kept if anything refuses."""
        case = self.cases.case_facts(case_id)
        _require(principal, Permission.RECORD_CASE_WORK, case.city, now)
        check_case_draft(draft, now)
        facts = check_file(content, self.rules.max_bytes)
        if not case.is_open:
            raise DocumentsClosed("Files are attached to open cases only.", field="case")
        assessed_on = None
        if draft.vulnerability is not None:
            assessed_on = case.assessed.get(draft.vulnerability)
            if assessed_on is None:
                raise InvalidDocument(
                    "Record the vulnerability's assessment first: a certificate is linked to "
                    "an assessment.", field="vulnerability")
        if case.personal_data_erased:
            raise DocumentsClosed(
                "This person's personal data has been erased: no new file is kept on them.",
                field="case")
        document = CaseDocument.attach(
            document_id, case_id, case.case_code, case.city, draft, facts, assessed_on,
            principal.actor, now)
        try:
            self.vault.store_file(case_id, document_id, content)
        except LookupError:
            raise DocumentsClosed(
                "This person's personal data has been erased: no new file is kept on them.",
                field="case") from None
        try:
            return position_of(self.record.save(document))
        except BaseException:
            self.vault.discard_file(case_id, document_id)
            raise

    def read_case_file(
        self, case_id: UUID, document_id: UUID, reason: AccessReason, principal: Principal,
        now: datetime,
    ) -> FileRead | None:
        """A case's file, for its city's staff, logged (with the reason) before it is returned
        like any reading of the person's identifiers. None once the person's data is erased."""
        case = self.cases.case_facts(case_id)
        _require(principal, Permission.RECORD_CASE_WORK, case.city, now)
        _require(principal, Permission.VIEW_PERSONAL_IDENTIFIERS, case.city, now)
        document = self._get(document_id, CaseDocument)
        if document.case_id != case_id:
            raise DocumentNotFound(document_id)
        if case.personal_data_erased:
            return None  # nothing left to read, nothing to log
        self.vault.record_access(IdentifierAccess(
            at=now, actor_id=principal.actor.id, actor_role=principal.role.value,
            actor_city=principal.city.value if principal.city else None,
            case_id=case_id, case_code=case.case_code, reason=reason,
        ))
        content = self.vault.read_file(case_id, document_id)
        return None if content is None else FileRead(content, document.file_type)

    # --- a claim's files ---------------------------------------------------------------------

    def attach_to_claim(
        self, document_id: UUID, city: City | None, claim_id: UUID, draft: ClaimDocumentDraft,
        content: bytes, principal: Principal, now: datetime,
    ) -> int:
        """Attach an invoice or a proof of payment to a claim: a city's (its coordinators, who
        record its claims) or, `city` None, a national partner's (the ministry's finance
        office, RECORD_PARTNER_EXPENDITURE)."""
        if city is None:
            _require_network(principal, Permission.RECORD_PARTNER_EXPENDITURE, now)
        else:
            _require(principal, Permission.RECORD_EXPENDITURE, city, now)
        check_claim_draft(draft)
        facts = check_file(content, self.rules.max_bytes)
        if not self.claims.has_claim(city, claim_id):
            raise DocumentsClosed("The city has no claim with this id.", field="claim_id")
        document = ClaimDocument.attach(
            document_id, claim_id, city, draft, facts, principal.actor, now)
        self.vault.store_claim_file(claim_id, document_id, content)
        try:
            return position_of(self.record.save(document))
        except BaseException:
            self.vault.discard_claim_file(claim_id, document_id)
            raise

    def read_claim_file(
        self, city: City | None, claim_id: UUID, document_id: UUID, principal: Principal,
        now: datetime,
    ) -> FileRead | None:
        """A claim's file: for the city's coordinators (a national partner's: the ministry's
        finance office), the ministry that decides the claim and the auditors; logged before it
        is returned."""
        if not may_read_claim_files(principal, city, now):
            raise AccessDenied(
                f"A {principal.role.value} may not read the claim files of "
                f"{city.value if city else 'the national partners'}",
                permission=Permission.RECORD_EXPENDITURE.value)
        document = self._get(document_id, ClaimDocument)
        if document.claim_id != claim_id or document.city != city:
            raise DocumentNotFound(document_id)
        self.vault.record_claim_file_access(ClaimFileAccess(
            at=now, actor_id=principal.actor.id, actor_role=principal.role.value,
            actor_city=principal.city.value if principal.city else None,
            claim_id=claim_id, file_id=document_id,
        ))
        content = self.vault.read_claim_file(claim_id, document_id)
        return None if content is None else FileRead(content, document.file_type)

    def _get(self, document_id: UUID, kind: type[_Document]) -> _Document:
        try:
            document: object = self.record.repository.get(document_id)
        except AggregateNotFoundError:
            raise DocumentNotFound(document_id) from None
        if not isinstance(document, kind):
            raise DocumentNotFound(document_id)
        return document


def may_read_claim_files(principal: Principal, city: City | None, now: datetime) -> bool:
    """Who reads a claim's evidence: the city that claims (RECORD_EXPENDITURE; for a national
    partner's claim, `city` None, the ministry's finance office: RECORD_PARTNER_EXPENDITURE), the
    ministry that decides (APPROVE_EXPENDITURE) and the auditors (VIEW_AUDIT_LOG, network-wide)."""
    claims = (Permission.RECORD_EXPENDITURE if city is not None
              else Permission.RECORD_PARTNER_EXPENDITURE)
    return any(may(principal, permission, city, at=now) for permission in (
        claims, Permission.APPROVE_EXPENDITURE, Permission.VIEW_AUDIT_LOG))


def may_read_case_files(principal: Principal, city: City, now: datetime) -> bool:
    """Only the staff of the case's city (who do its work and read its identifiers)."""
    return may(principal, Permission.RECORD_CASE_WORK, city, at=now) and may(
        principal, Permission.VIEW_PERSONAL_IDENTIFIERS, city, at=now)


def _require_network(principal: Principal, permission: Permission, now: datetime) -> None:
    if not may(principal, permission, None, at=now):
        raise AccessDenied(f"A {principal.role.value} may not {permission.value}",
                           permission=permission.value)


def _require(principal: Principal, permission: Permission, city: City, now: datetime) -> None:
    if not may(principal, permission, city, at=now):
        raise AccessDenied(
            f"A {principal.role.value} may not {permission.value} in {city.value}",
            permission=permission.value)
