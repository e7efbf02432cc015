"""Sphinx configuration: MyST Markdown pages and an API reference from the docstrings."""

import collections.abc
import importlib
import inspect
import sys
import typing
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.inspect import stringify_signature
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
# Show these aliases by name in signatures, rather than as the Literal they stand for (the
# currency codes are 179 of them).
autodoc_type_aliases = {
    "CurrencyCode": "fragment.types.currency_code.CurrencyCode",
    "LineItemType": "fragment.types.invoice_create_params.LineItemType",
    "AllocationType": "fragment.types.transaction.AllocationType",
    "ReconciliationStatus": "fragment.types.transaction_list_params.ReconciliationStatus",
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
    "multidict",
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
# The type variables of generic signatures (``Fragment.run() -> R``, ``BatchResult[R]``): a
# TypeVar has no page of its own to link to.
nitpick_ignore = [
    ("py:class", "fragment._sync.R"),
    ("py:class", "fragment._sync.T"),
    ("py:class", "fragment._batch.R"),
]

_logger = logging.getLogger(__name__)


# --- cross-references -----------------------------------------------------------------------


def _resolve_reexport(app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element) -> nodes.Element | None:
    """Resolve a fragment name that is documented under another path.

    * ``fragment.types.CurrencyCode`` is documented where it is defined (autodoc reads the
      docstrings of module-level names there), ``fragment.types.currency_code.CurrencyCode``;
      a private path such as ``fragment._transport.Transport`` is documented under the
      public one, ``fragment.Transport``. Such a reference is resolved only when both paths
      import the very same object.
    * A bare name from a type hint written under ``TYPE_CHECKING`` (``Invoices[Async]``) is
      resolved when exactly one documented fragment object has that name.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py":
        return None
    objects = env.get_domain("py").objects
    if "." not in target:
        found = [name for name in objects if name.startswith("fragment.") and name.rpartition(".")[2] == target]
        if len(found) != 1:
            return None
        return make_refnode(app.builder, node["refdoc"], objects[found[0]].docname, objects[found[0]].node_id, contnode)
    if not target.startswith("fragment."):
        return None
    wanted = _import(target)
    if wanted is None:
        return None
    name = target.rpartition(".")[2]
    for fullname, entry in objects.items():
        if fullname != target and fullname.rpartition(".")[2] == name and _import(fullname) is wanted:
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, fullname)
    return None


def _import(path: str) -> object | None:
    module_name, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name, None)
    except ImportError:
        return None


# --- resources: operations declared once, documented with their real signatures ------------


class AutoResource(SphinxDirective):
    """``.. autoresource:: fragment.resources.invoices.Invoices``: a resource class and its methods.

    A resource's methods are descriptors (:mod:`fragment._operation`), which autodoc takes
    for attributes and shows without parameters. This documents each of them as a method,
    with the parameters and result its callers see (the result the coroutine gives, on
    ``AsyncFragment``), and its docstring.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        path = self.arguments[0]
        resource = _import(path)
        if not isinstance(resource, type):
            raise self.error(f"autoresource: {path} is not a class")
        lines = [f".. autoclass:: {path}()", ""]
        for name, member in vars(resource).items():
            if name.startswith("_") or not _is_resource_method(member):
                continue
            lines += [f"   .. py:method:: {name}{_signature_of(member, resource)}", ""]
            lines += [f"      {line}" if line else "" for line in inspect.cleandoc(member.__doc__ or "").splitlines()]
            lines.append("")
        return self.parse_text_to_nodes("\n".join(lines))


def _is_resource_method(member: object) -> bool:
    from fragment._operation import Composite, CreateMany, CreateManyIter, Endpoint

    return isinstance(member, (Endpoint, Composite, CreateMany, CreateManyIter))


def _signature_of(member: Any, resource: type) -> str:
    """The method's signature as an ``AsyncFragment`` caller sees it, its result awaited."""
    from fragment import _operation
    from fragment._operation import CreateMany, CreateManyIter

    bound = member.__get__(resource(None), resource)  # a resource without a client: never called
    signature = inspect.signature(bound)
    namespace = dict(vars(sys.modules[resource.__module__]))
    defaults: dict[str, Any] = {}
    if isinstance(member, (CreateMany, CreateManyIter)):
        # A batch's signature is its protocol's, generic over the create's params and response.
        namespace = {**vars(_operation), "ParamsT_contra": member._params, "R": member._operation.response}
        defaults = bound.__kwdefaults__ or {}
    namespace.update(_ALIAS_STAND_INS)
    parameters = [
        parameter.replace(
            annotation=_evaluate(parameter.annotation, namespace),
            default=defaults.get(parameter.name, parameter.default),
        )
        for parameter in signature.parameters.values()
    ]
    result = _awaited(_evaluate(signature.return_annotation, namespace))
    return stringify_signature(signature.replace(parameters=parameters, return_annotation=result), unqualified_typehints=True)


def _evaluate(annotation: Any, namespace: dict[str, Any]) -> Any:
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, namespace)  # noqa: S307 - annotations of our own modules


def _awaited(annotation: Any) -> Any:
    """``Coroutine[Any, Any, X]`` -> ``X``: the reference shows what a call gives, in either client."""
    if typing.get_origin(annotation) is collections.abc.Coroutine:
        return typing.get_args(annotation)[2]
    return annotation


def _stand_in(path: str) -> type:
    """A class that a signature shows as ``path``: an alias by its name, not its expansion."""
    module, _, name = path.rpartition(".")
    return type(name, (), {"__module__": module, "__qualname__": name})


_ALIAS_STAND_INS = {name: _stand_in(path) for name, path in autodoc_type_aliases.items()}


# --- every public name is in the reference ------------------------------------------------


_PUBLIC_MODULES = ("fragment", "fragment.types", "fragment.testing", "fragment.resources")


def _check_public_names_documented(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn (an error with -W) about a public name that the API reference does not document."""
    documented = {}
    for fullname in env.get_domain("py").objects:
        documented.setdefault(fullname.rpartition(".")[2], []).append(fullname)
    for module_name in _PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if not inspect.isclass(value) and not inspect.isfunction(value) and name != "__version__":
                continue  # type aliases and constants are documented where they are defined
            candidates = documented.get(name, [])
            if f"{module_name}.{name}" in candidates or any(_import(other) is value for other in candidates):
                continue
            _logger.warning("%s.%s is public but not in the API reference (docs/api.md)", module_name, name)


def setup(app: Sphinx) -> None:
    app.connect("missing-reference", _resolve_reexport)
    app.connect("env-check-consistency", _check_public_names_documented)
    app.add_directive("autoresource", AutoResource)
