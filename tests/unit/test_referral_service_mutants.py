"""The referrals service's own answers (issue 20), without a server: the position each command
returns and the events it stores field by field, the free texts it keeps in the vault under the
person's key (and discards when nothing is saved), each refusal the service itself raises with
its code, message and field, who may answer which referral, and a decision lost to a rival
decided again, up to the service's attempts and not one more. Over the real in-memory record,
the cases context's service and a SQLite vault.

DOMAIN.md, "Referrals" and "Data protection": a case is referred by its city's staff; a
transfer is decided by the city it goes to and moves the case in the same step; free text about
a person is kept under their key, so that their erasure shreds it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.service import CaseService
from domain.privacy import LegalBases, LegalBasis, ProcessingPurpose
from domain.programme import Actor, ActorKind, City, DomainError, Role
from domain.referrals.model import CaseReferrals, Referral
from domain.referrals.rules import MAX_NOTE, CityService, DeclineReason, Destination, Urgency
from domain.referrals.service import _SAVE_ATTEMPTS, ReferralNotFound, ReferralService
from domain.vault import CaseText
from tests.builders import NOW, a_coordinator, last_position, refusal, stored, text_ids
from tests.unit.test_plan_rules import a_case, cases, vault
from tests.unit.test_programme_terms import withdrawn

__all__ = ["cases", "vault"]  # the fixtures, as fixtures of this module too
MILAN = a_coordinator(City.MILANO)
MILAN_OPERATOR = Actor(ActorKind.USER, "milano-operator", Role.CITY_OPERATOR, City.MILANO)
FLORENCE = a_coordinator(City.FIRENZE, id="firenze-coordinator")
FLORENCE_OPERATOR = Actor(ActorKind.USER, "firenze-operator", Role.CITY_OPERATOR, City.FIRENZE)
HEALTH = Destination.city_service(CityService.HEALTH)
LATER = NOW + timedelta(hours=3)


@pytest.fixture
def referrals(cases: CaseService) -> ReferralService:
    return ReferralService(cases.record, cases, new_id=text_ids())


def test_a_request_returns_its_event_s_position_and_keeps_the_note_in_the_vault(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, referral_id = a_case(cases, City.MILANO), uuid4()
    position = referrals.request(referral_id, case_id, HEALTH, None, "  Needs a dentist ",
                                 MILAN_OPERATOR, NOW)
    assert position == last_position(referrals.record)
    ((name, requested),) = stored(referrals.record, referral_id)
    digest = requested.pop("note_digest")
    assert len(digest) == 64
    assert (name, requested) == ("Requested", {
        "timestamp": NOW, "case_id": case_id, "case_code": "MI-2021-00001", "city": "milano",
        "destination_kind": "city_service", "service": "health", "partner_name": None,
        "organisation_id": None, "to_city": None, "urgency": "ordinary",
        "due_at": NOW + timedelta(days=15), "note_id": UUID(int=1), "legal_basis": "public_task",
        "actor": MILAN_OPERATOR.as_record(), "legacy_texts": None})
    assert stored(referrals.record, CaseReferrals.id_for(case_id)) == [
        ("Opened", {"timestamp": NOW, "case_id": case_id}),
        ("Waiting", {"timestamp": NOW, "referral_id": referral_id,
                     "destination": "service:health"})]
    assert referrals.texts(referral_id) == {"note": CaseText("Needs a dentist")}
    # A second referral of the case joins the index the first opened.
    other = uuid4()
    referrals.request(other, case_id, Destination.transfer(City.FIRENZE), Urgency.IMMEDIATE,
                      None, MILAN, LATER)
    assert [name for name, _ in stored(referrals.record, CaseReferrals.id_for(case_id))] == [
        "Opened", "Waiting", "Waiting"]
    assert stored(referrals.record, other)[0][1]["note_id"] is None
    assert referrals.texts(other) == {}


def test_a_text_named_by_the_caller_uses_the_caller_s_ids(
    cases: CaseService, referrals: ReferralService,
) -> None:
    """The demo names the texts from its seed (`new_id`), every command the same way."""
    case_id, referral_id = a_case(cases, City.MILANO), uuid4()
    mine = text_ids()
    for _ in range(40):
        mine()  # the caller's next id is 41, the service's own 1
    referrals.request(referral_id, case_id, HEALTH, None, "note", MILAN, NOW, new_id=mine)
    assert stored(referrals.record, referral_id)[0][1]["note_id"] == UUID(int=41)
    referrals.decline(referral_id, DeclineReason.OTHER, "why", MILAN, LATER, new_id=mine)
    assert stored(referrals.record, referral_id)[1][1]["note_id"] == UUID(int=42)


def test_a_note_at_the_limit_is_kept_and_one_past_is_refused_before_the_vault(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id = a_case(cases, City.MILANO)
    referrals.request(uuid4(), case_id, HEALTH, None, "x" * MAX_NOTE, MILAN, NOW)
    assert refusal(lambda: referrals.request(
        uuid4(), case_id, Destination.transfer(City.FIRENZE), None, "x" * (MAX_NOTE + 1),
        MILAN, NOW)) == (
        "invalid_referral_text", f"The note is too long: at most {MAX_NOTE} characters.",
        {"field": "note", "max_length": MAX_NOTE})


def test_only_the_case_s_city_staff_request_and_nothing_is_kept_when_refused(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id = a_case(cases, City.MILANO)
    before = last_position(referrals.record)
    partner = Actor(ActorKind.USER, "caritas", Role.PARTNER, City.MILANO)  # never acts on referrals
    cityless = Actor(ActorKind.USER, "nobody", Role.CITY_OPERATOR, None)
    for actor in (FLORENCE, partner, cityless):
        assert refusal(partial(referrals.request, uuid4(), case_id, HEALTH, None, "note", actor,
                               NOW)) == (
            "access_denied", f"A {actor.role.value} may not record_case_work in milano",
            {"permission": "record_case_work"})
    assert last_position(referrals.record) == before


def test_a_refused_decision_discards_the_text_it_kept(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id = a_case(cases, City.MILANO)
    referrals.request(uuid4(), case_id, HEALTH, None, None, MILAN, NOW)
    assert refusal(lambda: referrals.request(
        uuid4(), case_id, HEALTH, None, "again", MILAN, NOW))[0] == "duplicate_referral"
    assert cases.vault.read_text(case_id, UUID(int=1)) is None  # kept, then discarded


def test_a_text_for_an_erased_person_is_refused_with_its_field(
    cases: CaseService, referrals: ReferralService,
) -> None:
    """DOMAIN.md, "Data protection": no new text is kept on an erased person."""
    case_id = a_case(cases, City.MILANO)
    cases.vault.erase(case_id)
    with pytest.raises(DomainError) as refused:
        referrals.request(uuid4(), case_id, HEALTH, None, "note", MILAN, NOW)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "invalid_referral_text",
        "This person's personal data has been erased: no new text is kept on them. Leave the "
        "field empty.", {"field": "note", "max_length": MAX_NOTE})
    assert refused.value.__suppress_context__
    referral_id = uuid4()
    referrals.request(referral_id, case_id, HEALTH, None, None, MILAN, NOW)  # no text: allowed
    assert refusal(lambda: referrals.withdraw(referral_id, "gone", MILAN, LATER))[2] == {
        "field": "reason", "max_length": MAX_NOTE}


def test_an_erased_person_s_texts_are_not_shown(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, referral_id = a_case(cases, City.MILANO), uuid4()
    referrals.request(referral_id, case_id, HEALTH, None, "note", MILAN, NOW)
    cases.erase_personal_data(case_id, date(2021, 3, 10), "PG/1", MILAN, LATER)
    assert referrals.texts(referral_id) == {}


def test_a_transfer_is_accepted_by_the_city_it_goes_to_and_moves_the_case(
    cases: CaseService, referrals: ReferralService,
) -> None:
    """DOMAIN.md, "Referrals": the receiving city's coordinators decide a transfer; the case is
    theirs in the same save."""
    case_id, transfer_id = a_case(cases, City.MILANO), uuid4()
    referrals.request(transfer_id, case_id, Destination.transfer(City.FIRENZE), None, None,
                      MILAN, NOW)
    for outsider in (MILAN, FLORENCE_OPERATOR):
        assert refusal(partial(referrals.accept, transfer_id, outsider, LATER)) == (
            "access_denied",
            f"A {outsider.role.value} may not decide_transfer in firenze",
            {"permission": "decide_transfer"})
    position = referrals.accept(transfer_id, FLORENCE, LATER)
    assert position == last_position(referrals.record)
    case = cases.get(case_id)
    assert case.city == City.FIRENZE
    (notification,) = referrals.record.recorder.select_notifications(position, 1)
    assert notification.topic.endswith("Case.Transferred")
    assert stored(referrals.record, transfer_id)[1] == ("Accepted", {
        "timestamp": LATER, "case_id": case_id, "case_code": "MI-2021-00001", "city": "milano",
        "to_city": "firenze", "actor": FLORENCE.as_record()})
    assert stored(referrals.record, CaseReferrals.id_for(case_id))[-1] == (
        "Settled", {"timestamp": LATER, "referral_id": transfer_id})


def test_a_service_s_answer_is_recorded_by_the_referring_city_and_settles_the_index(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, referral_id = a_case(cases, City.MILANO), uuid4()
    referrals.request(referral_id, case_id, HEALTH, None, None, MILAN, NOW)
    assert refusal(lambda: referrals.accept(referral_id, FLORENCE, LATER)) == (
        "access_denied", "A city_coordinator may not record_case_work in milano",
        {"permission": "record_case_work"})
    position = referrals.accept(referral_id, MILAN_OPERATOR, LATER)
    assert position == last_position(referrals.record)
    (notification,) = referrals.record.recorder.select_notifications(position, 1)
    assert notification.topic.endswith("Referral.Accepted")
    assert cases.get(case_id).city == City.MILANO
    assert stored(referrals.record, CaseReferrals.id_for(case_id))[-1] == (
        "Settled", {"timestamp": LATER, "referral_id": referral_id})
    done = LATER + timedelta(days=1)
    position = referrals.complete(referral_id, " Seen ", MILAN_OPERATOR, done)
    assert position == last_position(referrals.record)
    name, completed = stored(referrals.record, referral_id)[-1]
    assert len(completed.pop("outcome_note_digest")) == 64
    assert (name, completed) == ("Completed", {
        "timestamp": done, "case_id": case_id, "case_code": "MI-2021-00001", "city": "milano",
        "outcome_note_id": UUID(int=1), "actor": MILAN_OPERATOR.as_record(),
        "legacy_texts": None})
    assert referrals.texts(referral_id) == {"outcome_note": CaseText("Seen")}


def test_a_decline_keeps_its_note_and_a_withdrawal_its_reason(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, declined, withdrawn = a_case(cases, City.MILANO), uuid4(), uuid4()
    referrals.request(declined, case_id, HEALTH, None, None, MILAN, NOW)
    referrals.request(withdrawn, case_id, Destination.transfer(City.FIRENZE), None, None, MILAN,
                      NOW)
    assert refusal(lambda: referrals.decline(declined, DeclineReason.OTHER, "n", FLORENCE,
                                             LATER))[0] == "access_denied"
    position = referrals.decline(declined, DeclineReason.OTHER, " Full ", MILAN, LATER)
    assert position == last_position(referrals.record)
    name, event = stored(referrals.record, declined)[-1]
    assert len(event.pop("note_digest")) == 64
    assert (name, event) == ("Declined", {
        "timestamp": LATER, "case_id": case_id, "case_code": "MI-2021-00001", "city": "milano",
        "to_city": None, "reason": "other", "note_id": UUID(int=1),
        "actor": MILAN.as_record(), "legacy_texts": None})
    assert referrals.texts(declined) == {"decline_note": CaseText("Full")}
    assert stored(referrals.record, CaseReferrals.id_for(case_id))[-1] == (
        "Settled", {"timestamp": LATER, "referral_id": declined})
    assert refusal(lambda: referrals.withdraw(withdrawn, " ", MILAN, LATER)) == (
        "invalid_referral_text", "Give the reason.", {"field": "reason", "max_length": 500})
    assert refusal(lambda: referrals.withdraw(withdrawn, "r", FLORENCE, LATER))[0] == (
        "access_denied")
    position = referrals.withdraw(withdrawn, " No longer needed ", MILAN, LATER)
    assert position == last_position(referrals.record)
    name, event = stored(referrals.record, withdrawn)[-1]
    assert len(event.pop("reason_digest")) == 64
    assert (name, event) == ("Withdrawn", {
        "timestamp": LATER, "case_id": case_id, "case_code": "MI-2021-00001", "city": "milano",
        "reason_id": UUID(int=2), "actor": MILAN.as_record(), "legacy_texts": None})
    assert referrals.texts(withdrawn) == {"withdrawal_reason": CaseText("No longer needed")}
    assert stored(referrals.record, CaseReferrals.id_for(case_id))[-1] == (
        "Settled", {"timestamp": LATER, "referral_id": withdrawn})


def test_after_a_transfer_the_old_city_may_withdraw_but_not_answer_or_complete(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, transfer_id, health_id = a_case(cases, City.MILANO), uuid4(), uuid4()
    referrals.request(transfer_id, case_id, Destination.transfer(City.FIRENZE), None, None,
                      MILAN, NOW)
    referrals.request(health_id, case_id, HEALTH, None, None, MILAN, NOW)
    referrals.accept(transfer_id, FLORENCE, LATER)
    moved = ("case_moved_away",
             "The case has been transferred to another city since it was referred.",
             {"field": "case"})
    assert refusal(lambda: referrals.accept(health_id, MILAN, LATER)) == moved
    assert refusal(lambda: referrals.complete(health_id, None, MILAN, LATER)) == moved
    assert refusal(lambda: referrals.decline(health_id, DeclineReason.OTHER, "n", MILAN,
                                             LATER)) == moved
    referrals.withdraw(health_id, "Moved", MILAN, LATER)
    assert stored(referrals.record, health_id)[-1][0] == "Withdrawn"


def test_an_unknown_id_or_another_aggregate_s_is_no_referral(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, unknown = a_case(cases, City.MILANO), uuid4()
    for referral_id in (unknown, case_id):
        with pytest.raises(ReferralNotFound) as not_found:
            referrals.get(referral_id)
        assert not_found.value.args == (referral_id,)
        assert not_found.value.__suppress_context__ or referral_id == case_id


def test_a_partner_is_refused_when_no_organisations_are_known(
    cases: CaseService, referrals: ReferralService,
) -> None:
    organisation_id = uuid4()
    with pytest.raises(DomainError) as refused:
        referrals.request(uuid4(), a_case(cases, City.MILANO), Destination.partner(
            organisation_id), None, None, MILAN, NOW)
    assert refused.value.code == "unknown_organisation"


class Rivals(ReferralService):
    """The service, while `rivals` colleagues each write the case's referral index just after it
    read it: each of its saves but the last loses a race."""

    rivals = 0
    rivals_seen = 0  # each rival refers the case to another service (HEALTH is the test's)

    def _index(self, case_id: UUID, now: Any) -> CaseReferrals:
        index = super()._index(case_id, now)
        if self.rivals:
            self.rivals -= 1
            self.rivals_seen += 1
            rival = super()._index(case_id, now)
            elsewhere = Destination.city_service(list(CityService)[self.rivals_seen])
            rival.add(Referral.request(uuid4(), self.cases.get(case_id), elsewhere, None, None,
                                       MILAN, now), now)
            self.record.save(rival)
        return index


def test_a_decision_lost_to_rivals_is_decided_again_up_to_the_service_s_attempts(
    cases: CaseService,
) -> None:
    racing = Rivals(cases.record, cases, new_id=text_ids())
    case_id, referral_id = a_case(cases, City.MILANO), uuid4()
    racing.request(uuid4(), case_id, Destination.transfer(City.FIRENZE), None, None, MILAN, NOW)
    racing.rivals = _SAVE_ATTEMPTS - 1  # the last attempt wins
    position = racing.request(referral_id, case_id, HEALTH, None, "n", MILAN, NOW)
    assert position == last_position(racing.record)
    assert racing.get(referral_id).case_id == case_id
    racing.rivals = _SAVE_ATTEMPTS  # every attempt loses
    assert _SAVE_ATTEMPTS == 4
    before = last_position(racing.record)
    with pytest.raises(DomainError) as busy:
        racing.accept(referral_id, MILAN, LATER)
    assert busy.value.code == "concurrent_changes"
    assert last_position(racing.record) == before + _SAVE_ATTEMPTS  # the rivals' saves only


def test_an_outcome_at_the_limit_is_kept_and_one_past_is_refused_with_its_field(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, referral_id = a_case(cases, City.MILANO), uuid4()
    referrals.request(referral_id, case_id, HEALTH, None, None, MILAN, NOW)
    assert refusal(partial(referrals.complete, referral_id, "x" * (MAX_NOTE + 1), MILAN,
                           LATER)) == (
        # The message names the field in words; `field` names it as programs do.
        "invalid_referral_text", f"The outcome note is too long: at most {MAX_NOTE} "
        "characters.", {"field": "outcome_note", "max_length": MAX_NOTE})
    referrals.complete(referral_id, "x" * MAX_NOTE, MILAN, LATER)
    assert referrals.texts(referral_id)["outcome_note"] == CaseText("x" * MAX_NOTE)


def test_a_completion_without_an_answer_settles_the_case_s_own_index_at_its_moment(
    cases: CaseService, referrals: ReferralService,
) -> None:
    """A service that took the person in without answering first has accepted: the completion
    settles the referral in the case's index, and writes nothing else."""
    case_id, referral_id = a_case(cases, City.MILANO), uuid4()
    referrals.request(referral_id, case_id, HEALTH, None, None, MILAN, NOW)
    before = last_position(referrals.record)
    position = referrals.complete(referral_id, None, MILAN, LATER)
    assert position == last_position(referrals.record) == before + 3  # Settled, Accepted, Completed
    assert stored(referrals.record, CaseReferrals.id_for(case_id))[-1] == (
        "Settled", {"timestamp": LATER, "referral_id": referral_id})
    assert [name for name, _ in stored(referrals.record, referral_id)] == [
        "Requested", "Accepted", "Completed"]


def test_an_outcome_and_a_withdrawal_reason_are_named_by_the_caller_s_ids(
    cases: CaseService, referrals: ReferralService,
) -> None:
    case_id, completed, withdrawn = a_case(cases, City.MILANO), uuid4(), uuid4()
    referrals.request(completed, case_id, HEALTH, None, None, MILAN, NOW)
    referrals.request(withdrawn, case_id, Destination.transfer(City.FIRENZE), None, None, MILAN,
                      NOW)
    mine = text_ids()
    referrals.complete(completed, "seen", MILAN, LATER, new_id=mine)
    referrals.withdraw(withdrawn, "moved", MILAN, LATER, new_id=mine)
    assert stored(referrals.record, completed)[-1][1]["outcome_note_id"] == UUID(int=1)
    assert stored(referrals.record, withdrawn)[-1][1]["reason_id"] == UUID(int=2)
    assert cases.vault.read_text(case_id, UUID(int=2)) == "moved"


def test_a_decline_s_note_is_checked_before_the_referral_is_looked_up(
    referrals: ReferralService,
) -> None:
    assert refusal(partial(referrals.decline, uuid4(), DeclineReason.OTHER, None, MILAN,
                           LATER)) == (
        "invalid_referral_text", "Give the note.", {"field": "note", "max_length": MAX_NOTE})


class LegacyTexts(ReferralService):
    """The service over a referral whose note was written into its event before free text left
    the events (issue 16): what a version 2 Requested event reads as."""

    def get(self, referral_id: UUID) -> Referral:
        referral = super().get(referral_id)
        referral.legacy_texts = {"note": "Written in the event"}
        return referral


def test_a_legacy_text_is_shown_as_legacy_and_the_vault_s_over_it(cases: CaseService) -> None:
    referrals = LegacyTexts(cases.record, cases, new_id=text_ids())
    case_id, old, new = a_case(cases, City.MILANO), uuid4(), uuid4()
    referrals.request(old, case_id, HEALTH, None, None, MILAN, NOW)
    assert referrals.texts(old) == {"note": CaseText("Written in the event", legacy=True)}
    referrals.request(new, case_id, Destination.transfer(City.FIRENZE), None, "In the vault",
                      MILAN, NOW)
    assert referrals.texts(new) == {"note": CaseText("In the vault", legacy=False)}


class FlorenceWithdrawn:
    """The terms in force after an amendment withdrew Florence on 31 March 2021."""

    def terms_in_force(self) -> object:
        return withdrawn(City.FIRENZE, date(2021, 3, 31))


def test_a_transfer_is_accepted_under_the_terms_the_service_is_given(
    cases: CaseService,
) -> None:
    """DOMAIN.md, "Partner cities": a case is taken over only by a city that is a partner on the
    day of the acceptance."""
    referrals = ReferralService(cases.record, cases, FlorenceWithdrawn(),  # type: ignore[arg-type]
                                new_id=text_ids())
    case_id, transfer_id = a_case(cases, City.MILANO), uuid4()
    referrals.request(transfer_id, case_id, Destination.transfer(City.FIRENZE), None, None,
                      MILAN, NOW)
    assert refusal(partial(referrals.accept, transfer_id, FLORENCE,
                           datetime(2021, 4, 1, 9, tzinfo=UTC)))[0] == "not_a_partner_city"
    referrals.accept(transfer_id, FLORENCE, datetime(2021, 3, 30, 9, tzinfo=UTC))
    assert cases.get(case_id).city == City.FIRENZE


def test_a_referral_rests_on_the_legal_basis_the_deployment_configures(
    cases: CaseService,
) -> None:
    """DOMAIN.md, "Data protection": each purpose rests on the basis the deployment names (GDPR
    art. 6(1)); a city service's referral is case management."""
    referrals = ReferralService(cases.record, cases, legal_bases=LegalBases(
        {ProcessingPurpose.CASE_MANAGEMENT: LegalBasis.LEGAL_OBLIGATION}), new_id=text_ids())
    referral_id = uuid4()
    referrals.request(referral_id, a_case(cases, City.MILANO), HEALTH, None, None, MILAN, NOW)
    assert stored(referrals.record, referral_id)[0][1]["legal_basis"] == "legal_obligation"
