"""The dependency direction of DESIGN.md, checked on the source: every import statement of the
package (lazy ones inside functions too) is parsed with ``ast`` and resolved to a module name.

- Outside ``trainui/store/`` the store is reached through ``trainui.store`` only, and only for
  the names it exports (``__all__``); inside the store, the series engine is reached through
  ``trainui.store.series`` only, the same way.
- web and ingestion never import each other.
- The trainer side (``import trainui``, the trainer, the integrations, the protocol, the client)
  never imports the server side (Flask, SQLAlchemy, watchdog, trainui's store, web, ingestion).
- The server side (store, web, ingestion, the CLI) never imports torch.

The checker runs on the real package, and on small synthetic trees that break each rule once, so
a checker that stopped seeing violations would fail here too."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import trainui

TRAINER_SIDE = {"__init__", "trainer", "integrations", "protocol", "client", "child"}
SERVER_SIDE = {"store", "web", "ingest", "cli", "serve", "config", "usage", "demo"}
SERVER_LIBRARIES = {"flask", "werkzeug", "sqlalchemy", "alembic", "watchdog", "waitress"}
# A package whose insides only its own modules import, and the one outside them that may.
PRIVATE_PACKAGES = (("store", ("store",)), ("store.series", ("store", "series")))


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    """Dotted name of ``path`` under the package ``root``, and whether it is a package's __init__."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _imports(root: Path, path: Path) -> list[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) of every import in ``path``."""
    name, is_package = _module_name(root, path)
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            out.extend((node.lineno, module, alias.name) for alias in node.names)
    return out


def _exported(root: Path, package: tuple[str, ...]) -> set[str]:
    init = root.joinpath(*package, "__init__.py")
    if not init.is_file():
        return set()
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def violations(root: Path) -> list[str]:
    """Every import in the package at ``root`` that breaks a rule, as "file:line: why"."""
    top = root.name
    exported = {dotted: _exported(root, parts) for dotted, parts in PRIVATE_PACKAGES}
    found = []
    for path in sorted(root.rglob("*.py")):
        name, _ = _module_name(root, path)
        inside = name.split(".")[1:] or ["__init__"]
        where = f"{path.relative_to(root.parent)}"
        for line, module, imported in _imports(root, path):
            target = module.split(".")
            if imported is not None and module in (top, *(f"{top}.{p}" for p, _ in PRIVATE_PACKAGES)):
                target = target + [imported]  # `from trainui.store import x`: x may be a module
            first = target[0]
            within = target[1:] if first == top else None

            def broken(why: str) -> None:
                found.append(f"{where}:{line}: {why} (imports {'.'.join(target)})")

            for dotted, parts in PRIVATE_PACKAGES:
                n = len(parts)
                if within is None or tuple(within[:n]) != parts or tuple(inside[:n]) == parts:
                    continue
                if len(within) == n:
                    continue  # the package itself
                if len(within) == n + 1 and module == f"{top}.{dotted}" and imported in exported[dotted]:
                    continue  # a name the package exports
                broken(f"reaches inside {top}.{dotted}; use what {top}.{dotted} exports")
            if within and {inside[0], within[0]} == {"web", "ingest"}:
                broken("web and ingest never import each other")
            if inside[0] in TRAINER_SIDE and (first in SERVER_LIBRARIES or (within and within[0] in
                                                                             ("store", "web", "ingest"))):
                broken("the trainer side imports the server side")
            if inside[0] in SERVER_SIDE and first == "torch":
                broken("the server side imports torch")
    return found


def test_the_package_keeps_the_import_rules():
    assert violations(Path(trainui.__file__).parent) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "trainui"
    base = {"__init__.py": "", "store/__init__.py": "from .front import Store\n__all__ = ['Store', 'values']\n",
            "store/front.py": "from . import models\nfrom .series import read_series\n", "store/models.py": "",
            "store/values.py": "", "store/series/__init__.py": "from .read import read_series\n__all__ = ['read_series']\n",
            "store/series/read.py": "from ..models import Base\n", "web/__init__.py": "", "ingest/__init__.py": "",
            "trainer/__init__.py": "", "protocol/__init__.py": ""}
    for relative, text in {**base, **files}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(textwrap.dedent(text))
    return root


def test_a_tree_that_keeps_the_rules_has_no_violation(tmp_path):
    root = _tree(tmp_path, {"web/api.py": "from ..store import Store, values\nimport flask\n",
                            "ingest/sync.py": "from trainui.store import Store\nimport watchdog\n",
                            "trainer/run.py": "import torch\nfrom .. import protocol\n"})
    assert violations(root) == []


# Each line: the file of a synthetic tree | the one import it holds ("; " starts an indented line)
# | the rule that must catch it.
VIOLATIONS = """
web/api.py        | from ..store.models import Base                    | reaches inside trainui.store
web/api.py        | from ..store import models                         | reaches inside trainui.store
ingest/sync.py    | import trainui.store.models                        | reaches inside trainui.store
ingest/sync.py    | def lazy():; from trainui.store.front import Store | reaches inside trainui.store
store/projects.py | from .series.read import read_series               | reaches inside trainui.store.series
web/api.py        | from ..ingest import sync                          | web and ingest never import each other
ingest/sync.py    | from trainui.web import create_app                 | web and ingest never import each other
trainer/run.py    | import sqlalchemy.orm                              | the trainer side imports the server side
protocol/files.py | from ..store import Store                          | the trainer side imports the server side
__init__.py       | from .web import create_app                        | the trainer side imports the server side
store/models.py   | import torch                                       | the server side imports torch
web/api.py        | from torch import nn                               | the server side imports torch
"""


def _violation_cases() -> list[tuple[str, str, str]]:
    out = []
    for line in VIOLATIONS.strip().splitlines():
        relative, source, why = (column.strip() for column in line.split("|"))
        out.append((relative, source.replace("; ", "\n    ") + "\n", why))
    return out


@pytest.mark.parametrize("relative, source, why", _violation_cases())
def test_each_rule_catches_its_violation(tmp_path, relative, source, why):
    found = violations(_tree(tmp_path, {relative: source}))
    assert len(found) == 1 and why in found[0] and found[0].startswith(f"trainui/{relative}:"), found
