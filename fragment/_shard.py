"""Splitting one input across machines: each item goes to the shard its key hashes to.

The hash is BLAKE2b of the key's UTF-8 bytes, so an item lands in the same shard on every
machine, in every process and on every Python version (the built-in ``hash()`` of a string
changes from one process to the next). N processes given the same input and shards 0 to
N - 1 together see every item exactly once, each of them resumable on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TypeVar, overload

__all__ = ["shard", "shard_of"]

T = TypeVar("T")

Key = Callable[[T], str] | str | None


def shard_of(key: str, count: int) -> int:
    """The shard, from 0 to ``count - 1``, that ``key`` belongs to.

    .. versionadded:: 0.2.0
    """
    _check_count(count)
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


@overload
def shard(items: AsyncIterable[T], index: int, count: int, *, key: Key[T] = ...) -> AsyncIterator[T]: ...
@overload
def shard(items: Iterable[T], index: int, count: int, *, key: Key[T] = ...) -> Iterator[T]: ...
def shard(
    items: Iterable[T] | AsyncIterable[T], index: int, count: int, *, key: Key[T] = "invoice_id"
) -> Iterator[T] | AsyncIterator[T]:
    """Keep the items of shard ``index`` of ``count``: those whose key hashes to it.

    Lazy, like the batches it feeds: ``client.invoices.create_many(shard(rows, 2, 8))``
    reads ``rows`` once and sends an eighth of them. Give each of N machines the same input
    and a different ``index`` from 0 to N - 1 (a Kubernetes indexed Job's
    ``JOB_COMPLETION_INDEX``, a Slurm array's task ID): together they take every item once.

    :param items: an iterable or async iterable (the result is of the same kind).
    :param index: this machine's shard, from 0 to ``count - 1``.
    :param count: how many shards there are.
    :param key: the name of the item's key field (read from a mapping or an attribute;
        ``invoice_id`` by default, ``external_id`` or ``code`` for other resources), a
        function from an item to its key, or None when the items are the keys. An item
        whose key field is missing or not a string goes to shard 0, so that exactly one
        shard sees it (and its batch reports it as invalid).
    :raises ValueError: ``count`` is not a positive int, or ``index`` is not in
        ``range(count)``.

    .. versionadded:: 0.2.0
    """
    _check_count(count)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise ValueError(f"shard index must be an int from 0 to {count - 1}, got {index!r}")
    key_of = _key_reader(key)

    def belongs(item: T) -> bool:
        item_key = key_of(item)
        return (0 if item_key is None else shard_of(item_key, count)) == index

    if isinstance(items, AsyncIterable):
        return _ashard(items, belongs)
    return (item for item in items if belongs(item))


async def _ashard(items: AsyncIterable[T], belongs: Callable[[T], bool]) -> AsyncIterator[T]:
    async for item in items:
        if belongs(item):
            yield item


def _key_reader(key: Key[T]) -> Callable[[T], str | None]:
    if callable(key):
        return key
    if key is None:
        return lambda item: item if isinstance(item, str) else None
    name = key

    def field(item: T) -> str | None:
        value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
        return value if isinstance(value, str) else None

    return field


def _check_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"shard count must be a positive int, got {count!r}")
