"""docs/events.md names each published event type's `ce-subject` (issue 19: the docs said it was
always the case code, but budget, activity and shelter events carry another id); the table must
say what the publishing mapping does."""

from __future__ import annotations

import re
from pathlib import Path

from infra.publishing.event_mapping.catalogue import PUBLIC_EVENTS

EVENTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def documented_subjects() -> dict[str, str]:
    section = EVENTS_DOC.read_text().split("## `ce-subject` by event type", 1)[1]
    table: dict[str, str] = {}
    for row in section.split("\n## ", 1)[0].splitlines():
        if not row.startswith("| `"):
            continue
        kinds_cell, _meaning, field_cell = (cell.strip() for cell in row.strip("|").split("|"))
        field = re.findall(r"`([^`]+)`", field_cell)[0]
        for kind in re.findall(r"`([^`]+)`", kinds_cell):
            assert kind not in table, f"{kind} is in two rows"
            table[kind] = field
    return table


def test_every_published_types_ce_subject_is_documented_as_it_is_published() -> None:
    published: dict[str, str] = {}
    for public in PUBLIC_EVENTS.values():
        kind = f"{public.contract.aggregate}.{public.contract.event}"
        field = (public.id_field if public.subject_attribute == "originator_id"
                 else public.subject_attribute)
        assert published.setdefault(kind, field) == field, f"{kind}: versions differ"
    assert documented_subjects() == published
    # Not everything is about a case (the mistake the issue found in the docs).
    assert {field for field in published.values()} > {"case_code", "shelter_id", "claim_id"}
