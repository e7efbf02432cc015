"""The compact set of keys a batch has seen: exact answers, and memory that stays small."""

from __future__ import annotations

import tracemalloc

from fragment._seen import SeenKeys


def test_a_new_key_is_recorded_at_its_index_and_a_repeat_answers_the_first_index() -> None:
    seen = SeenKeys()

    assert seen.first_index("inv_1", 0) == 0
    assert seen.first_index("inv_2", 1) == 1
    assert seen.first_index("inv_1", 7) == 0
    assert len(seen) == 2


def test_every_key_of_a_large_batch_is_told_apart_across_many_resizes() -> None:
    seen = SeenKeys()
    keys = [f"invoice_{number:07d}" for number in range(50_000)]

    firsts = [seen.first_index(key, index) for index, key in enumerate(keys)]
    repeats = [seen.first_index(key, 99_999_999) for key in keys]

    assert firsts == list(range(len(keys)))
    assert repeats == list(range(len(keys)))


def test_keys_cost_under_thirty_bytes_each_not_a_dicts_hundred() -> None:
    keys = [f"invoice_{number:07d}" for number in range(100_000)]  # made before measuring
    tracemalloc.start()
    try:
        seen = SeenKeys()
        for index, key in enumerate(keys):
            seen.first_index(key, index)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak / len(keys) < 30  # bytes a key, resizes included; a dict of str -> int costs ~120
