"""Sharding an input: N shards are disjoint, cover everything, and agree across processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

from fragment import shard, shard_of


def invoices(count: int) -> list[dict[str, Any]]:
    return [{"invoice_id": f"inv_{number:05d}"} for number in range(count)]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 16])
def test_n_shards_are_disjoint_and_together_take_every_item_once(count: int) -> None:
    items = invoices(2000)

    shards = [list(shard(iter(items), index, count)) for index in range(count)]

    taken = [item["invoice_id"] for part in shards for item in part]
    assert sorted(taken) == [item["invoice_id"] for item in items]
    assert len(taken) == len(set(taken))


def test_shards_are_about_even() -> None:
    sizes = [len(list(shard(invoices(8000), index, 4))) for index in range(4)]

    assert all(1800 < size < 2200 for size in sizes), sizes


def test_an_item_lands_in_the_same_shard_in_another_process() -> None:
    keys = [f"inv_{number}" for number in range(50)]
    code = f"from fragment import shard_of; print([shard_of(key, 5) for key in {keys!r}])"

    # Another interpreter with another string-hash seed: the built-in hash() would differ.
    other = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env={"PYTHONHASHSEED": "123"}
    )

    assert other.stdout.strip() == str([shard_of(key, 5) for key in keys])


def test_the_key_is_a_field_name_a_function_or_the_item_itself() -> None:
    @attrs.frozen
    class Product:
        code: str

    products = [Product(f"p{number}") for number in range(100)]
    codes = [product.code for product in products]

    by_field = [product.code for product in shard(products, 1, 3, key="code")]
    by_function = [product.code for product in shard(products, 1, 3, key=lambda product: product.code)]
    by_item = list(shard(codes, 1, 3, key=None))

    assert by_field == by_function == by_item == [code for code in codes if shard_of(code, 3) == 1]


def test_an_item_without_a_readable_key_goes_to_shard_0_only() -> None:
    odd = [{"invoice_id": 7}, {}, "not a mapping"]

    assert [list(shard(odd, index, 3)) for index in range(3)] == [odd, [], []]


async def test_an_async_iterable_gives_an_async_iterator_of_the_same_items() -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for item in invoices(300):
            yield item

    taken = [item async for item in shard(source(), 2, 4)]

    assert taken == list(shard(invoices(300), 2, 4))


@pytest.mark.parametrize(
    ("index", "count", "message"),
    [(0, 0, "shard count"), (0, True, "shard count"), (3, 3, "from 0 to 2"), (-1, 3, "from 0 to 2"), ("1", 3, "index")],
)
def test_a_shard_outside_the_count_is_refused_at_the_call(index: Any, count: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shard([], index, count)
