CREATE TABLE rm_activities ( activity_id TEXT PRIMARY KEY, city TEXT NOT NULL, sub_action TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, neighbourhood TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT NOT NULL, organiser TEXT NOT NULL, status TEXT NOT NULL, planned_at TEXT NOT NULL, sessions INTEGER NOT NULL, participants INTEGER NOT NULL, residents INTEGER NOT NULL, hours TEXT NOT NULL, completed_on TEXT, cancellation_reason TEXT, last_position BIGINT NOT NULL);
CREATE TABLE rm_activity_participants ( activity_id TEXT NOT NULL, case_id TEXT NOT NULL, case_code TEXT NOT NULL, enrolled_at TEXT NOT NULL, position BIGINT NOT NULL, sessions_attended INTEGER NOT NULL, hours TEXT NOT NULL, PRIMARY KEY (activity_id, case_id));
CREATE TABLE rm_activity_sessions ( activity_id TEXT NOT NULL, session_number INTEGER NOT NULL, held_on TEXT NOT NULL, hours TEXT NOT NULL, residents INTEGER NOT NULL, attended TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (activity_id, session_number));
CREATE TABLE rm_activity_staff_trained ( activity_id TEXT PRIMARY KEY, staff_trained INTEGER NOT NULL, position BIGINT NOT NULL);
CREATE TABLE rm_case_handovers ( case_id TEXT NOT NULL, case_code TEXT NOT NULL, from_city TEXT NOT NULL, to_city TEXT NOT NULL, transferred_on TEXT NOT NULL, until_position BIGINT NOT NULL, PRIMARY KEY (case_id, until_position));
CREATE TABLE rm_case_history ( case_id TEXT NOT NULL, position BIGINT NOT NULL, time TEXT NOT NULL, type TEXT NOT NULL, actor_kind TEXT NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, actor_city TEXT, data TEXT NOT NULL, PRIMARY KEY (case_id, position));
CREATE TABLE rm_case_holders ( case_id TEXT PRIMARY KEY, case_code TEXT NOT NULL, city TEXT NOT NULL, holder TEXT, since TEXT NOT NULL, is_open INTEGER NOT NULL, last_activity TEXT NOT NULL);
CREATE TABLE rm_case_holdings ( case_id TEXT NOT NULL, position BIGINT NOT NULL, city TEXT NOT NULL, holder TEXT, since TEXT NOT NULL, assigned_by TEXT, PRIMARY KEY (case_id, position));
CREATE TABLE rm_case_notes ( note_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL, kind TEXT NOT NULL, contacted_on TEXT NOT NULL, contacted_at TEXT, duration_minutes INTEGER NOT NULL, author TEXT NOT NULL, follow_up_on TEXT, supersedes TEXT, superseded_by TEXT, followed_up_by TEXT, written_at TEXT NOT NULL, position BIGINT NOT NULL, case_closed INTEGER NOT NULL, case_erased INTEGER NOT NULL);
CREATE TABLE rm_cases ( case_id TEXT PRIMARY KEY, case_code TEXT NOT NULL, city TEXT NOT NULL, status TEXT NOT NULL, intake_date TEXT NOT NULL, protection_status TEXT NOT NULL, reception_situation TEXT NOT NULL, sex TEXT NOT NULL, age_band TEXT NOT NULL, citizenship TEXT, household_size INTEGER NOT NULL, vulnerabilities TEXT NOT NULL, priority_group TEXT NOT NULL, eligibility TEXT NOT NULL, opened_at TEXT NOT NULL, last_position BIGINT NOT NULL, personal_data_erased_on TEXT, closed_on TEXT, outcome TEXT, permit_expires_on TEXT, reception_centre_kind TEXT, planned_exit_on TEXT, consents TEXT NOT NULL, guardian_appointed_on TEXT);
CREATE TABLE rm_changes (
    projection TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
CREATE TABLE rm_deliveries ( delivery_id TEXT PRIMARY KEY, city TEXT NOT NULL, case_id TEXT NOT NULL, case_code TEXT NOT NULL, sub_action TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL, quantity TEXT NOT NULL, delivered_on TEXT NOT NULL, recorded_at TEXT NOT NULL, recorded_by TEXT, voided_reason TEXT, position BIGINT NOT NULL);
CREATE TABLE rm_document_cases ( case_id TEXT PRIMARY KEY, city TEXT NOT NULL, is_open INTEGER NOT NULL, erased INTEGER NOT NULL);
CREATE TABLE rm_documents ( document_id TEXT PRIMARY KEY, owner TEXT NOT NULL, owner_id TEXT NOT NULL, case_code TEXT, city TEXT NOT NULL, kind TEXT NOT NULL, media_type TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, expires_on TEXT, vulnerability TEXT, assessed_on TEXT, attached_at TEXT NOT NULL, attached_by TEXT NOT NULL, last_position BIGINT NOT NULL);
CREATE TABLE rm_finance_allocations ( city TEXT NOT NULL, sub_action TEXT NOT NULL, allocated TEXT NOT NULL, last_position BIGINT NOT NULL, PRIMARY KEY (city, sub_action));
CREATE TABLE rm_finance_claims ( claim_id TEXT PRIMARY KEY, city TEXT NOT NULL, sub_action TEXT NOT NULL, category TEXT NOT NULL, amount TEXT NOT NULL, spent_on TEXT NOT NULL, document_reference TEXT NOT NULL, status TEXT NOT NULL, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, decided_at TEXT, decided_by TEXT, rejection_reason TEXT, last_position BIGINT NOT NULL);
CREATE TABLE rm_grant_claim_states ( claim_id TEXT NOT NULL, position BIGINT NOT NULL, recorded_at TEXT NOT NULL, state TEXT NOT NULL, admitted_amount TEXT NOT NULL, PRIMARY KEY (claim_id, position));
CREATE TABLE rm_grant_claims ( claim_id TEXT PRIMARY KEY, co_beneficiary TEXT NOT NULL, city TEXT NOT NULL, sub_action TEXT NOT NULL, heading TEXT NOT NULL, document_date TEXT NOT NULL, payment_date TEXT NOT NULL, gross_amount TEXT NOT NULL, eligible_amount TEXT NOT NULL, vat_treatment TEXT NOT NULL, cup TEXT NOT NULL, cig TEXT, corrects TEXT, corrected_by TEXT, drafted_at TEXT NOT NULL, drafted_by TEXT NOT NULL, submitted_at TEXT, state TEXT NOT NULL, admitted_amount TEXT NOT NULL, rejection_reason TEXT, last_position BIGINT NOT NULL);
CREATE TABLE rm_grant_disallowed ( claim_id TEXT NOT NULL, position BIGINT NOT NULL, part INTEGER NOT NULL, amount TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (claim_id, position, part));
CREATE TABLE rm_grant_lines ( position BIGINT NOT NULL, recorded_at TEXT NOT NULL, co_beneficiary TEXT NOT NULL, sub_action TEXT NOT NULL, heading TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (position, co_beneficiary, sub_action, heading));
CREATE TABLE rm_grant_payments ( position BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, co_beneficiary TEXT NOT NULL, kind TEXT NOT NULL, amount TEXT NOT NULL, value_date TEXT NOT NULL, reference TEXT NOT NULL);
CREATE TABLE rm_grant_transfers ( position BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, co_beneficiary TEXT NOT NULL, from_sub_action TEXT NOT NULL, from_heading TEXT NOT NULL, to_sub_action TEXT NOT NULL, to_heading TEXT NOT NULL, amount TEXT NOT NULL, reason TEXT NOT NULL, act_reference TEXT NOT NULL, approved_on TEXT NOT NULL);
CREATE TABLE rm_household_members ( household_id TEXT NOT NULL, case_id TEXT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL, relationship TEXT NOT NULL, joined_on TEXT NOT NULL, left_on TEXT, departure_reason TEXT, position BIGINT NOT NULL, PRIMARY KEY (household_id, position));
CREATE TABLE rm_household_offers ( household_id TEXT NOT NULL, shelter_id TEXT NOT NULL, bed_numbers TEXT NOT NULL, offered_on TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (household_id, position));
CREATE TABLE rm_households ( household_id TEXT PRIMARY KEY, city TEXT NOT NULL, formed_on TEXT NOT NULL, ended_on TEXT, last_position BIGINT NOT NULL);
CREATE TABLE rm_housing_paths ( case_id TEXT PRIMARY KEY, housing_path_id TEXT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL, stage TEXT NOT NULL, vulnerable INTEGER NOT NULL, priority_group TEXT NOT NULL, intake_date TEXT NOT NULL, waitlisted_at TEXT, episodes INTEGER NOT NULL, shelter_id TEXT, shelter_name TEXT, address_area TEXT, bed INTEGER, offered_on TEXT, moved_in_on TEXT, case_closed INTEGER NOT NULL, last_position BIGINT NOT NULL);
CREATE TABLE rm_network_case_facts (case_id TEXT PRIMARY KEY, city TEXT NOT NULL, vulnerable INTEGER NOT NULL, protection_status TEXT NOT NULL);
CREATE TABLE rm_network_cities (city TEXT PRIMARY KEY, cases INTEGER NOT NULL, vulnerable_cases INTEGER NOT NULL);
CREATE TABLE rm_network_protection (city TEXT NOT NULL, protection_status TEXT NOT NULL, cases INTEGER NOT NULL, PRIMARY KEY (city, protection_status));
CREATE TABLE rm_organisations ( organisation_id TEXT PRIMARY KEY, city TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, registered_on TEXT NOT NULL, retired_on TEXT);
CREATE TABLE rm_person_cases (case_id TEXT PRIMARY KEY, case_code TEXT NOT NULL, city TEXT NOT NULL, person_id TEXT);
CREATE TABLE rm_person_matches (match_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL, other_case_id TEXT NOT NULL, other_case_code TEXT NOT NULL, other_city TEXT NOT NULL, matched_on TEXT NOT NULL, status TEXT NOT NULL, noted_at TEXT NOT NULL, person_id TEXT);
CREATE TABLE rm_placements ( case_id TEXT NOT NULL, offered_position BIGINT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL, shelter_id TEXT NOT NULL, shelter_name TEXT NOT NULL, bed INTEGER NOT NULL, offered_on TEXT NOT NULL, status TEXT NOT NULL, intake_date TEXT, moved_in_on TEXT, days_to_move_in INTEGER, moved_out_on TEXT, outcome TEXT, note_id TEXT, reason_id TEXT, PRIMARY KEY (case_id, offered_position));
CREATE TABLE rm_plan_actions ( action_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, goal_id TEXT NOT NULL, owner TEXT NOT NULL, assignee TEXT, due_on TEXT NOT NULL, text_id TEXT NOT NULL, done_on TEXT, position BIGINT NOT NULL);
CREATE TABLE rm_plan_goals ( goal_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, area TEXT NOT NULL, agreed_on TEXT NOT NULL, target_date TEXT NOT NULL, text_id TEXT NOT NULL, status TEXT NOT NULL, closed_on TEXT, drop_reason TEXT, position BIGINT NOT NULL);
CREATE TABLE rm_plan_reviews ( review_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, reviewed_on TEXT NOT NULL, next_review_on TEXT NOT NULL, text_id TEXT NOT NULL, position BIGINT NOT NULL);
CREATE TABLE rm_plans ( case_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL, started_on TEXT NOT NULL, next_review_on TEXT NOT NULL, case_open INTEGER NOT NULL, erased INTEGER NOT NULL, last_position BIGINT NOT NULL);
CREATE TABLE rm_referral_organisations ( partner_organisation_id TEXT PRIMARY KEY, partner_organisation_name TEXT NOT NULL);
CREATE TABLE rm_referrals ( referral_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL, destination_kind TEXT NOT NULL, service TEXT, partner_name TEXT, to_city TEXT, urgency TEXT NOT NULL, due_at TEXT NOT NULL, legal_basis TEXT NOT NULL, status TEXT NOT NULL, requested_at TEXT NOT NULL, requested_by_role TEXT NOT NULL, answered_at TEXT, response_seconds BIGINT, decline_reason TEXT, finished_at TEXT, last_position BIGINT NOT NULL, organisation_id TEXT);
CREATE TABLE rm_shelter_bed_counts ( shelter_id TEXT NOT NULL, position BIGINT NOT NULL, city TEXT NOT NULL, effective_on TEXT NOT NULL, beds INTEGER NOT NULL, PRIMARY KEY (shelter_id, position));
CREATE TABLE rm_shelters ( shelter_id TEXT PRIMARY KEY, city TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, address_area TEXT NOT NULL, bed_numbers TEXT NOT NULL, occupied INTEGER NOT NULL, registered_at TEXT NOT NULL, closed_on TEXT, closed_reason TEXT, last_position BIGINT NOT NULL);
CREATE TABLE rm_tracking (
    projection TEXT PRIMARY KEY,
    stream_seq BIGINT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX rm_activities_city ON rm_activities (city, sub_action, starts_on);
CREATE INDEX rm_case_holders_city ON rm_case_holders (city, holder);
CREATE INDEX rm_case_notes_case ON rm_case_notes (case_id, contacted_on);
CREATE INDEX rm_case_notes_follow_ups ON rm_case_notes (city, follow_up_on);
CREATE INDEX rm_cases_city ON rm_cases (city, intake_date, case_code);
CREATE INDEX rm_deliveries_case ON rm_deliveries (case_id, delivered_on);
CREATE INDEX rm_deliveries_city ON rm_deliveries (city, delivered_on);
CREATE INDEX rm_deliveries_tallies ON rm_deliveries (city, sub_action, kind, unit, quantity, case_id) WHERE voided_reason IS NULL;
CREATE INDEX rm_documents_owner ON rm_documents (owner_id, attached_at);
CREATE INDEX rm_finance_claims_city ON rm_finance_claims (city, recorded_at);
CREATE INDEX rm_grant_claim_states_by_recorded_at ON rm_grant_claim_states (recorded_at);
CREATE INDEX rm_grant_claims_by_co_beneficiary ON rm_grant_claims (co_beneficiary, drafted_at);
CREATE INDEX rm_household_members_case ON rm_household_members (case_id, left_on);
CREATE INDEX rm_household_members_code ON rm_household_members (city, case_code);
CREATE INDEX rm_housing_paths_waitlist ON rm_housing_paths (city, stage);
CREATE INDEX rm_organisations_city ON rm_organisations (city, name);
CREATE INDEX rm_person_cases_code ON rm_person_cases (case_code);
CREATE INDEX rm_placements_city ON rm_placements (city, status);
CREATE INDEX rm_placements_shelter ON rm_placements (shelter_id, status);
CREATE INDEX rm_plan_actions_case ON rm_plan_actions (case_id);
CREATE INDEX rm_plan_goals_case ON rm_plan_goals (case_id);
CREATE INDEX rm_plan_reviews_case ON rm_plan_reviews (case_id);
CREATE INDEX rm_plans_city ON rm_plans (city, next_review_on);
CREATE INDEX rm_referrals_case ON rm_referrals (case_id);
CREATE INDEX rm_referrals_city ON rm_referrals (city, status, due_at);
CREATE INDEX rm_referrals_to_city ON rm_referrals (to_city, status, due_at);
CREATE INDEX rm_shelters_city ON rm_shelters (city, name);
