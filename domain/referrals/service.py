"""Application service of the referrals context: request a referral, record its answer, its
completion or its withdrawal; each call checks who may do it, then returns the position of the
last event saved (what a reader waits for)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import MutableAggregateProtocol

from domain.access import USER_ROLES, AccessDenied, Permission, Principal, may
from domain.privacy import (
    LEGAL_BASES,
    FindOrganisation,
    LegalBases,
    LegalBasis,
    PartnerOrganisation,
    organisations_to_name,
)
from domain.programme import Actor, CardTermsSource, City, TermsSource, programme_today
from domain.record import ProgrammeRecord, save_decided
from domain.referrals.model import (
    CaseMovedAway,
    CaseReferrals,
    CaseToRefer,
    InvalidReferralText,
    Referral,
    checked_text,
)
from domain.referrals.rules import MAX_NOTE, MAX_REASON, DeclineReason, Destination, Urgency
from domain.vault import CaseText, PersonalDataVault, TextReference

# A save that lost a race is decided again on the fresh state: a duplicate or an answer given
# meanwhile is then refused with its own reason.
_SAVE_ATTEMPTS = 4


# What a decision saves: the referral context's aggregates, and the case an accepted transfer
# moves (all in one save, so the case never belongs to two cities or to none).
Decided = Sequence[MutableAggregateProtocol[UUID]]


class ReferralNotFound(LookupError):
    """Raised when no referral has the given id."""


class CaseToTransfer(CaseToRefer, MutableAggregateProtocol[UUID], Protocol):
    """A case as the service handles it (the cases context's Case is one): referred, and, once
    a transfer to another city is accepted, moved there and saved with the referral."""

    def transfer_to(
        self, city: City, referral_id: UUID, transferred_on: date, actor: Actor, now: datetime
    ) -> None:
        """Record that the case now belongs to `city`; refuse (the cases context's own errors)
        when it is closed or the date is impossible."""


class CasesToRefer(Protocol):
    """Where the service finds the cases it refers: the cases context's CaseService, which the
    composition root passes in. Its vault keeps the referrals' free texts, under the person's
    key, so that the person's erasure shreds them too."""

    @property
    def vault(self) -> PersonalDataVault: ...

    def get(self, case_id: UUID) -> CaseToTransfer:
        """The case with this id; raises a LookupError (the cases context's) when there is
        none."""
        ...


class ReferralService:
    def __init__(
        self, record: ProgrammeRecord, cases: CasesToRefer, terms: TermsSource | None = None,
        legal_bases: LegalBases = LEGAL_BASES, new_id: Callable[[], UUID] = uuid4,
        organisations: FindOrganisation | None = None,
    ) -> None:
        self.record = record
        self.cases = cases
        # Where the registered partner organisations are found (the organisations context's
        # service, passed in by the composition root).
        self.organisations = organisations
        # Names the free texts kept in the vault (random: a text id says nothing of the text).
        self.new_id = new_id
        # The programme's terms (period, partner cities, answer times): the card's by default.
        self.terms = terms or CardTermsSource()
        self.legal_bases = legal_bases

    def request(
        self,
        referral_id: UUID,
        case_id: UUID,
        destination: Destination,
        urgency: Urgency | None,
        note: str | None,
        actor: Actor,
        now: datetime,
        *,
        other_legal_basis: LegalBasis | None = None,
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """Refer a case (its city's staff). Without an urgency, a vulnerable case is urgent and
        any other ordinary; the answer times are those in force. A partner receives it with the
        person's consent, or on another legal basis a coordinator names. Refused outside the
        programme's period, and when the case already waits for an answer from the same
        destination. The note goes to the vault, under the person's key; the event carries its
        reference."""
        terms = self.terms.terms_in_force()
        text = checked_text(note, "note", MAX_NOTE)
        city = self.cases.get(case_id).city
        _require(actor, Permission.RECORD_CASE_WORK, city)
        # Refused before the note reaches the vault: an unknown, retired or other city's
        # organisation.
        self._organisation(destination, city)

        def decide(texts: dict[str, TextReference | None]) -> Decided:
            case = self.cases.get(case_id)
            _require(actor, Permission.RECORD_CASE_WORK, case.city)
            organisation = self._organisation(destination, case.city)
            referral = Referral.request(
                referral_id, case, destination, urgency, texts["note"], actor, now,
                other_legal_basis=other_legal_basis,
                may_share_on_other_basis=_holds(
                    actor, Permission.SHARE_ON_OTHER_LEGAL_BASIS, case.city),
                legal_bases=self.legal_bases,
                terms=terms,
                organisation=organisation,
            )
            index = self._index(case_id, now)
            index.add(referral, now)
            return [index, referral]

        return self._save_with_texts(case_id, {"note": text}, decide, new_id)

    def accept(self, referral_id: UUID, actor: Actor, now: datetime) -> int:
        """Record the destination's acceptance. A transfer is accepted by the coordinators of
        the city it goes to (a partner today), and the case becomes that city's in the same
        save."""
        terms = self.terms.terms_in_force()

        def decide() -> Decided:
            referral, case = self._answerable(referral_id, actor)
            if referral.is_transfer:
                case.require_open()
            referral.accept(actor, now, terms)
            index = self._index(referral.case_id, now)
            index.settle(referral, now)
            if not referral.is_transfer:
                return [index, referral]
            assert referral.destination.to_city is not None
            case.transfer_to(
                referral.destination.to_city, referral.id,
                programme_today(now), actor, now,
            )
            return [index, referral, case]

        return self._save_decided(decide)

    def decline(
        self, referral_id: UUID, reason: DeclineReason, note: str | None, actor: Actor,
        now: datetime, *, new_id: Callable[[], UUID] | None = None,
    ) -> int:
        text = Referral.checked_decline_note(reason, note)
        case_id = self._answerable(referral_id, actor)[0].case_id

        def decide(texts: dict[str, TextReference | None]) -> Decided:
            referral, _case = self._answerable(referral_id, actor)
            referral.decline(reason, texts["note"], actor, now)
            index = self._index(referral.case_id, now)
            index.settle(referral, now)
            return [index, referral]

        return self._save_with_texts(case_id, {"note": text}, decide, new_id)

    def complete(
        self, referral_id: UUID, outcome_note: str | None, actor: Actor, now: datetime, *,
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        text = checked_text(outcome_note, "outcome_note", MAX_NOTE)
        case_id = self._on_own(referral_id, actor).case_id

        def decide(texts: dict[str, TextReference | None]) -> Decided:
            referral = self._on_own(referral_id, actor)
            self._require_case_still_in(referral)
            referral.complete(texts["outcome_note"], actor, now)
            index = self._index(referral.case_id, now)
            index.settle(referral, now)
            return [index, referral]

        return self._save_with_texts(case_id, {"outcome_note": text}, decide, new_id)

    def withdraw(
        self, referral_id: UUID, reason: str, actor: Actor, now: datetime, *,
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """Withdraw a referral (the referring city's staff). Allowed after the case moved to
        another city too: the old city clears what it had asked for. The reason goes to the
        vault."""
        text = checked_text(reason, "reason", MAX_REASON, required=True)
        case_id = self._on_own(referral_id, actor).case_id

        def decide(texts: dict[str, TextReference | None]) -> Decided:
            referral = self._on_own(referral_id, actor)
            kept = texts["reason"]
            assert kept is not None
            referral.withdraw(kept, actor, now)
            index = self._index(referral.case_id, now)
            index.settle(referral, now)
            return [index, referral]

        return self._save_with_texts(case_id, {"reason": text}, decide, new_id)

    def texts(self, referral_id: UUID) -> dict[str, CaseText]:
        """The referral's free texts, by what they are (`note`, `decline_note`,
        `outcome_note`, `withdrawal_reason`; `consent_override_reason` for a version 1
        override): read from the vault, or legacy texts written into its events before
        free text left events (issue 16). Once the person's data is erased the vault's are
        gone, and the legacy ones are not shown either. Whether the reader may see them is
        the access policy's call (the pages show them to whoever may see the referral)."""
        referral = self.get(referral_id)
        if self.cases.get(referral.case_id).personal_data_erased:
            return {}
        found = {name: CaseText(text, legacy=True)
                 for name, text in referral.legacy_texts.items()}
        for name, reference in referral.texts.items():
            text = self.cases.vault.read_text(referral.case_id, reference.text_id)
            if text is not None:
                found[name] = CaseText(text)
        return found

    def _organisation(self, destination: Destination, city: City) -> PartnerOrganisation | None:
        """The registered organisation a partner destination names (of `city`, not retired);
        None for any other destination."""
        if destination.organisation_id is None:
            return None
        return organisations_to_name([destination.organisation_id], city,
                                     self._find_organisation)[0]

    def _find_organisation(self, organisation_id: UUID) -> PartnerOrganisation:
        if self.organisations is None:
            raise LookupError(organisation_id)
        return self.organisations(organisation_id)

    def _on_own(self, referral_id: UUID, actor: Actor) -> Referral:
        """The referral, once `actor` may work on the referring city's cases."""
        referral = self.get(referral_id)
        _require(actor, Permission.RECORD_CASE_WORK, referral.city)
        return referral

    def get(self, referral_id: UUID) -> Referral:
        try:
            referral: object = self.record.repository.get(referral_id)
        except AggregateNotFoundError:
            raise ReferralNotFound(referral_id) from None
        if not isinstance(referral, Referral):
            raise ReferralNotFound(referral_id)
        return referral

    def _answerable(self, referral_id: UUID, actor: Actor) -> tuple[Referral, CaseToTransfer]:
        """The referral and its case, once `actor` may answer it: the referring city's staff
        record a service's or partner's answer; the target city's coordinators answer a
        transfer."""
        referral = self.get(referral_id)
        if referral.is_transfer:
            assert referral.destination.to_city is not None
            _require(actor, Permission.DECIDE_TRANSFER, referral.destination.to_city)
        else:
            _require(actor, Permission.RECORD_CASE_WORK, referral.city)
        return referral, self._require_case_still_in(referral)

    def _require_case_still_in(self, referral: Referral) -> CaseToTransfer:
        case = self.cases.get(referral.case_id)
        if case.city != referral.city:
            raise CaseMovedAway(
                "The case has been transferred to another city since it was referred.",
                field="case",
            )
        return case

    def _index(self, case_id: UUID, now: datetime) -> CaseReferrals:
        try:
            index: object = self.record.repository.get(CaseReferrals.id_for(case_id))
        except AggregateNotFoundError:
            return CaseReferrals.open(case_id, now)
        assert isinstance(index, CaseReferrals)
        return index

    def _save_with_texts(
        self, case_id: UUID, texts: dict[str, str | None],
        decide: Callable[[dict[str, TextReference | None]], Decided],
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """Keep the texts in the vault under the person's key, then save what `decide` returns
        with their references; when nothing is saved, the texts are discarded. `new_id` names
        the texts (the service's own by default; the demo's, drawn from its seed, for a
        demo that writes the same events from the same seed)."""
        vault = self.cases.vault
        kept: dict[str, TextReference | None] = {}
        try:
            for name, text in texts.items():
                kept[name] = None
                if text is not None:
                    text_id = (new_id or self.new_id)()
                    try:
                        kept[name] = TextReference(
                            text_id, vault.store_text(case_id, text_id, text))
                    except LookupError:
                        raise InvalidReferralText(
                            "This person's personal data has been erased: no new text is kept "
                            "on them. Leave the field empty.", field=name,
                            max_length=MAX_NOTE) from None
            return self._save_decided(lambda: decide(kept))
        except BaseException:
            for reference in kept.values():
                if reference is not None:
                    vault.discard_text(case_id, reference.text_id)
            raise

    def _save_decided(self, decide: Callable[[], Decided]) -> int:
        """Save what `decide` returns, deciding again after a lost race. The index goes first,
        so the position returned is a published event's: the one readers wait for."""
        return save_decided(self.record, decide, _SAVE_ATTEMPTS)


def _holds(actor: Actor, permission: Permission, city: City) -> bool:
    """Whether the person behind `actor` holds `permission` in `city`. Partners and system
    processes never act on referrals."""
    if actor.role not in USER_ROLES:
        return False
    try:
        principal = Principal(actor.id, actor.role, actor.city)
    except ValueError:
        return False
    return may(principal, permission, city)


def _require(actor: Actor, permission: Permission, city: City) -> None:
    if not _holds(actor, permission, city):
        raise AccessDenied(
            f"A {actor.role.value} may not {permission.value} in {city.value}",
            permission=permission.value,
        )
