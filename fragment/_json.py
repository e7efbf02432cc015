"""The JSON codec, chosen once at import: orjson when installed, else the standard library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["CODEC", "dumps", "loads"]

dumps: Callable[[Any], bytes]
loads: Callable[[bytes | str], Any]

try:
    import orjson
except ImportError:  # pragma: no cover - exercised when the "fast" extra is absent
    import json

    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def dumps(value: Any) -> bytes:
        """Encode ``value`` as compact UTF-8 JSON."""
        return _encoder.encode(value).encode()

    loads = json.loads
    CODEC = "json"
else:
    dumps = orjson.dumps
    loads = orjson.loads
    CODEC = "orjson"
