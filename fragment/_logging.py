"""The ``fragment`` logger, switched on by ``FRAGMENT_LOG=info|debug``."""

from __future__ import annotations

import logging
import os

__all__ = ["logger", "setup_logging"]

logger = logging.getLogger("fragment")


def setup_logging() -> None:
    """Attach a stderr handler at the level named by ``FRAGMENT_LOG``, if it names one.

    Without the variable the library only emits records; configuring output is the
    application's business.
    """
    level = {"debug": logging.DEBUG, "info": logging.INFO}.get(os.environ.get("FRAGMENT_LOG", "").lower())
    if level is None or logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
