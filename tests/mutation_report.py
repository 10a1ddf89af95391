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

Rule 2 is widened (issue 20, docs/testing.md "SQL letter case through variables and helpers"):
the changed string (or its f-string) may instead reach the database call through the function,
which is read whole (every binding and every reading of each name on the way):

5. a local name bound only to balanced SQL text (`sql = "..."`, `sql += "..."`, `condition =
   " AND ".join(where)`) and read only as a database call's SQL, or as a bare `{name}` of an
   f-string that is one, outside its quotes;
6. a list of fragments bound only to a list literal of balanced strings, grown only by
   `append` of one, read only by `<separator>.join(list)` whose result goes on as in 5 (the
   fragments and the separator are followed);
7. a `(statement, params)` pair in a list literal that a module-level function returns, when
   every use of that function in the module (outside mutants) is `pairs.extend(f(...))` with
   `pairs` bound only to `[]` and read only by `for statement, params in pairs:` whose
   `statement` is only a database call's SQL, and no other module outside tests/ names it;
8. a name given to `insert_new` (the table, or an element of the columns or key tuple): it
   must be a bare ASCII identifier, which both implementations write unquoted into SQL.

Under 5-7 the string need not hold a keyword (it is shown to be SQL), each piece on the way
must have balanced quotes, and when what stands before the piece is not known to separate it
(a space, `(` or `,`, or the start of the statement), no letter may change before its first
such character: a piece may not continue a word, or a parameter's name, begun before it.

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
from typing import TypeGuard

MUTANTS = Path("mutants")
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # a failing test, a timeout, the type check
CAUGHT_BY_TYPE_CHECK = 37  # not run: mypy --strict rejects its code, as make test would
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
# The project's one SQL helper whose arguments are names: `insert_new(table, columns, key, rows)`
# (projections/storage/transaction.py). Both implementations write them unquoted into SQL and
# nowhere else: transaction.py's `insert_new_sql` (INSERT INTO <table> (<columns>) ... ON
# CONFLICT (<key>)), which both use, postgres.py's `staging_<table>`, `LIKE <table>`,
# `COPY ... (<columns>)` and the INSERT ... SELECT. The positions of those three arguments
# (given by keyword, they are not followed: the project passes them by position).
NAME_CALLS = {"insert_new": (0, 1, 2)}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# What may stand before a piece of SQL without joining a word (or a parameter name) to it.
SEPARATING = " \t\n(,"


@dataclass
class Tally:
    module: str
    killed: int = 0
    survived: int = 0
    sql_case: int = 0
    not_run: int = 0
    by_type_check: int = 0  # of the killed
    sql_case_mutants: list[str] = field(default_factory=list)
    # mutmut rewrites a module's results file after each mutant, in place: a run stopped at that
    # moment leaves it empty, and the module's results are lost (run it again).
    unreadable: bool = False

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


def is_sql_case_change(original: str, mutated: str, *, whole: bool = True,
                       separated: bool = True) -> bool:
    """Whether `mutated` is `original` with only the case of bare SQL letters changed.
    `whole`: the text is a whole statement, so it must hold an SQL keyword (a piece proved to
    reach the database need not). `separated`: what comes before the text is known not to join
    a word to it; when not, no letter may change before the text's first space, `(` or `,`."""
    if original == mutated or len(original) != len(mutated):
        return False
    if whole and not SQL_KEYWORD.search(original):
        return False
    first = next(i for i, (a, b) in enumerate(zip(original, mutated, strict=True)) if a != b)
    if not separated and not any(c in SEPARATING for c in original[:first]):
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
                           mutated: ast.FunctionDef | ast.AsyncFunctionDef,
                           flow: _Flow | None = None) -> bool:
    """Rules 1-4 of the module docstring, on a mutant's function and its original; rules 5-8
    too when `flow` (the original's) is given."""
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
    if whole_before is not None and whole_after is not None:
        return is_sql_case_change(_sql_text(whole_before), _sql_text(whole_after))
    if flow is None:
        return False
    piece: ast.AST = before
    mutated_piece: ast.AST = after
    if parents and isinstance(parents[-1], ast.JoinedStr):
        piece, mutated_piece = parents[-1], mutated_parents[-1]
    text, mutated_text = _sql_text(piece), _sql_text(mutated_piece)
    if piece is before and _name_argument(before, flow.parents):
        return (bool(IDENTIFIER.match(text)) and bool(IDENTIFIER.match(mutated_text))
                and text != mutated_text and text.isascii() and mutated_text.isascii()
                and text.lower() == mutated_text.lower())
    separated = flow.route(piece)
    return separated is not None and is_sql_case_change(text, mutated_text, whole=False,
                                                        separated=separated)


def sql_case_mutants(source: Path, module: str, names: list[str],
                     root: Path = MUTANTS) -> Iterator[str]:
    """The mutants among `names` (mutmut's keys) that are equivalent SQL case changes."""
    if not source.exists():
        return
    written = _Module(source, root)
    flows: dict[str, _Flow] = {}
    for key in names:
        matched = MUTANT_NAME.match(key.removeprefix(module + "."))
        if matched is None:
            continue
        original = written.functions.get(matched["function"] + "__mutmut_orig")
        mutated = written.functions.get(matched.string)
        if original is None or mutated is None:
            continue
        if original.name not in flows:
            # `x_<name>`: a module-level function (a method's is `xǁ<Class>ǁ<name>`).
            function = matched["function"]
            name = function[2:] if function.startswith("x_") and "ǁ" not in function else ""
            flows[original.name] = _Flow(original, name, written)
        if is_equivalent_sql_case(original, mutated, flows[original.name]):
            yield key


# SQL through names and helpers (rules 5-8 of the module docstring) ---------------------------


def _is_str_piece(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant)
                                               and isinstance(node.value, str))


def _balanced(node: ast.AST) -> bool:
    return _is_str_piece(node) and _bare_sql_letters(_sql_text(node)) is not None


def _is_name(node: object, name: str | None = None) -> TypeGuard[ast.Name]:
    return isinstance(node, ast.Name) and (name is None or node.id == name)


def _name_argument(piece: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether `piece` is a name handed to `insert_new`: its table, or one of its column or key
    names (an element of the tuple or list literal given)."""
    node, parent = piece, parents.get(piece)
    if isinstance(parent, ast.Tuple | ast.List):
        node, parent = parent, parents.get(parent)
    if not isinstance(parent, ast.Call) or not isinstance(parent.func, ast.Attribute):
        return False
    positions = NAME_CALLS.get(parent.func.attr, ())
    if node is not piece and node in parent.args[:1]:
        return False  # the table is one name, not a tuple of them
    return any(index < len(parent.args) and parent.args[index] is node for index in positions)


class _Flow:
    """Where the SQL text of one function goes: through local names (`sql = ...`, `sql +=
    ...`), lists of fragments joined (`where.append(...)`, `" AND ".join(where)`) and f-string
    slots to a database call, or returned as `(statement, params)` to callers that run it.
    `route` answers None when it cannot prove the text reaches only the database; else whether
    what stands before the text is known to separate it (the start of a statement, a space)."""

    def __init__(self, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str,
                 module: _Module) -> None:
        self.function, self.name, self.module = function, name, module
        self.parents = _parent_map(function)
        self.arguments = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}

    def _uses(self, name: str) -> list[ast.Name] | None:
        if name in self.arguments or any(
                isinstance(n, ast.Global | ast.Nonlocal) and name in n.names
                for n in ast.walk(self.function)):
            return None
        return [n for n in ast.walk(self.function) if _is_name(n, name)]

    def route(self, node: ast.AST, seen: frozenset[str] = frozenset()) -> bool | None:
        parent = self.parents.get(node)
        if parent is None:
            return None
        if _sql_argument(node, (parent,)) is node:
            return True
        if isinstance(parent, ast.FormattedValue):
            return self._slot(parent, seen)
        if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1:
            target = parent.targets[0]
            return self._variable(target.id, seen) if _is_name(target) else None
        if (isinstance(parent, ast.AugAssign) and parent.value is node
                and isinstance(parent.op, ast.Add) and _is_name(parent.target)):
            # Appended to what the name held: what comes before it is not known here.
            found = self._variable(parent.target.id, seen)
            return None if found is None else False
        if isinstance(parent, ast.List):
            holder = self.parents.get(parent)
            if (isinstance(holder, ast.Assign) and holder.value is parent
                    and len(holder.targets) == 1 and _is_name(holder.targets[0])):
                return self._fragments(holder.targets[0].id, seen)
            return None
        if isinstance(parent, ast.Tuple):
            return self._returned_statement(node, parent)
        if (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)
                and parent.func.attr == "append" and _is_name(parent.func.value)
                and parent.args == [node] and not parent.keywords
                and isinstance(self.parents.get(parent), ast.Expr)):
            return self._fragments(parent.func.value.id, seen)
        if isinstance(parent, ast.Attribute) and parent.attr == "join" and parent.value is node:
            call = self.parents.get(parent)
            if (isinstance(call, ast.Call) and call.func is parent and len(call.args) == 1
                    and not call.keywords and _is_name(call.args[0])
                    and self._fragments(call.args[0].id, seen) is not None):
                # Between two fragments: what comes before it is a fragment's end.
                return None if self.route(call, seen) is None else False
        return None

    def _slot(self, slot: ast.FormattedValue, seen: frozenset[str]) -> bool | None:
        """A value formatted into an f-string that reaches the database, outside its quotes."""
        joined = self.parents.get(slot)
        if slot.conversion != -1 or slot.format_spec is not None or not isinstance(
                joined, ast.JoinedStr):
            return None
        outer = self.route(joined, seen)
        if outer is None:
            return None
        index = sum(len(str(p.value)) if isinstance(p, ast.Constant) else 1
                    for p in joined.values[:joined.values.index(slot)])
        text = _sql_text(joined)
        bare = _bare_sql_letters(text)
        if bare is None or not bare[index]:
            return None
        return outer if index == 0 else text[index - 1] in SEPARATING

    def _variable(self, name: str, seen: frozenset[str]) -> bool | None:
        """A local name bound only to balanced SQL text (`=` a string, `+=` a string, `=` a
        joined list of fragments) and read only where it reaches the database."""
        uses = self._uses(name)
        if name in seen or not uses:
            return None
        seen |= {name}
        found = True
        for use in uses:
            parent = self.parents.get(use)
            if isinstance(use.ctx, ast.Store):
                if isinstance(parent, ast.Assign) and parent.targets == [use] and (
                        _balanced(parent.value) or self._joined_fragments(parent.value)):
                    continue
                if (isinstance(parent, ast.AugAssign) and isinstance(parent.op, ast.Add)
                        and _balanced(parent.value)):
                    continue
                return None
            if not isinstance(use.ctx, ast.Load):
                return None
            reached = self.route(use, seen)
            if reached is None:
                return None
            found = found and reached
        return found if any(isinstance(u.ctx, ast.Load) for u in uses) else None

    def _joined_fragments(self, value: ast.AST) -> bool:
        return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and value.func.attr == "join" and _balanced(value.func.value)
                and len(value.args) == 1 and not value.keywords and _is_name(value.args[0])
                and self._fragment_pieces(value.args[0].id))

    def _fragment_pieces(self, name: str) -> bool:
        """`name` is a list made of balanced SQL fragments: bound to a list literal of them,
        grown by `append` of one, read only by a `<separator>.join(name)`."""
        uses = self._uses(name)
        if not uses:
            return False
        for use in uses:
            parent = self.parents.get(use)
            if isinstance(use.ctx, ast.Store):
                if not (isinstance(parent, ast.Assign) and parent.targets == [use]
                        and isinstance(parent.value, ast.List)
                        and all(_balanced(e) for e in parent.value.elts)):
                    return False
                continue
            call = self.parents.get(parent) if parent is not None else None
            appended = (isinstance(parent, ast.Attribute) and parent.attr == "append"
                        and isinstance(call, ast.Call) and call.func is parent
                        and len(call.args) == 1 and not call.keywords
                        and _balanced(call.args[0])
                        and isinstance(self.parents.get(call), ast.Expr))
            joined = (isinstance(parent, ast.Call) and parent.args == [use]
                      and not parent.keywords and isinstance(parent.func, ast.Attribute)
                      and parent.func.attr == "join" and _balanced(parent.func.value))
            if not (appended or joined):
                return False
        return True

    def _fragments(self, name: str, seen: frozenset[str]) -> bool | None:
        """A fragment of the list `name`: where each join of it goes; known to be separated
        when every join is, and every separator ends in a space (or `(`, `,`)."""
        if name in seen or not self._fragment_pieces(name):
            return None
        seen |= {name}
        found = True
        joins = [u for u in self._uses(name) or [] if isinstance(self.parents.get(u), ast.Call)]
        if not joins:
            return None
        for use in joins:
            call = self.parents[use]
            reached = self.route(call, seen)
            if reached is None or not isinstance(call, ast.Call) or not isinstance(
                    call.func, ast.Attribute):
                return None
            separator = _sql_text(call.func.value)
            found = found and reached and separator[-1:] in tuple(SEPARATING)
        return found

    def _returned_statement(self, node: ast.AST, pair: ast.Tuple) -> bool | None:
        """The statement of a `(statement, params)` pair in a list this module-level function
        returns, when every caller runs each statement it gets (`_Module.runs_statements`)."""
        listed = self.parents.get(pair)
        returned = self.parents.get(listed) if listed is not None else None
        if (len(pair.elts) != 2 or pair.elts[0] is not node or not isinstance(listed, ast.List)
                or not isinstance(returned, ast.Return) or self._enclosing(returned)
                is not self.function or not self.module.runs_statements(self.name)):
            return None
        return True

    def _enclosing(self, node: ast.AST) -> ast.AST | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return node
        return None


def _parent_map(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


class _Module:
    """A module as mutmut wrote it under mutants/: its functions, and which module-level
    functions return SQL statements that every caller runs."""

    def __init__(self, source: Path, root: Path) -> None:
        self.source, self.root = source, root
        self.tree = ast.parse(source.read_text(encoding="utf-8"))
        self.functions = {node.name: node for node in ast.walk(self.tree)
                          if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
        self._runs: dict[str, bool] = {}
        self._parents: dict[ast.AST, ast.AST] | None = None

    def runs_statements(self, name: str) -> bool:
        if name not in self._runs:
            self._runs[name] = self._check_runs_statements(name)
        return self._runs[name]

    def _check_runs_statements(self, name: str) -> bool:
        """Every use of the function `name` outside its mutants is `pairs.extend(name(...))`,
        where `pairs` is a local list read only by `for statement, params in pairs:` whose
        `statement` is only the SQL argument of a database call; and no other module of the
        programme (outside tests/) names it."""
        if self._named_elsewhere(name):
            return False
        if self._parents is None:
            self._parents = _parent_map(self.tree)
        parents = self._parents
        uses = [n for n in ast.walk(self.tree) if _is_name(n, name)]
        for use in uses:
            function: ast.AST = use
            while function in parents and not isinstance(
                    function, ast.FunctionDef | ast.AsyncFunctionDef):
                function = parents[function]
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    MUTANT_NAME.match(function.name)):
                continue  # a mutant of the caller: never run beside a mutant of `name`
            call, extend = parents.get(use), None
            if isinstance(call, ast.Call) and call.func is use:
                extend = parents.get(call)
            if not (isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
                    and isinstance(extend, ast.Call) and extend.args == [call]
                    and isinstance(extend.func, ast.Attribute) and extend.func.attr == "extend"
                    and _is_name(extend.func.value)
                    and isinstance(parents.get(extend), ast.Expr)
                    and _runs_pairs(function, extend.func.value.id)):
                return False
        return bool(uses)

    def _named_elsewhere(self, name: str) -> bool:
        word = re.compile(rf"\b{re.escape(name)}\b")
        for path in self.root.rglob("*.py"):
            parts = path.relative_to(self.root).parts
            if path == self.source or parts[0] in {"tests", "node_modules"}:
                continue
            if word.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        return False


def _runs_pairs(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """`name` is a list of `(statement, params)` pairs in `function`: bound only to `[]`,
    grown only by `extend`, read only by `for statement, params in name:` loops in which
    `statement` is only the SQL argument of a database call."""
    parents = _parent_map(function)
    uses = [n for n in ast.walk(function) if _is_name(n, name)]
    if name in {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}:
        return False
    for use in uses:
        parent = parents.get(use)
        if isinstance(use.ctx, ast.Store):
            if not (isinstance(parent, ast.Assign | ast.AnnAssign)
                    and isinstance(parent.value, ast.List) and not parent.value.elts):
                return False
        elif isinstance(parent, ast.Attribute) and parent.attr == "extend":
            continue
        elif isinstance(parent, ast.For) and parent.iter is use:
            target = parent.target
            if not (isinstance(target, ast.Tuple) and len(target.elts) == 2
                    and all(_is_name(e) for e in target.elts)):
                return False
            first = target.elts[0]
            statement = first.id if isinstance(first, ast.Name) else ""
            for other in ast.walk(function):
                if not _is_name(other, statement) or other is first:
                    continue
                if not (isinstance(other.ctx, ast.Load)
                        and _sql_argument(other, (parents[other],)) is other):
                    return False
        else:
            return False
    return True


def tallies(root: Path = MUTANTS) -> list[Tally]:
    found = []
    for meta in sorted(root.rglob("*.py.meta")):
        source = meta.with_suffix("")
        tally = Tally(".".join(meta.relative_to(root).with_suffix("").with_suffix("").parts))
        survivors = []
        try:
            exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        except (ValueError, KeyError):
            tally.unreadable = True
            found.append(tally)
            continue
        for key, exit_code in exit_codes.items():
            if exit_code in KILLED:
                tally.killed += 1
                if exit_code == CAUGHT_BY_TYPE_CHECK:
                    tally.by_type_check += 1
            elif exit_code in SURVIVED:
                survivors.append(key)
            else:
                tally.not_run += 1
        if survivors:
            tally.sql_case_mutants = list(sql_case_mutants(source, tally.module, survivors,
                                                           root))
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
          " (tests/mutation_report.py, docs/testing.md); 'by mypy': of the killed, those not run"
          " because mypy --strict rejects their code, as make test would")
    print(f"{'module':<44} {'mutants':>7} {'killed':>6} {'survived':>8} {'sql case':>8} "
          f"{'rate':>6} {'not run':>7} {'by mypy':>7}")
    for t in rows:
        if t.unreadable:
            print(f"{t.module:<44} results unreadable (a run stopped while mutmut wrote them):"
                  " run this module again")
        elif t.checked or t.sql_case or t.not_run:
            print(f"{t.module:<44} {t.checked + t.sql_case:>7} {t.killed:>6} {t.survived:>8} "
                  f"{t.sql_case:>8} {t.kill_rate:>5.1f}% {t.not_run:>7} {t.by_type_check:>7}")
            if arguments.list_sql_case:
                for name in t.sql_case_mutants:
                    print(f"    sql case: {name}")
    under = [t for t in rows if arguments.below is not None
             and (t.unreadable or (t.checked and t.kill_rate < arguments.below))]
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
