"""The kill rate of each module after `make mutate` (docs/testing.md, "Mutation testing"): read
from what mutmut keeps under mutants/, one line per module.

    python -m tests.mutation_report [--below 90] [module prefix ...]

Killed: a test failed, or timed out, on the mutant. Survived: every test passed, or no test ran
the mutated code at all. A mutant that changes only the text of a message counts as a survivor
like any other (the strict count of issue 20). Mutants mutmut has not run yet are left out and
counted apart ("not run"). Exits 1 when a module named is under `--below` percent.

Equivalent SQL case ("sql case"): a survivor whose only change is the letter case of SQL text
handed straight to the database, which reads it the same either way (SQLite: keywords and
identifiers are case-insensitive; PostgreSQL: keywords are, and unquoted identifiers are folded
to lower case). Counted apart and left out of the kill rate, killed / (killed + survived). A
surviving mutant counts as one only when ALL of these hold, read from the mutated function and
its original in the source mutmut writes under mutants/ (`x_<name>__mutmut_orig`, and
`x_<name>__mutmut_<N>` for mutant N, `xǁ<Class>ǁ<method>...` for methods):

1. the two functions' ASTs differ in exactly one place, one `str` constant (a whole literal, or
   the literal part of an f-string);
2. that string, or the f-string holding it, is itself the first argument (or `sql=`) of a call
   of `execute`, `executemany`, `executescript`, `fetchone` or `fetchall` — the database API of
   projections/storage and of sqlite3/psycopg — not a piece concatenated or passed on elsewhere;
3. its text holds an SQL keyword as a whole word (SELECT, INSERT, FROM, WHERE, PRAGMA, ...);
4. the texts differ only in the case of ASCII letters, and each changed letter is bare SQL: not
   inside '...', "...", `...` or [...] (string literals, and identifiers that PostgreSQL reads
   case-sensitively), not in a parameter name (`:name`, `@name`, `$1`, `%(name)s`, `%s`);
   and the text has its quotes balanced and no `$` (dollar quoting), `{` or `}` outside quotes.

Anything else stays a survivor: a rule that cannot prove the equivalence never hides a mutant."""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MUTANTS = Path("mutants")
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # a failing test, a timeout, the type check
SURVIVED = {0, 5, 33}  # all tests passed, or none covers the code

# The calls whose first argument is SQL text sent to the database as it is: the Transaction
# protocol (projections/storage/transaction.py) and the sqlite3 / psycopg cursor methods.
SQL_CALLS = {"execute", "executemany", "executescript", "fetchone", "fetchall"}
SQL_KEYWORD = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|FROM|WHERE|JOIN|VALUES|SET|PRAGMA"
    r"|RETURNING|CONFLICT|GROUP\s+BY|ORDER\s+BY|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b",
    re.IGNORECASE)
QUOTES = {"'": "'", '"': '"', "`": "`", "[": "]"}
PARAMETER_SIGILS = ":@$%"
# A formatted value of an f-string, in the text the checks read: neither a letter nor a quote.
FORMATTED = "\x00"
MUTANT_NAME = re.compile(r"^(?P<function>.+)__mutmut_(?P<number>\d+)$")


@dataclass
class Tally:
    module: str
    killed: int = 0
    survived: int = 0
    sql_case: int = 0
    not_run: int = 0
    sql_case_mutants: list[str] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return self.killed + self.survived

    @property
    def kill_rate(self) -> float:
        return 100.0 * self.killed / self.checked if self.checked else 100.0


def _bare_sql_letters(text: str) -> list[bool] | None:
    """For each character, whether it is outside every quote; None when the text cannot be read
    safely as SQL whose case does not matter (an unclosed quote, `$`, braces outside quotes)."""
    bare = []
    closing: str | None = None
    for character in text:
        if closing is not None:
            bare.append(False)
            if character == closing:
                closing = None
            continue
        if character in QUOTES:
            closing = QUOTES[character]
            bare.append(False)
            continue
        if character in "${}":
            return None
        bare.append(True)
    return None if closing is not None else bare


def _in_parameter_name(text: str, index: int) -> bool:
    start = index
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    # `%(name)s`: the name and the letters after the parenthesis belong to the parameter.
    if text[max(start - 2, 0):start] == "%(" or (
            start > 0 and text[start - 1] == ")" and "%(" in text[:start]):
        return True
    return start > 0 and text[start - 1] in PARAMETER_SIGILS


def is_sql_case_change(original: str, mutated: str) -> bool:
    """Whether `mutated` is `original` with only the case of bare SQL letters changed."""
    if original == mutated or len(original) != len(mutated):
        return False
    if not SQL_KEYWORD.search(original):
        return False
    bare_original = _bare_sql_letters(original)
    bare_mutated = _bare_sql_letters(mutated)
    if bare_original is None or bare_original != bare_mutated:
        return False
    for index, (before, after) in enumerate(zip(original, mutated, strict=True)):
        if before == after:
            continue
        if not (before.isascii() and before.isalpha() and before.lower() == after.lower()):
            return False
        if not bare_original[index] or _in_parameter_name(original, index):
            return False
    return True


Difference = tuple[ast.AST, ast.AST, tuple[ast.AST, ...], tuple[ast.AST, ...]]


def _differences(original: ast.AST, mutated: ast.AST, parents: tuple[ast.AST, ...],
                 mutated_parents: tuple[ast.AST, ...], found: list[Difference],
                 ignored: frozenset[str] = frozenset()) -> None:
    """Appends to `found` each place the two trees differ, with its parents in both."""
    if type(original) is not type(mutated):
        found.append((original, mutated, parents, mutated_parents))
        return
    inner, mutated_inner = (*parents, original), (*mutated_parents, mutated)
    for name, before in ast.iter_fields(original):
        if name in ignored:
            continue
        after = getattr(mutated, name, None)
        if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
            pairs = list(zip(before, after, strict=True))
        else:
            pairs = [(before, after)]
        for item_before, item_after in pairs:
            if isinstance(item_before, ast.AST) and isinstance(item_after, ast.AST):
                _differences(item_before, item_after, inner, mutated_inner, found)
            elif item_before != item_after or type(item_before) is not type(item_after):
                found.append((original, mutated, parents, mutated_parents))


def _sql_text(expression: ast.AST) -> str:
    if isinstance(expression, ast.Constant):
        return str(expression.value)
    assert isinstance(expression, ast.JoinedStr)
    return "".join(str(part.value) if isinstance(part, ast.Constant) else FORMATTED
                   for part in expression.values)


def _sql_argument(constant: ast.AST, parents: tuple[ast.AST, ...]) -> ast.AST | None:
    """The string `constant` is part of when that is the SQL argument of a database call."""
    expression = constant
    if parents and isinstance(parents[-1], ast.JoinedStr):
        expression, parents = parents[-1], parents[:-1]
    call = parents[-1] if parents else None
    if not isinstance(call, ast.Call):
        return None
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    if name not in SQL_CALLS:
        return None
    if (call.args and call.args[0] is expression) or any(
            k.arg == "sql" and k.value is expression for k in call.keywords):
        return expression
    return None


def is_equivalent_sql_case(original: ast.FunctionDef | ast.AsyncFunctionDef,
                           mutated: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Rules 1-4 of the module docstring, on a mutant's function and its original."""
    found: list[Difference] = []
    _differences(original, mutated, (), (), found, ignored=frozenset({"name"}))
    if len(found) != 1:
        return False
    before, after, parents, mutated_parents = found[0]
    if not (isinstance(before, ast.Constant) and isinstance(after, ast.Constant)
            and isinstance(before.value, str) and isinstance(after.value, str)):
        return False
    whole_before = _sql_argument(before, parents)
    whole_after = _sql_argument(after, mutated_parents)
    return (whole_before is not None and whole_after is not None
            and is_sql_case_change(_sql_text(whole_before), _sql_text(whole_after)))


def _functions(source: Path) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    return {node.name: node for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def sql_case_mutants(source: Path, module: str, names: list[str]) -> Iterator[str]:
    """The mutants among `names` (mutmut's keys) that are equivalent SQL case changes."""
    if not source.exists():
        return
    functions = _functions(source)
    for key in names:
        matched = MUTANT_NAME.match(key.removeprefix(module + "."))
        if matched is None:
            continue
        original = functions.get(matched["function"] + "__mutmut_orig")
        mutated = functions.get(matched.string)
        if original is not None and mutated is not None and is_equivalent_sql_case(original,
                                                                                   mutated):
            yield key


def tallies(root: Path = MUTANTS) -> list[Tally]:
    found = []
    for meta in sorted(root.rglob("*.py.meta")):
        source = meta.with_suffix("")
        tally = Tally(".".join(meta.relative_to(root).with_suffix("").with_suffix("").parts))
        survivors = []
        for key, exit_code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if exit_code in KILLED:
                tally.killed += 1
            elif exit_code in SURVIVED:
                survivors.append(key)
            else:
                tally.not_run += 1
        if survivors:
            tally.sql_case_mutants = list(sql_case_mutants(source, tally.module, survivors))
        tally.sql_case = len(tally.sql_case_mutants)
        tally.survived = len(survivors) - tally.sql_case
        found.append(tally)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module prefixes (default: all)")
    parser.add_argument("--below", type=float, default=None,
                        help="exit 1 when a module's kill rate is under this percent")
    parser.add_argument("--list-sql-case", action="store_true",
                        help="also list the mutants counted as equivalent SQL case changes")
    arguments = parser.parse_args(argv)
    rows = [t for t in tallies()
            if not arguments.modules or any(t.module.startswith(m) for m in arguments.modules)]
    print("rate = killed / (killed + survived); 'sql case': surviving mutants that only change"
          " the case of bare SQL text sent to the database, equivalent, left out of the rate"
          " (tests/mutation_report.py, docs/testing.md)")
    print(f"{'module':<44} {'mutants':>7} {'killed':>6} {'survived':>8} {'sql case':>8} "
          f"{'rate':>6} {'not run':>7}")
    for t in rows:
        if t.checked or t.sql_case or t.not_run:
            print(f"{t.module:<44} {t.checked + t.sql_case:>7} {t.killed:>6} {t.survived:>8} "
                  f"{t.sql_case:>8} {t.kill_rate:>5.1f}% {t.not_run:>7}")
            if arguments.list_sql_case:
                for name in t.sql_case_mutants:
                    print(f"    sql case: {name}")
    under = [t for t in rows if arguments.below is not None and t.checked
             and t.kill_rate < arguments.below]
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
