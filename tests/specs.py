"""Specs several test modules run: kept in one place so they stay the same study."""

from __future__ import annotations

# A traced array study small enough for a module fixture (about 20 s): 2 sizes x 1-2
# workers x 2 repeats, 4 x 4 blocks of 250 at size 1,000.
TRACED_ARRAY = {
    "study": "wi",
    "workload": "array",
    "params": {"chunks": 250},
    "sizes": [500, 1000],
    "workers": [1, 2],
    "repeats": 2,
    "warmup": 0,
    "baseline": False,
    "calibrate": False,
}
