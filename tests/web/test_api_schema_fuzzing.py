"""The API against its own OpenAPI schema: schemathesis generates requests for every operation,
valid and invalid, sent with a signed-in coordinator's session (cookie and CSRF header) or with
a partner's token (who gets the minimised view), and no answer may be a server error, an
undocumented status or content type, or a body that breaks the documented schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import Clients, record_intake
from web.kit.authentication import CSRF_HEADER, SESSION_COOKIE

# Enough to reach the edges of every operation's inputs, few enough to keep the suite quick: with
# ~50 operations and two kinds of credentials, 100 took 4 of the suite's 10 minutes.
EXAMPLES_PER_OPERATION = 40


@pytest.fixture
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(params=["coordinator", "partner"])
def credentials(request: pytest.FixtureRequest, clients: Clients) -> dict[str, Any]:
    """Florence's coordinator's session or a Florence partner's token, and a case of Florence's
    to be found."""
    case_id = record_intake(clients, "firenze", vulnerabilities=["pregnancy"])["case_id"]
    # Generated cities and ids are nearly all refused (403, 404) before the rest of the request
    # is looked at: half the examples name Florence and its case.
    path_parameters = {"city": "firenze", "case_id": case_id}
    if request.param == "partner":
        partner = clients.partner("firenze")
        return {"headers": {"Authorization": partner.headers["Authorization"]}, "cookies": {},
                "path_parameters": path_parameters}
    coordinator = clients.coordinator("firenze")
    return {
        "headers": {CSRF_HEADER: coordinator.headers[CSRF_HEADER]},
        "cookies": {SESSION_COOKIE: coordinator.cookies[SESSION_COOKIE]},
        "path_parameters": path_parameters,
    }


def test_no_input_makes_the_api_fail_or_break_its_schema(
    api_schema: Any, credentials: dict[str, Any], subtests: pytest.Subtests
) -> None:
    # One Hypothesis run per operation, valid and invalid inputs alike. (Schemathesis's own
    # pytest integration, `schemathesis.pytest.from_fixture`, does not run under pytest 9.)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        with subtests.test(operation.label):
            own = {name: value for name, value in
                   credentials["path_parameters"].items()
                   if f"{{{name}}}" in operation.path}
            generated = st.one_of([
                operation.as_strategy(mode, path_parameters=path_parameters)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                for path_parameters in ({}, own)
            ])

            @given(case=generated)
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def answers_within_its_schema(case: Any) -> None:
                case.call_and_validate(
                    headers=credentials["headers"],
                    cookies=credentials["cookies"],
                    checks=[not_a_server_error, status_code_conformance,
                            content_type_conformance, response_schema_conformance],
                )

            answers_within_its_schema()
