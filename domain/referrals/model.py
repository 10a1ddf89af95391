"""The referral aggregate (one case sent to one destination, and what became of it) and the
per-case index of pending referrals that refuses a second one to the same destination.

States: requested -> accepted | declined; accepted -> completed | withdrawn; requested ->
withdrawn. An accepted transfer is final: the case now belongs to the other city."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.privacy import (
    LEGAL_BASES,
    LegalBases,
    LegalBasis,
    PartnerOrganisation,
    ProcessingPurpose,
    UnknownOrganisation,
    organisations_to_name,
)
from domain.programme import (
    CARD_TERMS,
    Actor,
    City,
    DomainError,
    TermsInForce,
    programme_today,
)
from domain.referrals.rules import (
    MAX_NOTE,
    NOT_RECORDED,
    CityService,
    DeclineReason,
    Destination,
    DestinationKind,
    ReferralStatus,
    Urgency,
    default_urgency,
    due_at,
)
from domain.vault import TextReference

_INDEX_NAMESPACE = UUID("0f4c7b52-8e0e-4a43-a3c1-7d1f1e0b6a52")


class ReferralError(DomainError):
    """Raised when a command on a referral breaks a rule of the programme."""

    code = "referral_error"


class InvalidDestination(ReferralError):
    """Raised when the destination lacks its service, partner name or city, or is the case's
    own city."""

    code = "invalid_destination"


class InvalidReferralText(ReferralError):
    """Raised when a note, reason or outcome is missing where required or too long."""

    code = "invalid_referral_text"


class ConsentRequired(ReferralError):
    """Raised when a case is referred to a partner without the person's consent to it and
    without another legal basis."""

    code = "consent_required"


class ConsentToOrganisationRequired(ConsentRequired):
    """Raised when a case is referred to a registered organisation without the person's consent
    to that organisation and without another legal basis (the refusal names it)."""

    code = "consent_to_organisation_required"


class OtherLegalBasisRefused(ReferralError):
    """Raised when someone who may not share a case on another legal basis than consent names
    one, or names one where the referral needs none."""

    code = "other_legal_basis_refused"


class DuplicateReferral(ReferralError):
    """Raised when the case already has a referral awaiting an answer from the destination."""

    code = "duplicate_referral"


class ReferralNotPending(ReferralError):
    """Raised when a referral that is no longer awaiting its answer is accepted or declined."""

    code = "referral_not_pending"


class ReferralFinished(ReferralError):
    """Raised when a declined, completed or withdrawn referral is completed or withdrawn."""

    code = "referral_finished"


class TransferFinal(ReferralError):
    """Raised when a transfer is completed, or withdrawn once accepted."""

    code = "transfer_final"


class CaseMovedAway(ReferralError):
    """Raised when a referral is answered after its case was transferred to another city."""

    code = "case_moved_away"


class CaseToRefer(Protocol):
    """What a referral needs of its case (the cases context's Case is one): whose it is,
    whether it is open, whether the person is vulnerable (the default urgency) and whether they
    consent to a purpose."""

    @property
    def id(self) -> UUID: ...

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    @property
    def is_vulnerable(self) -> bool: ...

    @property
    def personal_data_erased(self) -> bool:
        """Whether the person's data was erased (their texts in the vault are shredded)."""
        ...

    def has_consent_to(self, purpose: ProcessingPurpose) -> bool:
        """Whether the person's consent to `purpose` is given and not withdrawn."""

    def has_consent_to_share_with(self, organisation_id: UUID) -> bool:
        """Whether the person's consent to share with this organisation is given and not
        withdrawn."""

    def require_open(self) -> None:
        """Refuse (the cases context's own error) when the case is closed."""


def checked_text(
    value: str | None, field: str, limit: int = MAX_NOTE, *, required: bool = False
) -> str | None:
    """A free text, stripped; None when blank. Refused when required and blank, or too long.
    The service checks it before it keeps it in the vault: the events carry its reference."""
    text = (value or "").strip()
    # In words ("outcome note"): the message is read by people; `field` names it for programs.
    named = field.replace("_", " ")
    if required and not text:
        raise InvalidReferralText(f"Give the {named}.", field=field, max_length=limit)
    if len(text) > limit:
        raise InvalidReferralText(
            f"The {named} is too long: at most {limit} characters.", field=field,
            max_length=limit,
        )
    return text or None


def checked_destination(destination: Destination, case_city: City) -> Destination:
    """The destination as a new referral names it; refused when incomplete (a partner is a
    registered organisation, named by its id) or when a transfer names the case's own city."""
    match destination.kind:
        case DestinationKind.CITY_SERVICE:
            if destination.service is None:
                raise InvalidDestination("Choose the service.", field="service")
            return Destination.city_service(CityService(destination.service))
        case DestinationKind.PARTNER:
            if destination.organisation_id is None:
                raise InvalidDestination(
                    "Choose the partner organisation among those the city registered.",
                    field="organisation_id",
                )
            return Destination.partner(destination.organisation_id)
        case DestinationKind.TRANSFER:
            if destination.to_city is None:
                raise InvalidDestination("Choose the city.", field="to_city")
            if destination.to_city == case_city:
                raise InvalidDestination(
                    "A case cannot be transferred to the city it belongs to.", field="to_city"
                )
            return Destination.transfer(City(destination.to_city))


class Referral(Aggregate):
    """One case sent to one destination. Its id is given by whoever requests it."""

    class Requested(Aggregate.Created):
        """Version 2 (issue 12): `legal_basis`, the basis the case's data goes to the
        destination on, replaces consent-or-override. A version 1 referral on consent reads as
        on consent; one on a coordinator's override as `not_recorded`.

        Version 3 (issue 16): no free text in events. The note is in the vault, under the
        person's key; the event carries its id and digest. A version 2 referral's note, and a
        version 1 override's reason, read as legacy texts (`legacy_texts`, never written
        since): the event store keeps them as they were written, so the audit chain holds."""

        class_version = 4

        case_id: UUID
        case_code: str
        city: str
        destination_kind: str
        service: str | None
        partner_name: str | None
        organisation_id: UUID | None
        to_city: str | None
        urgency: str
        due_at: datetime
        note_id: UUID | None
        note_digest: str | None
        legal_basis: str
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            basis = state.pop("consent_basis")
            state["legal_basis"] = LegalBasis.CONSENT.value if basis == "consent" else (
                NOT_RECORDED)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            _to_legacy(state, note="note", consent_override_reason="consent_override_reason")
            state["note_id"] = None
            state["note_digest"] = None

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state["organisation_id"] = None

    def __init__(
        self,
        case_id: UUID,
        case_code: str,
        city: str,
        destination_kind: str,
        service: str | None,
        partner_name: str | None,
        organisation_id: UUID | None,
        to_city: str | None,
        urgency: str,
        due_at: datetime,
        note_id: UUID | None,
        note_digest: str | None,
        legal_basis: str,
        actor: dict[str, str | None],
        legacy_texts: dict[str, str] | None,
    ) -> None:
        self.case_id = case_id
        self.case_code = case_code
        self.city = City(city)
        self.destination = Destination(
            DestinationKind(destination_kind),
            service=CityService(service) if service else None,
            partner_name=partner_name,
            to_city=City(to_city) if to_city else None,
            organisation_id=organisation_id,
        )
        self.urgency = Urgency(urgency)
        self.due_at = due_at
        # Free texts: in the vault, by what they are (note, decline_note, outcome_note,
        # withdrawal_reason); legacy texts, written into events before version 3, apart.
        self.texts: dict[str, TextReference] = {}
        self.legacy_texts: dict[str, str] = dict(legacy_texts or {})
        if note_id is not None and note_digest is not None:
            self.texts["note"] = TextReference(note_id, note_digest)
        # None: a version 1 override, whose basis was not recorded.
        self.legal_basis = None if legal_basis == NOT_RECORDED else LegalBasis(legal_basis)
        self.requested_by = actor
        self.status = ReferralStatus.REQUESTED
        self.answered_at: datetime | None = None
        self.decline_reason: DeclineReason | None = None
        self.finished_at: datetime | None = None

    @property
    def requested_at(self) -> datetime:
        return self.created_on

    @property
    def is_transfer(self) -> bool:
        return self.destination.kind is DestinationKind.TRANSFER

    @classmethod
    def request(
        cls,
        referral_id: UUID,
        case: CaseToRefer,
        destination: Destination,
        urgency: Urgency | None,
        note: TextReference | None,
        actor: Actor,
        now: datetime,
        *,
        other_legal_basis: LegalBasis | None = None,
        may_share_on_other_basis: bool = False,
        legal_bases: LegalBases = LEGAL_BASES,
        terms: TermsInForce = CARD_TERMS,
        organisation: PartnerOrganisation | None = None,
    ) -> Referral:
        """Refer an open case, within the programme's period; a transfer only to a city that is
        a partner today. The referral rests on the legal basis of the purpose it serves
        (`legal_bases`): a city service or another city is case management (the public task); a
        named partner receives the case with the person's consent to it, or, without it, on
        another legal basis a coordinator names, which is recorded. The answer is due after the
        answer time `terms` set for the urgency. The note, if any, is in the vault already
        (`checked_text` first): the event carries its reference. A partner is a registered
        organisation of the case's city, not retired (`organisation`, found by the service
        with `privacy.organisations_to_name`), and the consent it needs is the person's consent
        to share with THAT organisation (GDPR art. 6(1)(a))."""
        case.require_open()
        today = programme_today(now)
        terms.require_in_period(today, field=None)
        destination = checked_destination(destination, case.city)
        if destination.to_city is not None:
            terms.require_partner(destination.to_city, today, field="to_city")
        if destination.organisation_id is not None:
            organisation = _the_organisation(organisation, destination.organisation_id, case)
        basis = _legal_basis(
            case, destination, other_legal_basis, may_share_on_other_basis, legal_bases,
            organisation)
        urgency = urgency or default_urgency(case.is_vulnerable)
        return cls._create(
            cls.Requested,
            id=referral_id,
            timestamp=now,
            case_id=case.id,
            case_code=case.case_code,
            city=case.city.value,
            destination_kind=destination.kind.value,
            service=destination.service.value if destination.service else None,
            partner_name=None,
            organisation_id=destination.organisation_id,
            to_city=destination.to_city.value if destination.to_city else None,
            urgency=urgency.value,
            due_at=due_at(now, urgency, terms.answer_times),
            note_id=note.text_id if note else None,
            note_digest=note.digest if note else None,
            legal_basis=basis.value,
            actor=actor.as_record(),
            legacy_texts=None,
        )

    # --- answers -----------------------------------------------------------------------------

    class Accepted(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        to_city: str | None
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Referral)
            aggregate.status = ReferralStatus.ACCEPTED
            aggregate.answered_at = self.timestamp

    class Declined(Aggregate.Event):
        """Version 2 (issue 16): the note is in the vault; a version 1 note reads as legacy."""

        class_version = 2

        case_id: UUID
        case_code: str
        city: str
        to_city: str | None
        reason: str
        note_id: UUID | None
        note_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _to_legacy(state, note="decline_note")
            state["note_id"] = None
            state["note_digest"] = None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Referral)
            aggregate.status = ReferralStatus.DECLINED
            aggregate.answered_at = self.timestamp
            aggregate.decline_reason = DeclineReason(self.reason)
            aggregate.keep_texts(self.legacy_texts, decline_note=(self.note_id, self.note_digest))

    class Completed(Aggregate.Event):
        """Version 2 (issue 16): the outcome is in the vault; a version 1 outcome reads as
        legacy."""

        class_version = 2

        case_id: UUID
        case_code: str
        city: str
        outcome_note_id: UUID | None
        outcome_note_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _to_legacy(state, outcome_note="outcome_note")
            state["outcome_note_id"] = None
            state["outcome_note_digest"] = None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Referral)
            aggregate.status = ReferralStatus.COMPLETED
            aggregate.finished_at = self.timestamp
            aggregate.keep_texts(
                self.legacy_texts, outcome_note=(self.outcome_note_id, self.outcome_note_digest))

    class Withdrawn(Aggregate.Event):
        """Version 2 (issue 16): the reason is in the vault; a version 1 reason reads as
        legacy (its id is then None)."""

        class_version = 2

        case_id: UUID
        case_code: str
        city: str
        reason_id: UUID | None
        reason_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _to_legacy(state, reason="withdrawal_reason")
            state["reason_id"] = None
            state["reason_digest"] = None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Referral)
            aggregate.status = ReferralStatus.WITHDRAWN
            aggregate.finished_at = self.timestamp
            aggregate.keep_texts(
                self.legacy_texts, withdrawal_reason=(self.reason_id, self.reason_digest))

    def keep_texts(
        self, legacy: dict[str, str] | None, **references: tuple[UUID | None, str | None]
    ) -> None:
        """Note where an event's texts are: in the vault (a reference), or legacy."""
        self.legacy_texts.update(legacy or {})
        for name, (text_id, digest) in references.items():
            if text_id is not None and digest is not None:
                self.texts[name] = TextReference(text_id, digest)

    def _case_fields(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "case_code": self.case_code, "city": self.city.value}

    def _to_city(self) -> str | None:
        return self.destination.to_city.value if self.destination.to_city else None

    def _require_pending(self) -> None:
        if self.status is not ReferralStatus.REQUESTED:
            raise ReferralNotPending(
                f"The referral has already been answered ({self.status.value}).", field="status"
            )

    def accept(self, actor: Actor, now: datetime, terms: TermsInForce = CARD_TERMS) -> None:
        """Record the acceptance. A transfer is accepted only by a city that is still a partner
        today: taking a case over is new work."""
        self._require_pending()
        if self.destination.to_city is not None:
            terms.require_partner(self.destination.to_city, programme_today(now), field="to_city")
        self.trigger_event(
            self.Accepted, timestamp=now, **self._case_fields(), to_city=self._to_city(),
            actor=actor.as_record(),
        )

    def decline(
        self, reason: DeclineReason, note: TextReference | None, actor: Actor, now: datetime
    ) -> None:
        """Record a refusal, with its reason from the list; "other" needs the note that says
        what it was (checked by `checked_decline_note`, kept in the vault)."""
        self._require_pending()
        if reason is DeclineReason.OTHER and note is None:
            raise InvalidReferralText("Give the note.", field="note", max_length=MAX_NOTE)
        self.trigger_event(
            self.Declined, timestamp=now, **self._case_fields(), to_city=self._to_city(),
            reason=reason.value, note_id=note.text_id if note else None,
            note_digest=note.digest if note else None, actor=actor.as_record(),
            legacy_texts=None,
        )

    @staticmethod
    def checked_decline_note(reason: DeclineReason, note: str | None) -> str | None:
        """A decline's note, checked: "other" needs it."""
        return checked_text(note, "note", MAX_NOTE, required=reason is DeclineReason.OTHER)

    def complete(
        self, outcome_note: TextReference | None, actor: Actor, now: datetime
    ) -> None:
        """Record that the destination did what the referral asked. A service that took the
        person in without answering first has accepted: its acceptance is recorded too, at the
        same time, so the answer's time is still counted."""
        if self.is_transfer:
            raise TransferFinal(
                "A transfer is not completed: once accepted, the case belongs to the other city.",
                field="status",
            )
        if self.status not in (ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED):
            raise ReferralFinished(
                f"The referral is already closed ({self.status.value}).", field="status"
            )
        if self.status is ReferralStatus.REQUESTED:
            self.accept(actor, now)
        self.trigger_event(
            self.Completed, timestamp=now, **self._case_fields(),
            outcome_note_id=outcome_note.text_id if outcome_note else None,
            outcome_note_digest=outcome_note.digest if outcome_note else None,
            actor=actor.as_record(), legacy_texts=None,
        )

    def withdraw(self, reason: TextReference, actor: Actor, now: datetime) -> None:
        """Record the withdrawal; its reason (`checked_text(..., required=True)`) is in the
        vault."""
        if self.is_transfer and self.status is ReferralStatus.ACCEPTED:
            raise TransferFinal(
                "An accepted transfer cannot be withdrawn: the case belongs to the other city.",
                field="status",
            )
        if self.status not in (ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED):
            raise ReferralFinished(
                f"The referral is already closed ({self.status.value}).", field="status"
            )
        self.trigger_event(
            self.Withdrawn, timestamp=now, **self._case_fields(), reason_id=reason.text_id,
            reason_digest=reason.digest, actor=actor.as_record(), legacy_texts=None,
        )


def _to_legacy(state: dict[str, Any], **names: str) -> None:
    """Move the free texts an event stored before free text left events (issue 16) to its
    `legacy_texts`, by what they are (`names`: the stored field -> the text's name)."""
    legacy = {name: state.pop(field) for field, name in names.items() if state.get(field)}
    for field in names:
        state.pop(field, None)
    state["legacy_texts"] = legacy or None


def _the_organisation(
    organisation: PartnerOrganisation | None, organisation_id: UUID, case: CaseToRefer
) -> PartnerOrganisation:
    """The organisation the destination names, checked again here (the service found it):
    the same id, of the case's city, not retired."""
    if organisation is None or organisation.id != organisation_id:
        raise UnknownOrganisation(
            f"No partner organisation is registered with the id {organisation_id}.",
            field="organisation_id", organisation_id=str(organisation_id))
    return organisations_to_name(
        [organisation_id], case.city, lambda _id: organisation)[0]


def _legal_basis(
    case: CaseToRefer, destination: Destination, other: LegalBasis | None, may_name_other: bool,
    legal_bases: LegalBases, organisation: PartnerOrganisation | None = None,
) -> LegalBasis:
    """The basis the case's data goes to `destination` on. Its purpose's configured basis; for
    a purpose resting on consent (by default, a named partner), the person's consent to THAT
    organisation (a consent naming no organisation covers none of the registered ones), or
    another basis (GDPR art. 6(1)(c)-(e)) that a coordinator names instead of the former
    "override of consent"."""
    purpose = (ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER
               if destination.kind is DestinationKind.PARTNER
               else ProcessingPurpose.CASE_MANAGEMENT)
    configured = legal_bases.of(purpose)
    if configured is not LegalBasis.CONSENT:
        if other is not None and other is not configured:
            raise OtherLegalBasisRefused(
                "This referral rests on the city's public task: no other legal basis is named.",
                field="legal_basis",
            )
        return configured
    if other is None or other is LegalBasis.CONSENT:
        if organisation is None:
            if case.has_consent_to(purpose):
                return LegalBasis.CONSENT
            raise ConsentRequired(
                "The person has not consented to their case being shared with a partner "
                "organisation: name another legal basis, or ask for their consent first.",
                field="legal_basis",
            )
        if case.has_consent_to_share_with(organisation.id):
            return LegalBasis.CONSENT
        raise ConsentToOrganisationRequired(
            f"The person has not consented to their case being shared with "
            f"{organisation.name}: name another legal basis, or ask for their consent to "
            "this organisation first.",
            field="legal_basis", organisation_name=organisation.name,
        )
    if not may_name_other:
        raise OtherLegalBasisRefused(
            "Only the city's coordinators may share a case with a partner on another legal "
            "basis than the person's consent.",
            field="legal_basis",
        )
    return other


class CaseReferrals(Aggregate):
    """A case's referrals awaiting an answer, by destination. Saved with every referral that
    starts or stops waiting, so two concurrent requests to the same destination conflict and
    the second is refused. Internal bookkeeping: its events are not published."""

    class Opened(Aggregate.Created):
        case_id: UUID

    class Waiting(Aggregate.Event):
        referral_id: UUID
        destination: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CaseReferrals)
            aggregate.pending[self.destination] = self.referral_id

    class Settled(Aggregate.Event):
        referral_id: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CaseReferrals)
            aggregate.pending = {
                key: referral for key, referral in aggregate.pending.items()
                if referral != self.referral_id
            }

    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.pending: dict[str, UUID] = {}

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(_INDEX_NAMESPACE, f"case-referrals/{case_id}")

    @classmethod
    def open(cls, case_id: UUID, now: datetime) -> CaseReferrals:
        return cls._create(cls.Opened, id=cls.id_for(case_id), timestamp=now, case_id=case_id)

    def add(self, referral: Referral, now: datetime) -> None:
        key = referral.destination.key
        if key in self.pending:
            raise DuplicateReferral(
                "The case already has a referral to this destination awaiting an answer.",
                field="destination_kind", referral_id=str(self.pending[key]),
            )
        self.trigger_event(self.Waiting, timestamp=now, referral_id=referral.id, destination=key)

    def settle(self, referral: Referral, now: datetime) -> None:
        if referral.id in self.pending.values():
            self.trigger_event(self.Settled, timestamp=now, referral_id=referral.id)
