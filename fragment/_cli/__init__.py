"""The ``fragment`` command line: every API operation, bulk imports and the local emulator.

Run as ``fragment`` (the console script) or ``python -m fragment``. ``import fragment``
never imports this package, and this package imports the emulator (and ``aiohttp.web``)
only for ``--local`` and ``fragment emulator``.

Modules, one job each: ``_app`` (arguments, dispatch, exit statuses, signals);
``_operations`` (the API's operations as commands, read from the declarations) and
``_fields`` (what kind of value each field is); ``_call`` (run one operation) and
``_output`` (JSON or a table); ``_import`` (the generic import), ``_import_kinds`` (what can
be imported), ``_csv_shape`` (CSV columns from a params model), ``_readers`` (CSV and JSON
Lines with line numbers), ``_results`` (the results file and ``--resume``), ``_progress``
(bar, periodic lines and summary); ``_connect`` (the client, or ``--local``'s emulator);
``_errors`` (usage errors, and hints about API errors).
"""

from ._app import main

__all__ = ["main"]
