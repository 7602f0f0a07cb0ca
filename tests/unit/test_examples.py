"""Every example spec in examples/ is valid as shipped."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scaling_lib import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("**/*.yaml")), ids=lambda p: p.name)
def test_example_spec_is_valid(path, monkeypatch):
    monkeypatch.setattr(sys, "path", [str(EXAMPLES), *sys.path])
    spec = load_spec(path)
    assert spec.study and spec.sizes and spec.workers
