"""The README's "Measure your own pipeline" example, run as written in a fresh folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- readme-example:"


def readme_example() -> str:
    """The bash block right after the README's readme-example marker."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(MARKER) :]
    match = re.search(r"```bash\n(.*?)```", after, re.S)
    assert match is not None, "the README's example block is missing"
    return match.group(1)


# A hang guard past the commands' own 900 s (pytest's default 300 s would cut them short).
@pytest.mark.timeout(1000)
def test_the_readme_example_runs_as_written(tmp_path):
    block = readme_example()
    assert "examples/make_events.py" in block and "scaling-lib run examples/events.yaml" in block
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    # The commands as a user types them, with the project's environment first on PATH.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "wrote 10,000,000 rows in 100 files" in out.stdout
    assert "study 'events': 6 points measured (12 ok)" in out.stdout
    # analyze and recommend both target the full dataset without being told its size.
    assert out.stdout.count("full dataset (10,000,000 rows)") >= 2
    assert "Traceback" not in out.stderr
