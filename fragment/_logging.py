"""The ``fragment`` logger, switched on by ``FRAGMENT_LOG=info|debug`` (or a command line's ``--log-level``)."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

__all__ = ["LOG_LEVELS", "logger", "setup_logging"]

logger = logging.getLogger("fragment")

LOG_LEVELS = ("debug", "info", "warning", "error")
"""The level names :func:`setup_logging` takes, quietest last."""


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is at each record (it may have been replaced since).

    Its own class, so that :func:`setup_logging` attaches it only once.
    """

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # always the current sys.stderr


def setup_logging(level: str | None = None) -> None:
    """Send the ``fragment`` logger's records (the emulator's too) to stderr at ``level``.

    Without ``level``, the level named by ``FRAGMENT_LOG``, if it names one; without either
    the library only emits records, and configuring output is the application's business.
    Calling it again changes the level without adding a second handler.
    """
    name = (level or os.environ.get("FRAGMENT_LOG", "")).lower()
    if name not in LOG_LEVELS:
        return
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(name.upper())
