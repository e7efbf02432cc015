"""The ``fragment`` command line: one-off creates, bulk imports and the local emulator.

Run as ``fragment`` (the console script) or ``python -m fragment``. ``import fragment``
never imports this package.

Modules, one job each: ``_app`` (arguments and dispatch), ``_connect`` (the client, or
``--local``'s emulator), ``_create`` and ``_import`` (the commands), ``_readers`` (CSV and
JSON Lines with line numbers), ``_results`` (the results file and ``--resume``),
``_progress`` (bar, periodic lines and summary).
"""

from ._app import main

__all__ = ["main"]
