"""tests/mutation_report.py: which surviving mutants it counts as equivalent SQL case changes
(docs/testing.md, "Mutation testing": left out of the kill rate) and which stay survivors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import mutation_report
from tests.mutation_report import is_sql_case_change, tallies

MODULE = "projections.demo"

ORIGINAL = {
    "x_count": 'def x_count__mutmut_{n}(tx, city):\n'
               '    return tx.fetchone("SELECT COUNT(*) FROM rm_cases WHERE city = ?", (city,))\n',
    "x_submitted": "def x_submitted__mutmut_{n}(tx):\n"
                   "    return tx.fetchall(\"SELECT case_id FROM rm_cases"
                   " WHERE status = 'submitted'\")\n",
    "x_refuse": "def x_refuse__mutmut_{n}():\n"
                "    raise ValueError(\"No case found where the city is closed.\")\n",
    "x_two": 'def x_two__mutmut_{n}(tx, limit):\n'
             '    return tx.fetchall("SELECT case_id FROM rm_cases LIMIT ?", (limit,))\n',
}


def _write_mutants(root: Path, mutants: dict[str, tuple[str, str, int | None]]) -> None:
    """A mutants/ tree as mutmut 3.8 leaves it: the source file holds each function's original
    (`<name>__mutmut_orig`) and its mutants (`<name>__mutmut_<N>`); the .meta file the exit
    code of each mutant by its key. `mutants` maps a key to (function, mutated source, code)."""
    sources = [ORIGINAL[function].format(n="orig") for function in ORIGINAL]
    sources += [text for _function, text, _code in mutants.values()]
    folder = root / "projections"
    folder.mkdir(parents=True)
    (folder / "demo.py").write_text("\n\n".join(sources), encoding="utf-8")
    (folder / "demo.py.meta").write_text(json.dumps({"exit_code_by_key": {
        f"{MODULE}.{key}": code for key, (_function, _text, code) in mutants.items()}}))


def _mutant(function: str, number: int, old: str, new: str, code: int | None = 0
            ) -> tuple[str, tuple[str, str, int | None]]:
    text = ORIGINAL[function].format(n=number)
    assert old in text
    return f"{function}__mutmut_{number}", (function, text.replace(old, new), code)


def _tally(tmp_path: Path, *mutants: tuple[str, tuple[str, str, int | None]]
           ) -> mutation_report.Tally:
    _write_mutants(tmp_path / "mutants", dict(mutants))
    [tally] = tallies(tmp_path / "mutants")
    assert tally.module == MODULE
    return tally


def test_a_keyword_case_change_of_sql_sent_to_the_database_is_equivalent(tmp_path: Path) -> None:
    tally = _tally(tmp_path,
                   _mutant("x_count", 1, "SELECT COUNT(*) FROM rm_cases WHERE city = ?",
                           "select count(*) from rm_cases where city = ?"),
                   _mutant("x_count", 2, "rm_cases", "RM_CASES"))
    assert (tally.killed, tally.survived, tally.sql_case) == (0, 0, 2)
    assert tally.sql_case_mutants == [f"{MODULE}.x_count__mutmut_1", f"{MODULE}.x_count__mutmut_2"]


def test_a_case_change_inside_a_quoted_literal_stays_a_survivor(tmp_path: Path) -> None:
    tally = _tally(tmp_path,
                   _mutant("x_submitted", 1, "'submitted'", "'SUBMITTED'"),
                   _mutant("x_submitted", 2, "SELECT case_id FROM rm_cases WHERE status = "
                           "'submitted'", "SELECT CASE_ID FROM RM_CASES WHERE STATUS = "
                           "'SUBMITTED'"),
                   _mutant("x_submitted", 3, "SELECT case_id", "select case_id"))
    assert (tally.survived, tally.sql_case) == (2, 1)
    assert tally.sql_case_mutants == [f"{MODULE}.x_submitted__mutmut_3"]


def test_a_case_change_of_a_message_holding_an_sql_word_stays_a_survivor(tmp_path: Path) -> None:
    """"where" is an SQL keyword, but the text is raised, not sent to a database."""
    tally = _tally(tmp_path, _mutant("x_refuse", 1, "No case found where the city is closed.",
                                     "NO CASE FOUND WHERE THE CITY IS CLOSED."))
    assert (tally.survived, tally.sql_case) == (1, 0)


def test_an_xx_wrapped_sql_string_is_not_equivalent(tmp_path: Path) -> None:
    tally = _tally(tmp_path, _mutant("x_count", 1, '"SELECT COUNT(*) FROM rm_cases WHERE city = ?"',
                                     '"XXSELECT COUNT(*) FROM rm_cases WHERE city = ?XX"'))
    assert (tally.survived, tally.sql_case) == (1, 0)


def test_a_case_change_with_a_second_difference_is_not_equivalent(tmp_path: Path) -> None:
    tally = _tally(tmp_path,
                   _mutant("x_two", 1, '"SELECT case_id FROM rm_cases LIMIT ?", (limit,)',
                           '"select case_id from rm_cases limit ?", None'),
                   _mutant("x_two", 2, '"SELECT case_id FROM rm_cases LIMIT ?"',
                           '"select case_id from rm_cases limit ?"'))
    assert (tally.survived, tally.sql_case) == (1, 1)
    assert tally.sql_case_mutants == [f"{MODULE}.x_two__mutmut_2"]


def test_a_killed_sql_case_mutant_stays_killed_and_one_not_run_stays_not_run(
        tmp_path: Path) -> None:
    tally = _tally(tmp_path,
                   _mutant("x_count", 1, "SELECT", "select", code=1),
                   _mutant("x_count", 2, "FROM", "from", code=None),
                   _mutant("x_count", 3, "WHERE", "where", code=0),
                   _mutant("x_two", 1, "(limit,)", "None", code=0))
    assert (tally.killed, tally.survived, tally.sql_case, tally.not_run) == (1, 1, 1, 1)
    # The equivalent one is out of both sides of the rate: 1 killed of 2 counted.
    assert tally.checked == 2
    assert tally.kill_rate == pytest.approx(50.0)


@pytest.mark.parametrize(("original", "mutated", "equivalent"), [
    ("SELECT a FROM t WHERE b = ?", "select a from t where b = ?", True),
    ('SELECT "Name" FROM t', 'SELECT "NAME" FROM t', False),  # a quoted identifier
    ('SELECT "Name" FROM t', 'select "Name" from t', True),
    ("SELECT a FROM t WHERE b = :city", "SELECT a FROM t WHERE b = :CITY", False),  # a parameter
    ("SELECT a FROM t WHERE b = %(city)s", "SELECT a FROM t WHERE b = %(CITY)S", False),
    ("SELECT a FROM t WHERE b = %(city)s", "SELECT a FROM t WHERE b = %(CITY)s", False),
    ("SELECT a FROM t WHERE b = %(city)s", "SELECT a FROM t WHERE b = %(city)S", False),
    ("SELECT COUNT(x) FROM t", "SELECT COUNT(X) FROM t", True),
    ("SELECT a FROM t WHERE b = %s", "SELECT a FROM t WHERE b = %S", False),
    ("SELECT $$x$$", "select $$X$$", False),  # dollar quoting: not read, never equivalent
    ("SELECT a FROM t WHERE b = 'it''s'", "select a from t where b = 'it''s'", True),
    ("SELECT a FROM t WHERE b = 'open", "select a from t where b = 'open", False),  # unclosed
    ("SELECT a FROM tÉ", "select a from té", False),  # only ASCII letters fold in both
    ("the city is closed", "THE CITY IS CLOSED", False),  # no SQL keyword
    # Transaction control (projections/storage/sqlite.py's group commit): keywords, and a
    # savepoint's name is an unquoted identifier.
    ("BEGIN IMMEDIATE", "begin immediate", True),
    ("COMMIT", "commit", True),
    ("ROLLBACK TO member", "rollback to member", True),
    ("RELEASE member", "RELEASE MEMBER", True),
    ("SAVEPOINT member", "savepoint member", True),
    ("members", "MEMBERS", False),  # no keyword: "release" must be a whole word
    ("SELECT a FROM t", "SELECT a FROM t", False),  # no change
])
def test_which_case_changes_of_sql_text_are_equivalent(original: str, mutated: str,
                                                       equivalent: bool) -> None:
    assert is_sql_case_change(original, mutated) is equivalent


def test_a_case_change_in_an_f_string_sent_as_sql_is_equivalent_outside_quotes(
        tmp_path: Path) -> None:
    """An f-string's literal parts are what mutmut mutates; a quote opened in one part and
    closed in another still protects the text between."""
    ORIGINAL["x_fstring"] = ("def x_fstring__mutmut_{n}(tx, table, status):\n"
                             "    return tx.fetchall(f\"SELECT case_id FROM {{table}}"
                             " WHERE status = 'open {{status}} now'\")\n")
    try:
        tally = _tally(tmp_path,
                       _mutant("x_fstring", 1, "SELECT case_id FROM", "select case_id from"),
                       _mutant("x_fstring", 2, "'open", "'OPEN"),
                       _mutant("x_fstring", 3, "now'", "NOW'"))
    finally:
        del ORIGINAL["x_fstring"]
    assert (tally.survived, tally.sql_case) == (2, 1)
    assert tally.sql_case_mutants == [f"{MODULE}.x_fstring__mutmut_1"]


def test_sql_passed_through_a_variable_or_a_helper_stays_a_survivor(tmp_path: Path) -> None:
    """Rules 5-8 follow names, lists of fragments and returned pairs, not expressions: SQL
    reaching the database through a `+` is equivalent in fact, but not proved, so it is counted
    against the module."""
    ORIGINAL["x_where"] = ("def x_where__mutmut_{n}(tx):\n"
                           "    where = \"WHERE city = ?\"\n"
                           "    return tx.fetchall(\"SELECT a FROM t \" + where)\n")
    try:
        tally = _tally(tmp_path, _mutant("x_where", 1, "WHERE city", "where city"))
    finally:
        del ORIGINAL["x_where"]
    assert (tally.survived, tally.sql_case) == (1, 0)


def _run_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              *mutants: tuple[str, tuple[str, str, int | None]]) -> None:
    """`mutants/` written with these mutants, in the folder the report is then run from."""
    _write_mutants(tmp_path / "mutants", dict(mutants))
    monkeypatch.chdir(tmp_path)


def test_the_report_prints_the_sql_case_column_and_rates_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_from(tmp_path, monkeypatch,
              _mutant("x_count", 1, "SELECT", "select", code=1),
              _mutant("x_count", 2, "FROM", "from", code=0),
              _mutant("x_two", 1, "(limit,)", "None", code=0))
    assert mutation_report.main(["--below", "50"]) == 0
    assert mutation_report.main(["--below", "50.1"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "sql case" in lines[0] and "left out of the rate" in lines[0]
    assert lines[2].split() == [MODULE, "3", "1", "1", "1", "50.0%", "0", "0"]


def test_a_mutant_the_type_check_caught_is_killed_and_counted_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_from(tmp_path, monkeypatch,
              _mutant("x_count", 1, "(city,)", "None", code=37),
              _mutant("x_count", 2, "FROM", "FROMXX", code=1),
              _mutant("x_two", 1, "(limit,)", "(limit, limit)", code=0))
    assert mutation_report.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "'by mypy'" in lines[0] and "as make test would" in lines[0]
    assert lines[1].split()[-2:] == ["by", "mypy"]
    assert lines[2].split() == [MODULE, "3", "2", "1", "0", "66.7%", "0", "1"]


# --- SQL through names and helpers (rules 5-8) ---------------------------------------------------

FLOWS = {
    "x_codes": ("def x_codes__mutmut_{n}(tx, city):\n"
                "    sql = \"SELECT code FROM t WHERE code LIKE ? ESCAPE '\\\\'\"\n"
                "    if city is not None:\n"
                "        sql += \" AND city = ? AND kind = 'open'\"\n"
                "    sql += \" ORDER BY code\"\n"
                "    return tx.fetchall(sql, (city,))\n"),
    "x_compared": ("def x_compared__mutmut_{n}(tx):\n"
                   "    sql = \"SELECT code FROM t\"\n"
                   "    if sql == \"SELECT code FROM t\":\n"
                   "        return tx.fetchall(sql)\n"
                   "    return []\n"),
    "x_named": ("def x_named__mutmut_{n}(tx, city):\n"
                "    sql = \"SELECT code FROM t WHERE city = :\"\n"
                "    sql += \"city\"\n"
                "    return tx.fetchall(sql, {{'city': city}})\n"),
    "x_people": ("def x_people__mutmut_{n}(tx):\n"
                 "    person = \"COALESCE(person_id, case_id)\"\n"
                 "    return tx.fetchone(f\"SELECT COUNT(DISTINCT {{person}}) FROM t\")\n"),
    "x_quoted": ("def x_quoted__mutmut_{n}(tx):\n"
                 "    status = \"open\"\n"
                 "    return tx.fetchall(f\"SELECT a FROM t WHERE status = 'is {{status}}'\")\n"),
    "x_where": ("def x_where__mutmut_{n}(tx, status):\n"
                "    where = [\"city = ?\"]\n"
                "    if status:\n"
                "        where.append(\"status = ?\")\n"
                "    condition = \" AND \".join(where)\n"
                "    return tx.fetchall(f\"SELECT a FROM t WHERE {{condition}}\")\n"),
    "x_logged": ("def x_logged__mutmut_{n}(tx, log):\n"
                 "    where = [\"city = ?\"]\n"
                 "    log(where)\n"
                 "    return tx.fetchall(f\"SELECT a FROM t WHERE {{' AND '.join(where)}}\")\n"),
    "x_extended": ("def x_extended__mutmut_{n}(tx, extra):\n"
                   "    where = [\"city = ?\"]\n"
                   "    where.extend(extra)\n"
                   "    return tx.fetchall(f\"SELECT a FROM t WHERE {{' AND '.join(where)}}\")\n"),
    # a separator ending in a parameter's sigil: the next fragment's first word is its name
    "x_sigil": ("def x_sigil__mutmut_{n}(tx, city):\n"
                "    names = [\"b = \", \"city\"]\n"
                "    return tx.fetchall(f\"SELECT a FROM t WHERE {{':'.join(names)}}\","
                " {{'city': city}})\n"),
    # text bound to a name never read, and a builder of statements nothing calls
    "x_unread": ("def x_unread__mutmut_{n}(tx):\n"
                 "    sql = \"SELECT a FROM t\"\n"
                 "    return tx.fetchall(\"SELECT b FROM t\")\n"),
    "x__unused": ("def x__unused__mutmut_{n}(case_id):\n"
                  "    return [(\"DELETE FROM t WHERE case_id = ?\", (case_id,))]\n"),
    "x_insert": ("def x_insert__mutmut_{n}(tx, rows):\n"
                 "    tx.insert_new(\"rm_people\", (\"case_id\", \"status\"), (\"case_id\",),"
                 " [(\"c1\", \"open\")])\n"
                 "    tx.insert_new(\"rm_people\", (\"Case Id\",), (\"case_id\",), rows)\n"
                 # a tuple where the table goes would be written as Python's repr, quotes and all
                 "    tx.insert_new((\"rm_odd\",), (\"a\",), (\"a\",), rows)\n"),
    "x__updates": ("def x__updates__mutmut_{n}(case_id):\n"
                   "    return [(\"UPDATE t SET status = 'closed' WHERE case_id = ?\","
                   " (case_id,))]\n"),
    "x_apply": ("def x_apply__mutmut_{n}(tx, case_ids):\n"
                "    updates: list[object] = []\n"
                "    for case_id in case_ids:\n"
                "        updates.extend(_updates(case_id))\n"
                "    for statement, params in updates:\n"
                "        tx.execute(statement, params)\n"),
}


@pytest.fixture
def flows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The functions above among each test's originals (`apply` calls `_updates`)."""
    for name, text in FLOWS.items():
        monkeypatch.setitem(ORIGINAL, name, text)


# Each case: mutants as (function, number, text in the original, its replacement, whether the
# report must count it equivalent).
FLOW_CASES = {
    "a local name, assigned and appended to, read by fetchall": [
        ("x_codes", 1, "SELECT code FROM t", "select code from t", True),
        ("x_codes", 2, " AND city = ?", " and CITY = ?", True),
        ("x_codes", 3, " ORDER BY code", " order by code", True),
        ("x_codes", 4, "'open'", "'OPEN'", False),  # inside a quoted literal
        ("x_people", 1, "COALESCE(person_id, case_id)", "coalesce(PERSON_ID, case_id)", True),
    ],
    # Compared in Python, the text's case matters; `+= "city"` after `:` is a parameter's
    # name; a slot inside quotes is a string literal's text.
    "a name also read in Python, a piece continuing a word, a slot inside quotes": [
        ("x_compared", 1, 'sql = "SELECT code FROM t"', 'sql = "select code from t"', False),
        ("x_named", 1, 'sql += "city"', 'sql += "CITY"', False),
        ("x_quoted", 1, '"open"', '"OPEN"', False),
    ],
    "fragments joined into a where clause": [
        ("x_where", 1, '"city = ?"', '"CITY = ?"', True),
        ("x_where", 2, '"status = ?"', '"STATUS = ?"', True),
        ("x_where", 3, '" AND "', '" and "', True),
        # the list is also handed to Python code, or grown by fragments not seen (one could
        # open a quote)
        ("x_logged", 1, '"city = ?"', '"CITY = ?"', False),
        ("x_extended", 1, '"city = ?"', '"CITY = ?"', False),
    ],
    "names handed to insert_new, and its rows": [
        ("x_insert", 1, '"rm_people", ("case_id", "status")',
         '"RM_PEOPLE", ("case_id", "status")', True),
        ("x_insert", 2, '("case_id", "status")', '("case_id", "STATUS")', True),
        ("x_insert", 3, '("case_id",), [', '("CASE_ID",), [', True),
        ("x_insert", 4, '"open"', '"OPEN"', False),  # a value stored
        ("x_insert", 5, '"Case Id"', '"CASE ID"', False),  # not a bare name
        ("x_insert", 6, '"rm_odd"', '"RM_ODD"', False),
    ],
    "statements returned to a caller that runs them": [
        ("x__updates", 1, "UPDATE t SET", "update t set", True),
        ("x__updates", 2, "'closed'", "'CLOSED'", False),
    ],
    "text not shown to reach the database, or to start a word": [
        ("x_sigil", 1, '"city"]', '"CITY"]', False),
        ("x_unread", 1, "SELECT a", "select a", False),
        ("x__unused", 1, "DELETE FROM", "delete from", False),
    ],
}


@pytest.mark.usefixtures("flows")
@pytest.mark.parametrize("mutants", FLOW_CASES.values(), ids=FLOW_CASES.keys())
def test_sql_followed_through_names_and_helpers(
        tmp_path: Path, mutants: list[tuple[str, int, str, str, bool]]) -> None:
    tally = _tally(tmp_path, *(_mutant(f, n, old, new) for f, n, old, new, _ in mutants))
    assert tally.sql_case_mutants == [f"{MODULE}.{f}__mutmut_{n}"
                                      for f, n, _, _, equivalent in mutants if equivalent]
    assert tally.survived == sum(not equivalent for *_, equivalent in mutants)


@pytest.mark.usefixtures("flows")
def test_statements_returned_are_not_followed_when_read_in_python_or_named_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ORIGINAL, "x_apply", FLOWS["x_apply"].replace(
        "tx.execute(statement, params)", "tx.execute(statement, params)\n        print(statement)"))
    tally = _tally(tmp_path, _mutant("x__updates", 1, "UPDATE t SET", "update t set"))
    assert (tally.survived, tally.sql_case) == (1, 0)
    monkeypatch.setitem(ORIGINAL, "x_apply", FLOWS["x_apply"])
    other = tmp_path / "other"
    _write_mutants(other / "mutants", dict([_mutant("x__updates", 1, "UPDATE", "update")]))
    (other / "mutants" / "web").mkdir()
    (other / "mutants" / "web" / "app.py").write_text("from projections.demo import _updates\n")
    [tally] = tallies(other / "mutants")
    assert (tally.survived, tally.sql_case) == (1, 0)


def test_a_module_whose_results_a_stopped_run_left_empty_is_reported_and_fails_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    _write_mutants(tmp_path / "mutants", dict([_mutant("x_count", 1, "rm_cases", "rm_cases")]))
    [meta] = (tmp_path / "mutants").rglob("*.py.meta")
    meta.write_text("")  # mutmut was stopped while it rewrote the file
    monkeypatch.chdir(tmp_path)

    assert [t.unreadable for t in tallies(Path("mutants"))] == [True]
    assert mutation_report.main(["--below", "90"]) == 1
    assert "results unreadable" in capsys.readouterr().out
    assert mutation_report.main([]) == 0
