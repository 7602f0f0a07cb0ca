"""The package installed as a user installs it: a wheel in a fresh venv, away from the
repository. The catalog and the notebooks must come with it as package data."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv holding the built wheel. Its dependencies are this environment's,
    reached through a .pth line (no download), which does not carry the editable
    install's finder: ``scaling_lib`` can only come from the wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    # A copy, links followed (the notebooks), so no stale build/ of the checkout leaks in.
    shutil.copytree(
        ROOT / "scaling_lib", src / "scaling_lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(tmp / "dist"), str(src)], check=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("scaling_lib-*.whl")

    env_dir = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=120)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "_deps_of_the_test.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    return env_dir


def _run(venv: Path, cwd: Path, *args: str, timeout: int = 600):
    return subprocess.run(
        [str(venv / "bin" / "scaling-lib"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)},
    )


def test_the_wheel_runs_the_quick_study_analyzes_recommends_and_serves(venv, tmp_path):
    python = venv / "bin" / "python"
    where = subprocess.run(
        [
            python,
            "-c",
            "import scaling_lib, scaling_lib.run.batch as b; print(scaling_lib.__file__); "
            "print(*sorted(p.name for p in b.NOTEBOOKS.glob('*.ipynb')))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(str(venv)), where  # the wheel's copy, not the checkout
    assert "01_run_study.ipynb" in where[1].split()

    # The quick study as examples/quick.yaml has it, at two smaller sizes and one repeat
    # so that the test takes seconds; the spec is read from the user's folder.
    spec = yaml.safe_load((ROOT / "examples" / "quick.yaml").read_text())
    spec.update(sizes=[600, 1200], repeats=1, warmup=0)
    (tmp_path / "quick.yaml").write_text(yaml.safe_dump(spec))
    results = str(tmp_path / "results")

    ran = _run(venv, tmp_path, "run", "quick.yaml", "--results", results, "--no-progress")
    assert ran.returncode == 0, ran.stderr
    assert "6 points measured (6 ok)" in ran.stdout  # 4 on Dask, 2 baselines

    analyzed = _run(venv, tmp_path, "analyze", "quick", "--results", results)
    assert analyzed.returncode == 0, analyzed.stderr
    assert "quick" in analyzed.stdout and "s" in analyzed.stdout

    # The instance catalog is package data: recommend reads it from the wheel.
    rec = _run(venv, tmp_path, "recommend", "quick", "--size", "2400", "--results", results)
    assert rec.returncode == 0, rec.stderr
    assert "cannot read" not in rec.stderr

    port = _free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "scaling-lib"), "serve", "--results", results, "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    try:
        deadline, page = time.monotonic() + 90, ""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
                    page = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, server.stderr.read().decode()
        assert "Scaling Workbook" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
