"""The public surface: every exported name imports, is documented, and ``__all__`` is sorted."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import itertools
import types
from pathlib import Path
from typing import Any

import pytest

import fragment
import fragment.testing
import fragment.types

PUBLIC_MODULES = [fragment, fragment.types, fragment.testing]
EXPORTS = [(module.__name__, name) for module in PUBLIC_MODULES for name in module.__all__]
# Package metadata, documented by its module rather than by itself.
METADATA = {"__version__"}


@functools.cache
def attribute_docstrings() -> dict[str, str]:
    """Docstrings written under module-level assignments (``X = ...`` then ``\"\"\"doc\"\"\"``).

    Read from the package's source files without importing them.
    """
    found: dict[str, str] = {}
    for path in sorted(Path(fragment.__file__).parent.rglob("*.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for statement, following in itertools.pairwise(body):
            if not (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                continue
            targets: list[ast.expr] = []
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, ast.AnnAssign):
                targets = [statement.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = following.value.value
    return found


def documentation(name: str, member: Any) -> str | None:
    if inspect.isclass(member) or inspect.isroutine(member) or isinstance(member, types.ModuleType):
        return member.__doc__
    return attribute_docstrings().get(name)


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda module: module.__name__)
def test_all_is_sorted_and_without_duplicates(module: types.ModuleType) -> None:
    assert module.__all__ == sorted(set(module.__all__))


@pytest.mark.parametrize(("module_name", "name"), EXPORTS)
def test_every_exported_name_is_importable(module_name: str, name: str) -> None:
    namespace: dict[str, Any] = {}

    exec(f"from {module_name} import {name}", namespace)

    assert namespace[name] is getattr(importlib.import_module(module_name), name)


@pytest.mark.parametrize(("module_name", "name"), [export for export in EXPORTS if export[1] not in METADATA])
def test_every_exported_name_has_a_docstring(module_name: str, name: str) -> None:
    member = getattr(importlib.import_module(module_name), name)

    doc = documentation(name, member)

    assert doc and doc.strip(), f"{module_name}.{name} has no docstring"


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda module: module.__name__)
def test_every_public_name_of_the_module_is_exported(module: types.ModuleType) -> None:
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert public <= set(module.__all__)


def test_the_version_is_a_version_string() -> None:
    assert fragment.__version__.count(".") >= 2


def test_the_documented_module_paths_import() -> None:
    from fragment.types import InvoiceCreateParams, InvoiceCreateResponse, LineItem
    from fragment.types.invoice_create_response import Data, DataLineItem

    assert all(
        inspect.isclass(cls) for cls in (InvoiceCreateParams, InvoiceCreateResponse, LineItem, Data, DataLineItem)
    )


def test_the_module_map_names_every_module_of_the_package() -> None:
    package = Path(fragment.__file__).parent
    modules = {
        path.name + ("/" if path.is_dir() else "")
        for path in package.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists()) and path.name != "__init__.py"
    }

    mapped = {line.split()[0] for line in (fragment.__doc__ or "").splitlines() if line.startswith("    ")}
    unmapped = sorted(modules - mapped)

    assert unmapped == [], f"the module map at the top of fragment/__init__.py does not name {unmapped}"
