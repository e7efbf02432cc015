"""An async-first Python SDK for Fragment's billing API.

>>> from fragment import AsyncFragment, Fragment  # doctest: +SKIP
"""

from ._batch import BatchResult
from ._client import AsyncFragment
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FieldError,
    FragmentError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    ValidationError,
)
from ._logging import setup_logging as _setup_logging
from ._sync import Fragment
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFragment",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "ConflictError",
    "FieldError",
    "Fragment",
    "FragmentError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "ValidationError",
    "__version__",
]

_setup_logging()
