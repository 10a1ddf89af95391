"""Every command a page carries out ends with a message saying what happened (issue 14).

A recorded form leads (303, web.kit.forms.see_other) to the page that shows what was recorded;
the redirect names the command (`?done=<the POST route's name>`), and that page says in words
what was done, in the live region every page has (base.html, `#live-notices`: role="status",
aria-live="polite", so screen readers announce it; an htmx fragment carries it out of band).
Only the commands listed here are named: a made-up `done` shows nothing.

Irreversible commands ask first (web.kit.confirmation): their button posts without `confirm`,
and the answer is a page that says what will happen and posts again with `confirm=1` (works
without JavaScript)."""

from __future__ import annotations

from fastapi import Request

from web.kit.i18n import N_, Translator

DONE_PARAMETER = "done"

# What each command did, by the name of its POST route.
DONE_MESSAGES: dict[str, str] = {
    "close_case": N_("The case has been closed."),
    "reopen_case": N_("The case has been reopened."),
    "correct_case": N_("The correction has been recorded."),
    "change_case_status": N_("The change of status has been recorded."),
    "give_case_consent": N_("The consent has been recorded."),
    "withdraw_case_consent": N_("The withdrawal of consent has been recorded."),
    "appoint_case_guardian": N_("The guardian's appointment has been recorded."),
    "assess_case_vulnerability": N_("The assessment of the vulnerability has been recorded."),
    "describe_case_vulnerability": N_("What the other vulnerability is has been recorded."),
    "erase_personal_data": N_("The person's identifiers have been erased."),
    "request_referral": N_("The referral has been sent."),
    "accept_referral": N_("The referral has been accepted."),
    "decline_referral": N_("The referral has been declined."),
    "complete_referral": N_("The referral has been completed."),
    "withdraw_referral": N_("The referral has been withdrawn."),
    "register_shelter": N_("The shelter has been registered."),
    "add_beds": N_("The beds have been added."),
    "remove_beds": N_("The beds have been removed."),
    "close_shelter": N_("The shelter has been closed."),
    "waitlist_case": N_("The case has been put on the housing waitlist."),
    "decline_offer": N_("The offer has been declined: the bed is free again."),
    "move_in": N_("The move-in has been recorded."),
    "move_out": N_("The move-out has been recorded."),
    "leave_waitlist": N_("The case has left the waitlist."),
    "offer_bed": N_("The bed has been offered."),
    "plan_activity": N_("The activity has been planned."),
    "enrol_participant": N_("The participant has been enrolled."),
    "record_session": N_("The session has been recorded."),
    "complete_activity": N_("The activity has been marked as ended."),
    "cancel_activity": N_("The activity has been cancelled."),
    "grant_identifier_access": N_("The grant has been given."),
    "revoke_identifier_access": N_("The grant has been revoked."),
    "record_claim": N_("The claim has been recorded: it awaits the Ministry's decision."),
    "set_allocation": N_("The allocation has been set."),
    "approve_claim": N_("The claim has been approved."),
    "reject_claim": N_("The claim has been rejected."),
    "start_plan": N_("The individual plan has been started."),
    "agree_plan_goal": N_("The goal has been agreed."),
    "achieve_plan_goal": N_("The goal has been marked as achieved."),
    "drop_plan_goal": N_("The goal has been dropped."),
    "plan_goal_action": N_("The action has been added."),
    "complete_plan_action": N_("The action has been marked as done."),
    "review_plan": N_("The review has been recorded."),
    "attach_case_document": N_("The document has been attached."),
    "attach_claim_document": N_("The document has been attached."),
    "form_household": N_("The household has been formed."),
    "join_household": N_("The person has joined the household."),
    "leave_household": N_("The departure from the household has been recorded."),
    "make_household_head": N_("The head of the household has been changed."),
    "offer_household_beds": N_("The beds have been offered to the household."),
    "write_case_note": N_("The note has been recorded."),
    "assign_case": N_("The case has been assigned."),
    "record_delivery": N_("The service delivered has been recorded."),
    "void_delivery": N_("The service delivered has been voided."),
    "confirm_same_person": N_("The two cases have been recorded as the same person."),
    "rule_out_same_person": N_("The two cases have been recorded as different people."),
    "register_organisation": N_("The partner organisation has been registered."),
    "retire_organisation": N_("The partner organisation has been retired."),
    "count_staff_trained": N_("The number of staff trained has been recorded."),
    "grant_transfer": N_("The budget transfer has been approved."),
    "draft_grant_claim": N_("The claim has been drafted: attach its invoice and proof of payment, "
                            "then submit it."),
    "submit_grant_claim": N_("The claim has been submitted for checking."),
    "admit_grant_claim": N_("The check of the claim has been recorded."),
    "confirm_grant_claim": N_("The admission has been confirmed."),
    "reject_grant_claim": N_("The claim has been rejected."),
    "record_grant_payment": N_("The payment has been recorded."),
    "draft_partner_grant_claim": N_("The claim has been drafted: attach its invoice and proof "
                                    "of payment, then submit it."),
}


def done_message(request: Request, translator: Translator) -> str | None:
    """What the command that led here did, in words; None when nothing was done (or `done`
    names no command)."""
    message = DONE_MESSAGES.get(request.query_params.get(DONE_PARAMETER) or "")
    return translator.gettext(message) if message else None


def command_done(request: Request) -> str | None:
    """The name to give `done` for the command being answered: its route's, when listed."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    return name if request.method == "POST" and name in DONE_MESSAGES else None

