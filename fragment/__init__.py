"""An async-first Python SDK for Fragment's billing API.

>>> from fragment import AsyncFragment, Fragment  # doctest: +SKIP

Which module owns what (all private but this one, ``types`` and ``testing``)::

    __init__.py             the public names, re-exported (Fragment loaded on first use)
    types/                  the models: frozen attrs classes, no I/O
    _wire.py                the one cattrs converter: Python names <-> wire names, per class
    _validation.py          the one validator of every request (the emulator uses it too)
    _operation.py           how an operation is declared once and offered by both clients
    resources/              one module per resource; each operation one declaration
    _protocol.py            pure: status -> exception, answers -> models, the retry state machine
    _auth.py                OAuth2: the token request, its answer, the token cache
    _transport.py           the transport seam, and the only aiohttp client code
    _client.py              AsyncFragment: configuration and the driver of the state machine
    _sync.py                Fragment: the blocking facade on anyio's portal
    _batch.py               the bounded batch runner, generic over any create
    _pacing.py              the batch's rate controller, passed to the driver explicitly
    _wait.py                how long retries wait, and the testing switch behind it
    _seen.py                the compact set of keys a batch has seen (duplicates are refused)
    _shard.py               splitting an input across machines by a stable hash of each key
    _modify.py              read-modify-write: re-read and re-apply on a version conflict
    _errors.py              the exception hierarchy, drawn as a tree
    _events.py              the event hooks' events: request, response, retry
    _raw.py                 raw responses: status, headers and timing, parsed on demand
    otel.py                 OpenTelemetry spans from the event hooks (the otel extra)
    _json.py                the JSON codec: orjson when installed, else the standard library
    _logging.py             the fragment logger, and FRAGMENT_LOG
    _argparse_types.py      option parsers shared by the two command lines
    _version.py             the version, read by the build too
    __main__.py             python -m fragment runs the command line
    testing/                the emulator (aiohttp.web), a mock transport, the pytest plugin
    _cli/                   the fragment command line
"""

import typing

from . import _errors
from ._batch import BatchResult
from ._client import AsyncFragment

# The whole exception hierarchy is public: its names are listed once, in _errors.__all__.
from ._errors import *  # noqa: F403
from ._events import RequestEvent, ResponseEvent, RetryEvent
from ._logging import setup_logging as _setup_logging
from ._operation import RequestOptions
from ._raw import RawResponse
from ._shard import shard, shard_of
from ._transport import AiohttpTransport, Request, Response, Transport
from ._version import __version__

if typing.TYPE_CHECKING:  # at run time, __getattr__ below loads it
    from ._sync import Fragment

__all__ = [
    "AiohttpTransport",
    "AsyncFragment",
    "BatchResult",
    "Fragment",
    "RawResponse",
    "Request",
    "RequestEvent",
    "RequestOptions",
    "Response",
    "ResponseEvent",
    "RetryEvent",
    "Transport",
    "__version__",
    "shard",
    "shard_of",
]
__all__ += _errors.__all__
__all__.sort()  # one sorted list, the exceptions among the rest


def __getattr__(name: str) -> object:
    """Load the blocking facade when it is first asked for (PEP 562).

    It brings anyio, which a program that only awaits :class:`AsyncFragment` never needs:
    ``import fragment`` stays cheaper for it (a serverless cold start, a short script).
    """
    if name == "Fragment":
        from ._sync import Fragment

        globals()["Fragment"] = Fragment  # found directly from now on
        return Fragment
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """Every name, ``Fragment`` included before it is loaded (for completion in a REPL or an IDE)."""
    return sorted({*globals(), *__all__})


_setup_logging()
