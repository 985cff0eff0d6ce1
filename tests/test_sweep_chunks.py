"""The chunks a Dask sweep sends out: every sample once, in order, shrinking to a small tail."""

from __future__ import annotations

import math

import pytest

from optimizer.sweep import guided_chunks


@pytest.mark.parametrize(("samples", "parallel"), [(1, 2), (3, 2), (60, 2), (200, 2), (1000, 2), (97, 3), (10, 16)])
def test_guided_chunks_cover_every_sample_once_and_shrink(samples, parallel):
    """Concatenated, the chunks are the samples in order; sizes never grow, stay between 1/20 and 1/4
    of a worker's share (the last may be what is left), and the last chunk is at most 1/20 of a
    worker's share, so a worker waits at most that long for the other at the end."""
    rows = list(range(samples))
    chunks = guided_chunks(rows, parallel)
    assert [row for chunk in chunks for row in chunk] == rows
    sizes = [len(chunk) for chunk in chunks]
    smallest = max(1, math.ceil(samples / (parallel * 20)))
    largest = max(1, math.ceil(samples / (parallel * 4)))
    assert all(a >= b for a, b in zip(sizes, sizes[1:], strict=False))
    assert all(smallest <= size <= largest for size in sizes[:-1]) and 1 <= sizes[-1] <= smallest
    assert len(chunks) <= 4 * parallel + 20  # few tasks for the scheduler


def test_two_hundred_samples_on_two_workers():
    """200 samples, 2 workers: five chunks of 25 (a quarter of a worker's 100), then half of what is
    left per worker (75 / 4 → 19, 56 / 4 → 14, ...) down to 5 (a twentieth), and the 2 left."""
    assert [len(c) for c in guided_chunks(list(range(200)), 2)] == [25, 25, 25, 25, 25, 19, 14, 11, 8, 6, 5, 5, 5, 2]
