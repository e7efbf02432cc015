"""What every benchmark invoice carries: the seed page's line item, read from its recorded request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED_REQUEST = Path(__file__).parent.parent / "samples" / "invoice_create_request.json"

LINE_ITEM: dict[str, Any] = {
    ("currency_code" if key == "currencyCode" else key): value
    for key, value in json.loads(RECORDED_REQUEST.read_bytes())["lineItems"][0].items()
}
"""The line item with Python names, as ``invoices.create`` takes it."""
