"""Every published event contract, by CloudEvents type: what consumers parse messages with and
what the JSON Schemas and the AsyncAPI document are written from. Each context's contracts live
in their own module; a new one is added here."""

from __future__ import annotations

from typing import Any

from events.activities import ACTIVITY_CONTRACTS
from events.assignment import ASSIGNMENT_CONTRACTS
from events.audit import AUDIT_CONTRACTS
from events.contracts import CASE_CONTRACTS, JSON_SCHEMA_DRAFT, EventContract
from events.deliveries import DELIVERY_CONTRACTS
from events.documents import DOCUMENT_CONTRACTS
from events.finance import FINANCE_CONTRACTS
from events.households import HOUSEHOLD_CONTRACTS
from events.housing import HOUSING_CONTRACTS
from events.identity import IDENTITY_CONTRACTS
from events.notes import NOTE_CONTRACTS
from events.organisations import ORGANISATION_CONTRACTS
from events.plans import PLAN_CONTRACTS
from events.programme import PROGRAMME_CONTRACTS
from events.referrals import REFERRAL_CONTRACTS

CONTRACTS: dict[str, type[EventContract]] = {
    contract.ce_type(): contract
    for contract in (
        *CASE_CONTRACTS, *REFERRAL_CONTRACTS, *HOUSING_CONTRACTS, *ACTIVITY_CONTRACTS,
        *AUDIT_CONTRACTS, *FINANCE_CONTRACTS, *PROGRAMME_CONTRACTS, *PLAN_CONTRACTS,
        *DOCUMENT_CONTRACTS, *HOUSEHOLD_CONTRACTS, *NOTE_CONTRACTS, *ASSIGNMENT_CONTRACTS,
        *DELIVERY_CONTRACTS, *IDENTITY_CONTRACTS,
        *ORGANISATION_CONTRACTS,
    )
}


class UnknownEventType(KeyError):
    """Raised when a message carries a CloudEvents type with no contract here."""


def contract_for(ce_type: str) -> type[EventContract]:
    try:
        return CONTRACTS[ce_type]
    except KeyError:
        raise UnknownEventType(ce_type) from None


def json_schemas() -> dict[str, dict[str, Any]]:
    """Every contract's JSON Schema, keyed by CloudEvents type."""
    return {
        ce_type: {
            "$schema": JSON_SCHEMA_DRAFT,
            "$id": f"urn:lgnet:schema:{ce_type}",
            **contract.model_json_schema(),
        }
        for ce_type, contract in CONTRACTS.items()
    }
