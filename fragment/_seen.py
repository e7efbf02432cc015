"""Which idempotency keys a batch has seen, in about 17 bytes per key.

A ``dict`` of key strings to indexes costs about 120 bytes per key: 120 MB for a batch of a
million invoices, which would make a streaming batch's memory grow with its input. This keeps
only a 64-bit fingerprint and a 32-bit index per key, in flat arrays (open addressing, linear
probing), split into 256 tables that grow one at a time so that no resize ever copies more
than a sliver of the whole.

Two different keys share a fingerprint with a probability of about one in 2^64 per pair
(roughly 3 in 100 million for a batch of a million keys). The cost of that is mild and
visible: the second key's item is reported as a repeat, not sent, and can be sent again.
"""

from __future__ import annotations

from array import array

__all__ = ["SeenKeys"]

_FULL = (1 << 64) - 1
_MAX_INDEX = (1 << 32) - 1
_TABLE_BITS = 8  # 256 tables, chosen by the fingerprint's top byte
_FIRST_CAPACITY = 8
# Fuller tables cost longer probes (about 5 slots per new key at 80%), emptier ones memory;
# growing by half keeps the load between 53% and 80%.
_MAX_LOAD_TENTHS = 8


class SeenKeys:
    """A set of keys that remembers the index where each was first added."""

    def __init__(self) -> None:
        self._tables = [_Table(_FIRST_CAPACITY) for _ in range(1 << _TABLE_BITS)]

    def first_index(self, key: str, index: int) -> int:
        """Add ``key`` as first seen at ``index`` and return ``index``; or, if it was seen
        before, return the index where it was first seen."""
        fingerprint = (hash(key) & _FULL) or 1  # 0 marks an empty slot
        table = self._tables[fingerprint >> (64 - _TABLE_BITS)]
        return table.first_index(fingerprint, min(index, _MAX_INDEX))

    def __len__(self) -> int:
        return sum(table.count for table in self._tables)


class _Table:
    __slots__ = ("capacity", "count", "fingerprints", "indexes")

    def __init__(self, capacity: int) -> None:
        self.fingerprints = array("Q", bytes(8 * capacity))
        self.indexes = array("I", bytes(4 * capacity))
        self.capacity = capacity
        self.count = 0

    def first_index(self, fingerprint: int, index: int) -> int:
        fingerprints, capacity = self.fingerprints, self.capacity
        slot = fingerprint % capacity
        while (found := fingerprints[slot]) != 0:
            if found == fingerprint:
                return self.indexes[slot]
            slot += 1
            if slot == capacity:
                slot = 0
        fingerprints[slot] = fingerprint
        self.indexes[slot] = index
        self.count += 1
        if self.count * 10 > capacity * _MAX_LOAD_TENTHS:
            self._grow()
        return index

    def _grow(self) -> None:
        # Re-inserted here rather than through first_index: the keys are known to be distinct
        # and to fit, and a batch moves each of them about twice as its table grows.
        capacity = self.capacity * 3 // 2
        fingerprints = array("Q", bytes(8 * capacity))
        indexes = array("I", bytes(4 * capacity))
        for fingerprint, index in zip(self.fingerprints, self.indexes, strict=True):
            if fingerprint:
                slot = fingerprint % capacity
                while fingerprints[slot]:
                    slot = slot + 1 if slot + 1 < capacity else 0
                fingerprints[slot] = fingerprint
                indexes[slot] = index
        self.fingerprints, self.indexes, self.capacity = fingerprints, indexes, capacity
