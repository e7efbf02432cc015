"""Sphinx configuration: MyST Markdown pages and an API reference from the docstrings."""

import importlib
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode

from fragment import __version__

project = "fragment"
author = "The fragment developers"
copyright = "2026, the fragment developers"
release = __version__
version = __version__
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "examples"]
html_theme = "furo"
html_title = f"fragment {release}"
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
add_module_names = False
# Show these aliases by name in signatures, rather than as a Literal of 179 currency codes.
autodoc_type_aliases = {
    "CurrencyCode": "fragment.types.currency_code.CurrencyCode",
    "LineItemType": "fragment.types.invoice_create_params.LineItemType",
}

# Every reference must resolve (-n), but there is no network for intersphinx: references to
# other projects' objects (aiohttp, anyio, attrs, pytest) and to the standard library (from
# type hints and from the guides) have nothing to link to. Ignore exactly those modules;
# a reference to a fragment name that does not exist still fails the build.
_EXTERNAL_MODULES = (
    "aiohttp",
    "anyio",
    "asyncio",
    "attrs",
    "cattrs",
    "collections",
    "concurrent",
    "contextlib",
    "datetime",
    "logging",
    "os",
    "pathlib",
    "pytest",
    "_pytest",
    "ssl",
    "ssl_module",  # the ssl module, under the name _client.py imports it as
    "threading",
    "types",
    "typing",
    "typing_extensions",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_EXTERNAL_MODULES)})(\..+)?"),
]


def _resolve_reexport(app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element) -> nodes.Element | None:
    """Resolve a fragment name by the path users import it from to where it is documented.

    ``fragment.types.CurrencyCode`` is documented where it is defined (autodoc reads the
    docstrings of module-level names there), ``fragment.types.currency_code.CurrencyCode``.
    A reference is resolved only when both paths import the very same object.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("fragment."):
        return None
    wanted = _import(target)
    if wanted is None:
        return None
    name = target.rpartition(".")[2]
    for documented in env.get_domain("py").objects.items():
        fullname, entry = documented
        if fullname != target and fullname.rpartition(".")[2] == name and _import(fullname) is wanted:
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, fullname)
    return None


def _import(path: str) -> object | None:
    module_name, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name, None)
    except ImportError:
        return None


def setup(app: Sphinx) -> None:
    app.connect("missing-reference", _resolve_reexport)
