"""Write ``invoices.csv`` and its JSON Lines twin ``invoices.jsonl`` beside this script.

A month (June 2026) of invoices of an imaginary marketplace for design assets: customers'
subscriptions and one-off purchases (payins), creators' earnings and refunds (payouts), in
several fiat currencies, a stablecoin and bitcoin. Amounts are integer strings in each
currency's smallest unit (cents, pence, yen, satoshis, micro-USDC). The output is
deterministic: run ``python docs/examples/generate.py`` again and nothing changes.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
INVOICES = 300
COLUMNS = ("invoice_id", "amount", "currency_code", "description", "product_id", "type", "user_id")

# (currency, smallest units per major unit, weight): most business is in USD and EUR.
CURRENCIES = [
    ("USD", 100, 40),
    ("EUR", 100, 18),
    ("GBP", 100, 10),
    ("CAD", 100, 8),
    ("JPY", 1, 8),
    ("USDC", 1_000_000, 8),
    ("BTC", 100_000_000, 4),
    ("AUD", 100, 4),
]
# Prices in US dollars; converted roughly per currency below.
USD_RATE = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.37, "JPY": 157.0, "USDC": 1.0, "BTC": 1 / 64_000, "AUD": 1.5}
PLANS = [
    ("prod_plan_starter_monthly", "Starter plan, monthly", 12),
    ("prod_plan_pro_monthly", "Pro plan, monthly", 29),
    ("prod_plan_team_monthly", "Team plan, monthly (5 seats)", 99),
    ("prod_plan_pro_annual", "Pro plan, annual", 290),
]
ADD_ONS = [
    ("prod_addon_extra_seat", "Extra seat", 15),
    ("prod_addon_storage_100gb", "Extra storage, 100 GB", 5),
    ("prod_addon_priority_support", "Priority support", 49),
    ("prod_addon_api_credits_10k", "API credits, 10,000 calls", 20),
]
ASSETS = [
    ("prod_asset_icon_pack_line", "Icon pack: Line Essentials", 24),
    ("prod_asset_font_halden", "Font licence: Halden Sans, desktop", 45),
    ("prod_asset_mockup_devices", "Device mockup bundle", 19),
    ("prod_asset_illustrations_people", "Illustration set: People at Work", 39),
    ("prod_asset_ui_kit_dashboard", "UI kit: Admin Dashboard", 69),
    ("prod_asset_photo_pack_coast", "Photo pack: Atlantic Coast (30 photos)", 35),
    ("prod_asset_3d_shapes", "3D abstract shapes, commercial licence", 55),
]
CREATOR_SHARE = 0.7


@dataclass
class _Invoice:
    """What each kind of invoice is drawn from."""

    rng: random.Random
    currency: str
    unit: int
    """Smallest units per major unit of ``currency``."""
    customers: list[str]
    creators: list[str]
    day: int

    def price(self, dollars: float, *, list_price: bool = True) -> str:
        """A price in dollars as an amount string in the currency's smallest unit."""
        amount = dollars * USD_RATE[self.currency] * self.unit
        if list_price and self.unit == 100:  # shop prices: whole amounts, most of them ending in .99
            amount = round(amount / 100) * 100 - (1 if self.rng.random() < 0.6 and amount >= 200 else 0)
        return str(max(1, round(amount)))


def main() -> None:
    """Generate the invoices and write both files."""
    rng = random.Random(20260601)
    customers = [f"user_cus_{rng.getrandbits(40):010x}" for _ in range(140)]
    creators = [f"user_cre_{rng.getrandbits(40):010x}" for _ in range(25)]
    invoices = list(_month(rng, customers, creators))
    _write_csv(HERE / "invoices.csv", invoices)
    _write_jsonl(HERE / "invoices.jsonl", invoices)
    items = sum(len(invoice["line_items"]) for invoice in invoices)
    print(f"wrote {len(invoices)} invoices, {items} line items")


def _month(rng: random.Random, customers: list[str], creators: list[str]) -> Iterator[dict[str, Any]]:
    kinds = [_subscription, _purchase, _creator_payout, _refund]
    for number in range(1, INVOICES + 1):
        day = 1 + (number - 1) * 30 // INVOICES
        currency, unit, _ = rng.choices(CURRENCIES, weights=[c[2] for c in CURRENCIES])[0]
        kind = rng.choices(kinds, weights=[40, 35, 15, 10])[0]
        line_items = kind(_Invoice(rng, currency, unit, customers, creators, day))
        for item in line_items:
            item["currency_code"] = currency
        yield {"invoice_id": f"inv_2026_06_{day:02d}_{number:04d}", "line_items": line_items}


def _item(amount: str, description: str, product_id: str, type_: str, user_id: str) -> dict[str, str]:
    return {"amount": amount, "description": description, "product_id": product_id, "type": type_, "user_id": user_id}


def _subscription(invoice: _Invoice) -> list[dict[str, str]]:
    rng, customer = invoice.rng, invoice.rng.choice(invoice.customers)
    product_id, name, dollars = rng.choice(PLANS)
    items = [_item(invoice.price(dollars), f"{name}: June 2026", product_id, "payin", customer)]
    for product_id, name, dollars in rng.sample(ADD_ONS, k=rng.choices([0, 1, 2, 3], weights=[15, 40, 30, 15])[0]):
        items.append(_item(invoice.price(dollars), f"{name}: June 2026", product_id, "payin", customer))
    return items


def _purchase(invoice: _Invoice) -> list[dict[str, str]]:
    rng, customer = invoice.rng, invoice.rng.choice(invoice.customers)
    items = [
        _item(invoice.price(dollars), f"{name}, order of 2026-06-{invoice.day:02d}", product_id, "payin", customer)
        for product_id, name, dollars in rng.sample(ASSETS, k=rng.choices([1, 2, 3], weights=[35, 35, 30])[0])
    ]
    if rng.random() < 0.5:
        items.append(
            _item(invoice.price(4.0), "Tip for the creator", "prod_tip", "payout", rng.choice(invoice.creators))
        )
    return items


def _creator_payout(invoice: _Invoice) -> list[dict[str, str]]:
    rng, creator = invoice.rng, invoice.rng.choice(invoice.creators)
    items = []
    for product_id, name, dollars in rng.sample(ASSETS, k=rng.choices([1, 2, 3, 4], weights=[30, 35, 25, 10])[0]):
        sales = rng.randint(2, 60)
        earning = invoice.price(dollars * sales * CREATOR_SHARE, list_price=False)
        items.append(_item(earning, f"Creator earnings: {name}, {sales} sales", product_id, "payout", creator))
    return items


def _refund(invoice: _Invoice) -> list[dict[str, str]]:
    rng, customer = invoice.rng, invoice.rng.choice(invoice.customers)
    product_id, name, dollars = rng.choice(ASSETS + PLANS)
    items = [_item(invoice.price(dollars), f"Refund: {name}", product_id, "payout", customer)]
    if rng.random() < 0.4:
        fee = invoice.price(dollars * 0.03, list_price=False)
        items.append(_item(fee, "Refund of the payment processing fee", "prod_fee_processing", "payout", customer))
    return items


def _write_csv(path: Path, invoices: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        for invoice in invoices:
            for item in invoice["line_items"]:
                writer.writerow([invoice["invoice_id"], *(item[column] for column in COLUMNS[1:])])


def _write_jsonl(path: Path, invoices: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for invoice in invoices:
            line_items = [{column: item[column] for column in COLUMNS[1:]} for item in invoice["line_items"]]
            file.write(json.dumps({"invoice_id": invoice["invoice_id"], "line_items": line_items}) + "\n")


if __name__ == "__main__":
    main()
