"""The core's and the adapters' SQL stays portable to PostgreSQL (#13).

A static check, no database: every string literal in `communitybot/` and `adapters/` that reads
as SQL is searched for SQLite-only spellings, and every `Database.execute` of an INSERT whose
result is used (SQLite's `lastrowid`: PostgreSQL has none) is refused. A failure names the
file, the line and the portable spelling to use instead. `communitybot/store/db.py` is the
SQLite backend itself and is not checked; the few deliberate SQLite-only strings elsewhere are
listed in `ALLOWED`, each with its reason, and an entry that no longer matches fails too (so the
list cannot go stale).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("communitybot", "adapters")
SQLITE_BACKEND = {"communitybot/store/db.py", "communitybot/store/checkpoints.py"}
"""Files that are the SQLite backend: their SQL is meant for SQLite only (the connection, and
the WAL checkpoints beside it)."""

FORBIDDEN: dict[str, tuple[str, str]] = {
    # name: (pattern, what to write instead)
    "INSERT OR": (r"\bINSERT\s+OR\s+\w+", "INSERT … ON CONFLICT (…) DO NOTHING / DO UPDATE"),
    "REPLACE INTO": (r"\bREPLACE\s+INTO\b", "INSERT … ON CONFLICT (…) DO UPDATE"),
    "last_insert_rowid": (r"\blast_insert_rowid\s*\(", "INSERT … RETURNING id"),
    "changes()": (r"\b(?:total_)?changes\s*\(\s*\)", "RETURNING, and count the rows"),
    "rowid": (r"\b(?:rowid|_rowid_|oid)\b", "an explicit key column"),
    "group_concat": (r"\bgroup_concat\s*\(", "one row per item, folded in Python"),
    "json functions": (r"\bjson(?:_\w+)?\s*\(", "decode the JSON in Python"),
    "strftime/julianday": (r"\b(?:strftime|julianday|unixepoch)\s*\(", "ISO text from Python"),
    "date functions": (r"\b(?:date|time|datetime)\s*\(", "ISO text computed in Python"),
    "ifnull": (r"\bifnull\s*\(", "coalesce(…)"),
    "iif": (r"\biif\s*\(", "CASE WHEN … THEN … ELSE … END"),
    "LIMIT -1": (r"\bLIMIT\s+-\s*1\b", "no LIMIT"),
    "GLOB": (r"\bGLOB\b", "= or lower(x) = lower(?)"),
    "LIKE": (r"\bLIKE\b", "lower(x) = lower(?) (LIKE's case rules differ)"),
    "boolean literal": (r"\b(?:TRUE|FALSE)\b", "0/1 integers compared with = 1"),
    "PRAGMA": (r"\bPRAGMA\b", "nothing: pragmas belong to the SQLite backend (db.py)"),
    "typeof": (r"\btypeof\s*\(", "a typed column"),
    "two-argument max/min": (
        r"\b(?:max|min)\s*\((?:[^()]|\([^()]*\))*,",
        "CASE WHEN … (SQLite's scalar max/min is PostgreSQL's greatest/least)",
    ),
    "sum of a comparison": (
        r"\b(?:sum|avg)\s*\(\s*[\w.]+\s*(?:=|<>|!=|<=|>=|<|>|IS\b)",
        "sum(CASE WHEN … THEN 1 ELSE 0 END) (PostgreSQL does not sum booleans)",
    ),
    "total()": (r"\btotal\s*\(", "coalesce(sum(…), 0)"),
    "COLLATE NOCASE": (r"\bCOLLATE\s+NOCASE\b", "lower(x) = lower(?) or stored lowercase keys"),
    "INSERT … SELECT … ON CONFLICT without WHERE": (
        r"\bINSERT\b(?:(?!\bWHERE\b).)*\bSELECT\b(?:(?!\bWHERE\b).)*\bON\s+CONFLICT\b",
        "a WHERE clause before ON CONFLICT",
    ),
}

ALLOWED: dict[tuple[str, str], str] = {
    ("communitybot/peers/loader.py", "group_concat"): (
        "the cold load's own sqlite3 connection (SQLite only by construction) lets SQLite join "
        "the ids; the `Database` path beside it is portable"
    ),
    ("communitybot/peers/loader.py", "PRAGMA"): "the cold load's own sqlite3 connection",
    ("communitybot/store/snapshot.py", "PRAGMA"): (
        "`db check`/`db copy` read a SQLite database's catalogue, version and integrity, which "
        "SQLite answers only through pragmas (the PostgreSQL half asks pg_catalog)"
    ),
    ("communitybot/store/dialect.py", "PRAGMA"): (
        "the PostgreSQL dialect names PRAGMA only to skip SQLite's pragma lines in migrations"
    ),
}

SQL_WORDS = re.compile(
    r"\b(?:SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|VALUES|ORDER BY|GROUP BY|RETURNING"
    r"|CREATE TABLE|CREATE INDEX|ALTER TABLE|ON CONFLICT|PRAGMA)\b"
)
"""Our SQL writes keywords in capitals: a literal holding one of these reads as SQL."""


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    construct: str

    def __str__(self) -> str:
        _, instead = FORBIDDEN.get(self.construct, ("", ""))
        hint = f"; instead: {instead}" if instead else ""
        return f"{self.path}:{self.line}: SQLite-only {self.construct}{hint}"


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for folder in SCANNED:
        for file in sorted((ROOT / folder).rglob("*.py")):
            relative = file.relative_to(ROOT).as_posix()
            if relative not in SQLITE_BACKEND:
                yield relative, ast.parse(file.read_text("utf-8"), relative)


def _literal(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string with its fields replaced by `x`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else " x " for part in node.values
        )
    return None


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of string literals that are statements of their own (docstrings, notes)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr)
    }


def sql_findings(path: str, tree: ast.Module) -> list[Finding]:
    found = []
    skipped = _docstrings(tree) | _fstring_parts(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        text = _literal(node)
        if text is None or not SQL_WORDS.search(text):
            continue
        flat = " ".join(text.split())
        for name, (pattern, _) in FORBIDDEN.items():
            if re.search(pattern, flat, re.IGNORECASE if name != "boolean literal" else 0):
                found.append(Finding(path, getattr(node, "lineno", 0), name))
    return found


def _fstring_parts(tree: ast.Module) -> set[int]:
    """ids of an f-string's pieces: the f-string is read whole (`_literal`), not piece by piece."""
    return {
        id(part)
        for joined in ast.walk(tree)
        if isinstance(joined, ast.JoinedStr)
        for part in joined.values
    }


def insert_id_findings(path: str, tree: ast.Module) -> list[Finding]:
    """`await db.execute("INSERT …")` whose value is used: that value is SQLite's lastrowid."""
    found = []
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Expr):
            continue  # the value is thrown away: fine
        for node in ast.iter_child_nodes(statement):
            call = node.value if isinstance(node, ast.Await) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "execute"
                and call.args
                and (text := _literal(call.args[0])) is not None
                and text.lstrip().upper().startswith("INSERT")
            ):
                found.append(Finding(path, call.lineno, "INSERT id from execute()"))
    return found


def lastrowid_findings(path: str, tree: ast.Module) -> list[Finding]:
    return [
        Finding(path, node.lineno, "lastrowid")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "lastrowid"
    ]


def all_findings() -> list[Finding]:
    found: list[Finding] = []
    for path, tree in _sources():
        found += sql_findings(path, tree)
        found += insert_id_findings(path, tree)
        found += lastrowid_findings(path, tree)
    return found


def test_no_sqlite_only_sql_outside_the_sqlite_backend() -> None:
    unexpected = [f for f in all_findings() if (f.path, f.construct) not in ALLOWED]
    assert not unexpected, "SQLite-only SQL:\n" + "\n".join(map(str, unexpected))


def test_every_allowed_exception_is_still_needed() -> None:
    present = {(f.path, f.construct) for f in all_findings()}
    stale = [f"{path}: {what}" for path, what in ALLOWED if (path, what) not in present]
    assert not stale, "allowed but no longer found (remove from ALLOWED):\n" + "\n".join(stale)


def test_the_check_catches_each_construct() -> None:
    """Each forbidden spelling, written the way it would creep back, is found with its line."""
    samples = {
        "INSERT OR": 'x = "INSERT OR IGNORE INTO t (a) VALUES (?)"',
        "REPLACE INTO": 'x = "REPLACE INTO t (a) VALUES (?)"',
        "last_insert_rowid": 'x = "SELECT last_insert_rowid()"',
        "changes()": 'x = "SELECT changes()"',
        "rowid": 'x = "SELECT a FROM t ORDER BY rowid"',
        "group_concat": 'x = "SELECT group_concat(a) FROM t"',
        "json functions": "x = \"SELECT 1 FROM t, json_tree(t.a) WHERE t.b = 'c'\"",
        "strftime/julianday": "x = \"SELECT strftime('%s', a) FROM t\"",
        "date functions": "x = \"SELECT 1 FROM t WHERE a < datetime('now')\"",
        "ifnull": 'x = "SELECT ifnull(a, 0) FROM t"',
        "iif": 'x = "SELECT iif(a, 1, 0) FROM t"',
        "LIMIT -1": 'x = "SELECT a FROM t LIMIT -1 OFFSET 5"',
        "GLOB": "x = \"SELECT a FROM t WHERE a GLOB 'x*'\"",
        "LIKE": 'x = "SELECT a FROM t WHERE a LIKE ?"',
        "boolean literal": 'x = "UPDATE t SET a = TRUE WHERE b = ?"',
        "PRAGMA": 'x = f"PRAGMA user_version = {v}; SELECT 1 FROM t"',
        "typeof": 'x = "SELECT typeof(a) FROM t"',
        "two-argument max/min": 'x = "UPDATE t SET a = max(a, ?) WHERE id = ?"',
        "sum of a comparison": 'x = "SELECT sum(flag = 1) FROM t"',
        "total()": 'x = "SELECT total(a), sum(b IS NOT NULL) FROM t"',
        "COLLATE NOCASE": 'x = "SELECT a FROM t WHERE a = ? COLLATE NOCASE"',
        "INSERT … SELECT … ON CONFLICT without WHERE": (
            'x = "INSERT INTO t (a) SELECT a FROM u JOIN v ON v.id = u.id ON CONFLICT DO NOTHING"'
        ),
    }
    for construct, source in samples.items():
        tree = ast.parse(f"\n{source}\n")
        found = {(f.construct, f.line) for f in sql_findings("sample.py", tree)}
        assert (construct, 2) in found, construct
    tree = ast.parse('async def f(db):\n    return await db.execute("INSERT INTO t VALUES (1)")\n')
    assert [f.line for f in insert_id_findings("sample.py", tree)] == [2]
    tree = ast.parse('async def f(db):\n    await db.execute("INSERT INTO t VALUES (1)")\n')
    assert insert_id_findings("sample.py", tree) == []


def test_portable_spellings_pass() -> None:
    portable = (
        'x = "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING RETURNING id"',
        'x = "INSERT INTO t (a) SELECT a FROM u WHERE b = ? ON CONFLICT (a) DO NOTHING"',
        'x = "SELECT coalesce(max(a), 0), count(*) FROM t WHERE lower(b) = lower(?)"',
        'x = "UPDATE t SET a = ? WHERE id = ? AND a < ?"',
        'x = "SELECT a FROM t WHERE flag = 1 ORDER BY CASE WHEN b IS NULL THEN 0 ELSE 1 END, b"',
    )
    for source in portable:
        assert sql_findings("sample.py", ast.parse(source)) == [], source
