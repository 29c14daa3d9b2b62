"""Which of chatserver's modules a Lambda function needs: its handler and what that imports.

Found by reading import statements (nothing is imported), from the handler modules of the
function catalog, so the artifact never carries the gateway, the emulator or the test kit, and
a module a handler starts to import is picked up without a list to keep up to date. Imports
under ``if TYPE_CHECKING:`` are skipped: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import chatserver

PACKAGE = "chatserver"


@dataclass(frozen=True)
class ImportClosure:
    """chatserver's modules reached from the entry points, and the outside top-level names."""

    modules: frozenset[str]  # dotted names, parent packages included
    external: frozenset[str]  # top-level names of everything else imported (stdlib too)


def package_root() -> Path:
    """The folder of the ``chatserver`` package in use (a checkout or an installed wheel)."""
    return Path(chatserver.__file__).resolve().parent


def source_file(module: str, root: Path | None = None) -> Path | None:
    """The file defining ``module`` (``chatserver.x.y``), or None if it is not a module."""
    base = root if root is not None else package_root()
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    folder = base.joinpath(*parts[1:])
    if (folder / "__init__.py").is_file():
        return folder / "__init__.py"
    if len(parts) > 1 and folder.with_suffix(".py").is_file():
        return folder.with_suffix(".py")
    return None


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _Imports(ast.NodeVisitor):
    """Collects the dotted names an import statement may load, outside TYPE_CHECKING blocks."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.names: set[str] = set()
        self._package = module if is_package else module.rpartition(".")[0]

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            anchor = self._package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, node.module] if node.module else anchor)
        else:
            base = node.module or ""
        self.names.add(base)
        # ``from package import name`` may load the submodule ``package.name``.
        self.names.update(f"{base}.{alias.name}" for alias in node.names)


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_closure(entry_modules: Iterable[str], root: Path | None = None) -> ImportClosure:
    """Every chatserver module the entry modules import, directly or not."""
    modules: set[str] = set()
    external: set[str] = set()
    pending = list(entry_modules)
    while pending:
        module = pending.pop()
        if module in modules:
            continue
        path = source_file(module, root)
        if path is None:
            raise ValueError(f"{module} is not a module of {PACKAGE}")
        modules.add(module)
        pending.extend(parent for parent in _parents(module) if parent not in modules)
        visitor = _Imports(module, is_package=path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for name in visitor.names:
            if name.split(".")[0] != PACKAGE:
                external.add(name.split(".")[0])
            elif source_file(name, root) is not None and name not in modules:
                pending.append(name)
    return ImportClosure(frozenset(modules), frozenset(external - {"__future__"}))
