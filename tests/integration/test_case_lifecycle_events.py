"""A case closed, reopened, corrected and transferred through the domain reaches a real NATS
server as valid CloudEvents: one message per event, on the city's subject (the NEW city's for
the transfer), with the CloudEvents headers, read back with the `cloudevents` SDK and checked
against the contracts' published JSON Schemas."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat

from domain.cases.rules import CaseOutcome, CorrectableField, Vulnerability
from domain.cases.service import CaseService
from domain.programme import City
from events.catalogue import json_schemas
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.conftest import data_of, headers_of, relayed

LATER = NOW + timedelta(days=120)
CLOSED = "it.lgnet.case.closed.v2"
REOPENED = "it.lgnet.case.reopened.v2"
CORRECTED = "it.lgnet.case.intake_corrected.v3"
TRANSFERRED = "it.lgnet.case.transferred.v1"


@pytest.mark.nats
async def test_closure_reopening_correction_and_transfer_reach_nats_as_valid_cloudevents(
    tmp_path: Path, nats_server: EmbeddedNats
) -> None:
    settings = Settings(data_dir=tmp_path)
    record = open_record(settings)
    cases = CaseService(record, open_vault(settings))
    case_id, referral_id = uuid4(), uuid4()
    florence, milan = a_coordinator(City.FIRENZE), a_coordinator(City.MILANO, id="mi-coord")
    receipt = cases.record_intake(case_id, an_intake(City.FIRENZE), a_person(), florence, NOW)
    positions = [
        cases.close(case_id, CaseOutcome.OTHER_PROGRAMME, date(2021, 6, 30),
                    "Taken in by the SAI network", florence, LATER),
        cases.reopen(case_id, date(2021, 7, 1), "Left the SAI project", florence, LATER),
        cases.correct_intake(
            case_id, {CorrectableField.PROTECTION_STATUS: "asylum_seeker",
                      CorrectableField.VULNERABILITIES: [Vulnerability.PREGNANCY.value]},
            "Permit shows a pending application", florence, LATER),
    ]
    case = cases.get(case_id)
    case.transfer_to(City.MILANO, referral_id, date(2021, 7, 5), milan, LATER)
    record.save(case)
    # From the transfer on, the case's events are Milan's: the old city's subjects carry none.
    cases.close(case_id, CaseOutcome.MOVED_AWAY, date(2021, 7, 6), "Left Italy", milan, LATER)
    messages = await relayed(record, nats_server.url)
    record.close()

    assert [m.subject for m in messages] == [
        "lgnet.firenze.case.intake_recorded",
        "lgnet.firenze.case.closed",
        "lgnet.firenze.case.reopened",
        "lgnet.firenze.case.intake_corrected",
        "lgnet.milano.case.transferred",  # the new city's subject: it is the new city's case
        "lgnet.milano.case.closed",
    ]
    events = [from_http(HTTPMessage(headers=headers_of(m), body=m.data), JSONFormat())
              for m in messages]
    schemas = json_schemas()
    for version, event in enumerate(events, start=1):
        assert event.get_specversion() == "1.0"
        assert event.get_id() == f"{case_id}.{version}"
        assert event.get_subject() == receipt.case_code
        assert event.get_datacontenttype() == "application/json"
        jsonschema.Draft202012Validator(schemas[event.get_type()]).validate(event.get_data())
    closed, reopened, corrected, transferred, closed_in_milan = events[1:]
    assert [e.get_type() for e in events[1:]] == [
        CLOSED, REOPENED, CORRECTED, TRANSFERRED, CLOSED]
    assert closed_in_milan.get_source() == "/lgnet/cities/milano"
    assert data_of(closed_in_milan)["city"] == "milano"
    for event, position in zip((closed, reopened, corrected), positions, strict=True):
        assert event.get_source() == "/lgnet/cities/firenze"
        assert event.get_time() == LATER
        assert event.get_extension("lgnetposition") == str(position)
        assert event.get_extension("actorid") == "coordinator-1"
        assert event.get_extension("actorcity") == "firenze"

    # The reasons are free text: in the vault under the person's key, the events carry only
    # their id and digest (issue 16 item 4).
    closure: dict[str, Any] = data_of(closed)
    assert closure == {"case_id": str(case_id), "case_code": receipt.case_code,
                       "city": "firenze", "closed_on": "2021-06-30",
                       "outcome": "other_programme", "reason_id": closure["reason_id"],
                       "reason_digest": closure["reason_digest"]}
    assert data_of(reopened)["reopened_on"] == "2021-07-01"
    told = {text: cases.case_text(case_id, UUID(data_of(event)["reason_id"]))
            for event, text in ((closed, "Taken in by the SAI network"),
                                (reopened, "Left the SAI project"),
                                (corrected, "Permit shows a pending application"),
                                (closed_in_milan, "Left Italy"))}
    assert told == {text: text for text in told}
    assert len({data_of(e)["reason_digest"] for e in (closed, reopened, corrected)}) == 3

    correction: dict[str, Any] = data_of(corrected)
    assert correction["changes"] == [
        {"field": "protection_status", "before": "refugee", "after": "asylum_seeker",
         "corrects": events[0].get_id()},
        {"field": "vulnerabilities", "before": [], "after": ["pregnancy"],
         "corrects": events[0].get_id()},
    ]
    assert correction["priority_group"] == "other_outside_reception"
    assert {"sub_action": "2", "eligible": True, "reason": "asylum_seeker"} in (
        correction["eligibility"])

    assert transferred.get_source() == "/lgnet/cities/milano"
    assert transferred.get_extension("actorid") == "mi-coord"
    assert transferred.get_extension("actorcity") == "milano"
    assert transferred.get_data() == {
        "case_id": str(case_id), "case_code": receipt.case_code, "city": "milano",
        "from_city": "firenze", "referral_id": str(referral_id),
        "transferred_on": "2021-07-05",
    }
    for message in messages:
        assert b"Tesfaye" not in message.data and b"Amina" not in message.data
        assert b"SAI" not in message.data and b"Italy" not in message.data
        assert b"Permit shows" not in message.data


def test_the_schemas_refuse_a_correction_that_names_no_change_or_a_closure_without_reason(
) -> None:
    schemas = json_schemas()
    reason = {"reason_id": str(uuid4()), "reason_digest": "a" * 64}
    correction = {"case_id": str(uuid4()), "case_code": "FI-2021-00001", "city": "firenze",
                  "changes": [], **reason, "priority_group": "international_protection",
                  "eligibility": []}
    closure = {"case_id": str(uuid4()), "case_code": "FI-2021-00001", "city": "firenze",
               "closed_on": "2021-06-30", "outcome": "autonomy", **reason}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schemas[CORRECTED]).validate(correction)
    for not_a_digest in ("Done", "A" * 64, "a" * 63):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(schemas[CLOSED]).validate(
                {**closure, "reason_digest": not_a_digest})
    with pytest.raises(jsonschema.ValidationError):  # v2 has no text: none is accepted in it
        jsonschema.Draft202012Validator(schemas[CLOSED]).validate({**closure, "reason": "Done"})
    jsonschema.Draft202012Validator(schemas[CLOSED]).validate(closure)
