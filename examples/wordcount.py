"""A custom workload: count words in generated text, one bag of lines per task.

Run it with examples/custom.yaml (`workload: wordcount:count_words`); the CLI finds
this module because it sits beside the spec.
"""

from collections import Counter

import numpy as np

from scaling_lib import WorkDone, workload

WORDS = np.array(["dask", "scale", "worker", "graph", "task", "memory", "shuffle", "gpu"])


def _count(seed: int, lines: int) -> Counter:
    rng = np.random.default_rng(seed)
    text = WORDS[rng.integers(0, len(WORDS), size=(lines, 12))]
    return Counter(text.ravel().tolist())


def _merge(counters: list[Counter]) -> Counter:
    total = Counter()
    for c in counters:
        total.update(c)
    return total


@workload("wordcount", size_unit="lines")
def count_words(client, size, partitions=8):
    """Count words in `size` lines, split over `partitions` tasks."""
    per_task = int(size) // partitions
    parts = client.map(_count, range(partitions), lines=per_task, pure=False)
    total = client.submit(_merge, parts).result()
    return WorkDone(items=per_task * partitions, unit="lines", check=float(sum(total.values())))
