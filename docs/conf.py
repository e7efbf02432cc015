"""Sphinx configuration: MyST Markdown pages and an API reference from the docstrings."""

import builtins
import collections.abc
import importlib
import inspect
import sys
import typing
from typing import Any

import attrs
from docutils import nodes
from sphinx import addnodes
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
    "Hook": "fragment._events.Hook",
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
    "builtins",
    "cattrs",
    "collections",
    "concurrent",
    "contextlib",
    "datetime",
    "logging",
    "multidict",
    "opentelemetry",
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
    ("py:class", "fragment._client.R"),
    ("py:class", "fragment._raw.R"),
    ("py:class", "fragment._shard.T"),
    ("py:class", "R"),  # request()'s, in the signature the blocking client copies from the async one
    ("py:obj", "fragment._events.E"),  # Hook's
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
        module = node.get("py:module") or ""
        if module.startswith("fragment") and (found := _resolve_reexport_of(f"{module}.{target}", objects)):
            return make_refnode(app.builder, node["refdoc"], found[1].docname, found[1].node_id, contnode, found[0])
        named = [name for name in objects if name.startswith("fragment.") and name.rpartition(".")[2] == target]
        if len(named) != 1:
            return None
        return make_refnode(app.builder, node["refdoc"], objects[named[0]].docname, objects[named[0]].node_id, contnode)
    if not target.startswith("fragment."):
        return None
    found = _resolve_reexport_of(target, objects)
    if found is None:
        return None
    return make_refnode(app.builder, node["refdoc"], found[1].docname, found[1].node_id, contnode, found[0])


def _resolve_reexport_of(target: str, objects: dict[str, Any]) -> tuple[str, Any] | None:
    """The documented (name, entry) of the object that ``target`` imports, documented under another path."""
    wanted = _import(target)
    if wanted is None:
        return None
    name = target.rpartition(".")[2]
    for fullname, entry in objects.items():
        if fullname != target and fullname.rpartition(".")[2] == name and _import(fullname) is wanted:
            return fullname, entry
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
        from fragment._operation import RawView

        lines = [f".. autoclass:: {path}()", ""]
        for name, member in vars(resource).items():
            if name.startswith("_"):
                continue
            if _is_resource_method(member):
                lines += [f"   .. py:method:: {name}{_signature_of(member, resource)}", ""]
                doc = inspect.cleandoc(member.__doc__ or "").splitlines()
            elif isinstance(member, RawView):  # with_raw_response: its class's summary says what it is
                lines += [f"   .. py:attribute:: {name}", ""]
                doc = inspect.cleandoc(type(member).__doc__ or "").split("\n\n")[0].splitlines()
            else:
                continue
            lines += [f"      {line}" if line else "" for line in doc]
            lines.append("")
        return self.parse_text_to_nodes("\n".join(lines))


def _is_resource_method(member: object) -> bool:
    from fragment._operation import CreateMany, CreateManyIter, Endpoint, ReadModifyWrite

    return isinstance(member, (Endpoint, ReadModifyWrite, CreateMany, CreateManyIter))


def _signature_of(member: Any, resource: type) -> str:
    """The method's signature as an ``AsyncFragment`` caller sees it, its result awaited."""
    from fragment import _operation
    from fragment._operation import Endpoint, ReadModifyWrite

    namespace = dict(vars(sys.modules[resource.__module__]))
    if isinstance(member, Endpoint):
        # The declaration names its response only by __name__: use the class itself.
        signature = member.signature.replace(return_annotation=member.operation.response)
    elif isinstance(member, ReadModifyWrite):
        signature = member.signature  # in the resource's own models already
    else:
        # A batch's signature is generic over the create's params and response.
        signature = member.signature
        namespace = {**vars(_operation), "ParamsT_contra": member._params, "R": member._operation.response}
    namespace.update(_ALIAS_STAND_INS)
    parameters = [
        parameter.replace(annotation=_evaluate(parameter.annotation, namespace), default=_shown(parameter.default))
        for parameter in signature.parameters.values()
    ]
    result = _awaited(_evaluate(signature.return_annotation, namespace))
    return stringify_signature(
        signature.replace(parameters=parameters, return_annotation=result), unqualified_typehints=True
    )


def _shown(default: Any) -> Any:
    """A protocol writes its defaults as ``...``; the batches' are all None."""
    return None if default is Ellipsis else default


def _evaluate(annotation: Any, namespace: dict[str, Any]) -> Any:
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, namespace)  # our own modules' annotations, written as strings


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


# --- signatures of models and functions --------------------------------------------------


def _process_signature(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, args: str | None, result: str | None
) -> tuple[str, str | None] | None:
    """Evaluate a model's signature here: autodoc renders a field annotated with an alias in a
    union (``currency: CurrencyCode | str``) as "TypeAliasForwardRef"."""
    if not name.startswith("fragment.") or args is None or what not in ("class", "exception") or not attrs.has(obj):
        return None
    namespace: dict[str, Any] = {}  # an inherited field's annotation is written in its own class's module
    for klass in reversed(obj.__mro__):
        namespace.update(vars(sys.modules[klass.__module__]))
    namespace.update(_ALIAS_STAND_INS)
    init = inspect.signature(obj.__init__)
    parameters = [
        parameter.replace(annotation=_evaluate(parameter.annotation, namespace))
        for parameter in [*init.parameters.values()][1:]
    ]
    signature = init.replace(parameters=parameters, return_annotation=inspect.Signature.empty)
    return stringify_signature(signature, unqualified_typehints=True), result


def _builtins_are_builtins(app: Sphinx, doctree: nodes.document) -> None:
    """A bare ``type`` in an annotation (``cast_to: type[R]``) is the builtin, not one of the
    models' fields named ``type``, which the Python domain's fuzzy search would find, ambiguously."""
    for node in doctree.findall(addnodes.pending_xref):
        target = node.get("reftarget", "")
        if node.get("refdomain") == "py" and "." not in target and hasattr(builtins, target):
            node["reftarget"] = f"builtins.{target}"


# --- every public name is in the reference ------------------------------------------------


_PUBLIC_MODULES = ("fragment", "fragment.types", "fragment.resources", "fragment.testing", "fragment.otel")


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
    app.connect("autodoc-process-signature", _process_signature)
    app.connect("doctree-read", _builtins_are_builtins)
    app.add_directive("autoresource", AutoResource)
