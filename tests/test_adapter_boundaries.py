"""The dependency direction, read from the source: adapters → core ports, never the other way.

Adapters translate; they do not reach into the core's storage. They get the core's `Bot`, their
own `AdapterState` and the core's read-only `CoreQueries` from `communitybot.bootstrap`, the one
module that wires things (and the only core module that may import an adapter).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ROOT / "adapters"
CORE = ROOT / "communitybot"

FORBIDDEN_IN_ADAPTERS = (
    "communitybot.store",
    "communitybot.bootstrap",
    "communitybot.app",
    "communitybot.adapter_state",
    "communitybot.queries",
    "aiosqlite",
    "sqlite3",
)
"""The core's storage and wiring: an adapter gets what it needs handed in, through ports."""

BUILT_ONLY_BY_THE_BOOTSTRAP = ("Bot", "PeerIndex", "Scheduler", "Store", "SqliteAdapterState")


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports (top level, inside functions, under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_adapters_never_import_the_core_store_or_sqlite() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(ADAPTERS)
        for line, module in imports(path)
        if any(within(module, forbidden) for forbidden in FORBIDDEN_IN_ADAPTERS)
    ]
    assert found == [], "adapters must use communitybot.ports (AdapterState, CoreQueries)"


def test_the_core_imports_no_adapter_except_the_bootstrap() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(CORE)
        if path != CORE / "bootstrap.py"
        for line, module in imports(path)
        if within(module, "adapters")
    ]
    assert found == []


def test_no_core_module_depends_on_the_bootstrap() -> None:
    """Only the process entries (`app.py`; `worker.py`, `communitybot worker`; `dbcli.py` for
    `communitybot db`, which needs the adapters' migrations) use the wiring; the core stays usable
    without it."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sources(CORE)
        if path.name not in ("bootstrap.py", "app.py", "worker.py", "dbcli.py")
        for line, module in imports(path)
        if within(module, "communitybot.bootstrap")
    ]
    assert found == []


def test_only_the_bootstrap_builds_the_bot_its_store_index_and_scheduler() -> None:
    found = []
    for path in [*sources(ADAPTERS), *sources(CORE)]:
        if path == CORE / "bootstrap.py" or path.is_relative_to(CORE / "store"):
            continue  # the store builds its own read facade
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            callee = node.func if isinstance(node, ast.Call) else None
            if isinstance(callee, ast.Name) and callee.id in BUILT_ONLY_BY_THE_BOOTSTRAP:
                found.append(f"{path.relative_to(ROOT)}:{callee.lineno} builds {callee.id}")
    assert found == []


def test_the_boundary_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from communitybot.store.store import Store\n")
    assert any(within(m, "communitybot.store") for _, m in imports(sample))
