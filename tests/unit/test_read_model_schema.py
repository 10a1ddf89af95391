"""The read models' tables and indexes, as SQLite records them, pinned in
`tests/unit/read_model_schema.sql`.

A projection creates its tables with `CREATE TABLE IF NOT EXISTS`, so a platform already running
keeps the tables it has: a change to a table's columns, keys or indexes reaches it only through a
rebuild (`lgnet projections rebuild`, docs/operations.md). This test makes such a change
deliberate. It fails on any difference; once the change is meant, and the rebuild it needs is
said in docs/operations.md, rewrite the file with `python -m tests.unit.test_read_model_schema`.

It is also how `make mutate` kills most letter-case mutants of the CREATE statements:
SQLite reads `TEXT NOT NULL` and `text not null` alike but records the statement as written, and
each such mutant otherwise survived every test of its projection (440 of them took 23 minutes of
the children's time in a whole run, 12 with this test: docs/testing.md, "A whole-tree make
mutate to the end"). Only a lower-cased `CREATE TABLE IF NOT EXISTS` before a lower-case name
still survives: SQLite records the statement's opening as `CREATE TABLE` whatever its case.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from projections.projection import ensure_created
from projections.registry import default_projections
from projections.storage.read_models import SqliteReadModels

PINNED = Path(__file__).with_name("read_model_schema.sql")


def current_schema(directory: Path) -> str:
    """Every table and index the projections create (the tracking table included), one
    statement each as SQLite recorded it, by name."""
    database = SqliteReadModels(directory / "schema.sqlite")
    try:
        for projection in default_projections():
            ensure_created(database, projection)
        with database.reading() as tx:
            rows = tx.fetchall(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, name")
    finally:
        database.close()
    return "".join(f"{sql};\n" for (sql,) in rows)


def test_the_read_models_tables_are_the_pinned_ones(tmp_path: Path) -> None:
    current = current_schema(tmp_path)
    pinned = PINNED.read_text(encoding="utf-8")
    difference = "".join(difflib.unified_diff(
        pinned.splitlines(keepends=True), current.splitlines(keepends=True),
        "pinned (tests/unit/read_model_schema.sql)", "created by the projections"))
    assert current == pinned, (
        "The read models' tables changed. A running platform keeps its old tables until "
        "`lgnet projections rebuild`: say so in docs/operations.md, then rewrite the pinned "
        "file with `python -m tests.unit.test_read_model_schema`.\n" + difference)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        PINNED.write_text(current_schema(Path(directory)), encoding="utf-8")
    print(f"wrote {PINNED}")
