"""The notebooks, executed through papermill in a real Jupyter kernel on a real LocalCluster."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill
import pytest
import yaml

from scaling_lib import ResultsStore, load_results
from scaling_lib.run.batch import NOTEBOOKS, execute_notebook

NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.py"))
PLOT = "application/vnd.holoviews_exec.v0+json"
LOAD = "application/vnd.holoviews_load.v0+json"
ROOT = Path(__file__).resolve().parents[2]  # the checkout (NOTEBOOKS is package data now)
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def outputs(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def shown(path: Path, mime: str) -> str:
    """Everything the notebook displayed as ``mime`` (text/markdown, text/html), joined."""
    return "\n".join(str(o.get("data", {}).get(mime, "")) for o in outputs(path))


def printed(path: Path) -> str:
    """What the notebook printed to stdout (warnings on stderr are not text dumps)."""
    return "".join(
        o.get("text", "")
        for o in outputs(path)
        if o.output_type == "stream" and o.get("name") == "stdout"
    )


def assert_clean_with_plots(path: Path, plots: int) -> None:
    outs = outputs(path)
    assert not [o for o in outs if o.output_type == "error"]
    assert sum(PLOT in o.get("data", {}) for o in outs) >= plots
    # The plot JavaScript is inline, published once: not fetched from a CDN, not repeated.
    loads = [str(o["data"][LOAD]) for o in outs if LOAD in o.get("data", {})]
    assert sum(len(js) > 1_000_000 for js in loads) == 1
    assert not [js for js in loads if "cdn.bokeh.org" in js]


def test_there_are_the_five_notebooks():
    assert NAMES == [
        "01_run_study",
        "02_analyze_study",
        "03_custom_workload",
        "04_training_strategies",
        "05_serving_load",
        "06_what_if",
        "07_ml_training",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs_and_in_sync_with_its_pair(name):
    ipynb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in ipynb.cells if c.cell_type == "code")
    text = jupytext.read(NOTEBOOKS / f"{name}.py")
    assert [c.source for c in ipynb.cells] == [c.source for c in text.cells], (
        f"{name}.ipynb and {name}.py differ: run `make notebooks`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_is_typed_and_documented(name):
    params = papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    assert params, f"{name} has no parameters cell"
    for pname, info in params.items():
        assert info["inferred_type_name"] not in (None, "None"), pname
        assert len(info["help"]) > 10, f"{name}: parameter {pname} has no help"


def test_help_notebook_explains_the_parameters():
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "papermill"),
            "--help-notebook",
            str(NOTEBOOKS / "01_run_study.ipynb"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "workers: list (default [1, 2])" in out.stdout
    assert "worker counts; one cluster per count" in out.stdout


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """01_run_study executed with tiny parameters: (results folder, executed notebook)."""
    tmp = tmp_path_factory.mktemp("nb")
    results = str(tmp / "results")
    executed = tmp / "01.ipynb"
    execute_notebook(
        "01_run_study",
        executed,
        {
            "study": "nb",
            "workload": "train",
            "sizes": [2000, 4000, 8000],
            "workers": [1, 2],
            "repeats": 2,
            "params": {"features": 8, "steps": 2, "blocks": 4},
            "results": results,
        },
    )
    return results, executed


def test_01_run_study_records_runs_and_shows_plots(measured):
    results, executed = measured
    df = load_results(results, "nb")
    assert (df["status"] == "ok").all() and len(df) == 18  # 12 Dask runs + 6 baseline
    assert_clean_with_plots(executed, plots=2)
    assert "dashboard http://127.0.0.1:" in printed(executed)
    assert "18 ok" in shown(executed, "text/markdown")
    assert "medians over repeats" in shown(executed, "text/html")


def test_02_analyze_study_shows_fits_diagnosis_and_recommendation(measured, tmp_path):
    results, _ = measured
    executed = tmp_path / "02.ipynb"
    execute_notebook(
        "02_analyze_study", executed, {"study": "nb", "results": results, "deadline": 60.0}
    )
    assert_clean_with_plots(executed, plots=3)
    assert printed(executed) == ""  # no text dumps: tables, plots and Markdown only
    markdown = shown(executed, "text/markdown")
    for words in ("Time model", "Bottlenecks", "Evidence:", "Cheapest meeting the deadline"):
        assert words in markdown, words
    assert "Assumptions" in markdown
    tables = shown(executed, "text/html")
    for words in ("Strong scaling", "time (median)", "Options: prediction [interval]"):
        assert words in tables, words
    # The next measurement beside the forecast: the line, the ranked table, the command.
    assert "**Next measurement: " in markdown and "scaling-lib run SPEC --until-width" in markdown
    assert "Measurements this machine can take, best first" in tables
    assert "Set `measure_next = True`" in markdown


@pytest.fixture(scope="module")
def adaptive(tmp_path_factory):
    """01_run_study with ``until_width``: (results folder, executed notebook)."""
    tmp = tmp_path_factory.mktemp("adaptive")
    results = str(tmp / "results")
    executed = tmp / "01.ipynb"
    spec = spec_file(tmp, "adaptive", sizes=[100, 200, 400], workers=[1, 2], baseline=False)
    execute_notebook(
        "01_run_study",
        executed,
        {
            "spec_path": spec,
            "results": results,
            "until_width": 1.5,
            # Spent by the start design: the sweep stops before its first advised point
            # (with whatever reason comes first: reached, out of reach, the budget).
            "budget": "1s",
            "target_size": 400.0,
        },
    )
    return results, executed


def test_01_with_until_width_sweeps_adaptively_and_says_why_it_stopped(adaptive):
    """The start design (the 2 smallest sizes on the fewest and most workers), then
    advised points until the target's interval is ``until_width`` wide or the budget is
    spent: here, spent by the start design."""
    results, executed = adaptive
    assert not [o for o in outputs(executed) if o.output_type == "error"]
    markdown = shown(executed, "text/markdown")
    assert "**Adaptive sweep of `adaptive`:** 0 advised point(s) measured (8 ok)" in markdown
    stopped = re.search(r"- \*\*stopped:\*\* (\w[^\n]+)", markdown)
    assert stopped and stopped.group(1).startswith(("budget: ", "reached: ", "nothing in reach"))
    runs = load_results(results, "adaptive")
    assert set(zip(runs["size"], runs["n_workers"], strict=True)) == {
        (100, 1),
        (200, 1),
        (100, 2),
        (200, 2),
    }


@pytest.mark.long
def test_02_with_measure_next_measures_the_advised_point(adaptive, tmp_path):
    """02's last cell: one step of an adaptive sweep, from the spec kept beside the
    records (about 45 s: the recommendation's what-if and a cluster)."""
    results, _ = adaptive
    before = load_results(results, "adaptive")
    executed = tmp_path / "02.ipynb"
    execute_notebook(
        "02_analyze_study",
        executed,
        {"study": "adaptive", "results": results, "target_size": 400.0, "measure_next": True},
    )
    assert not [o for o in outputs(executed) if o.output_type == "error"]
    markdown = shown(executed, "text/markdown")
    assert "**Next measurement: " in markdown
    stopped = re.search(r"- \*\*stopped:\*\* (\w[^\n]+)", markdown).group(1)
    after = load_results(results, "adaptive")
    if stopped.startswith("1 step(s) taken, as asked"):  # the advised point, measured
        assert "Points measured, in order" in shown(executed, "text/html")
        assert len(after) == len(before) + 2  # its 2 repeats
    else:  # nothing within reach narrows it, or it is as narrow as asked already
        assert stopped.startswith(("reached: ", "nothing in reach")), stopped
        assert len(after) == len(before)


def test_03_custom_workload_tutorial(tmp_path):
    results = str(tmp_path / "results")
    executed = tmp_path / "03.ipynb"
    execute_notebook(
        "03_custom_workload",
        executed,
        {
            "sizes": [20_000, 40_000],
            "workers": [1, 2],
            "repeats": 2,
            "results": results,
        },
    )
    df = load_results(results, "tutorial-histogram")
    assert (df["status"] == "ok").all() and len(df) == 8
    assert (df["check"] == df["size"]).all()  # every number landed in the histogram
    assert_clean_with_plots(executed, plots=1)
    assert "peak memory" in shown(executed, "text/html")  # the records, in human units
    assert "Bottlenecks" in shown(executed, "text/markdown")


def test_04_training_strategies_compares_measured_and_analytic_bytes(tmp_path):
    results = str(tmp_path / "results")
    executed = tmp_path / "04.ipynb"
    execute_notebook(
        "04_training_strategies",
        executed,
        {
            "hidden_sizes": [16, 256],
            "sizes": [2000],
            "workers": [1, 2],
            "steps": 2,
            "features": 8,
            "repeats": 1,
            "results": results,
        },
    )
    assert_clean_with_plots(executed, plots=2)
    for hidden in (16, 256):
        for strategy in ("data", "model"):
            df = load_results(results, f"strategies-{strategy}-h{hidden}")
            two = df[(df["status"] == "ok") & (df["n_workers"] == 2)]
            ratio = two["metric.bytes_per_step"] / two["metric.analytic_bytes_per_step"]
            assert len(two) == 1 and ratio.between(0.5, 2).all()
    assert "`strategies-model-h16`:" in shown(executed, "text/markdown")
    assert "measured / analytic" in shown(executed, "text/html")


def test_05_serving_load_records_latency_and_autoscales(tmp_path):
    results = str(tmp_path / "results")
    executed = tmp_path / "05.ipynb"
    execute_notebook(
        "05_serving_load",
        executed,
        {
            "sizes": [40],
            "workers": [1, 2],
            "hidden": 64,
            "batch": 16,
            "repeats": 1,
            # The burst: 200 requests in one second, each about 27 ms of one core here
            # (burst_hidden 4096 x burst_batch 1024), so one worker is handed about 5 s
            # of work at once: far past adapt's 1 s target duration on a machine up to
            # five times faster than this one, and on any slower or busier one. (Was
            # 4 s at 50/s: 1.36x one worker's capacity, so the queue passed 1 s of work
            # only in the burst's last second here, and never on a 1.4x faster host.)
            "profile": "1@10,1@200,1@10",
            "results": results,
        },
    )
    assert_clean_with_plots(executed, plots=2)
    df = load_results(results, "serving")
    assert (df["status"] == "ok").all() and (df["metric.latency_p99_s"] > 0).all()
    doc = ResultsStore(results).load_json("serving", "autoscale")
    adaptive = doc["adaptive"]
    assert max(n for _, n in adaptive["timeline"]) == 2, (adaptive["timeline"], adaptive["burst"])
    assert "adaptive used" in shown(executed, "text/markdown")
    assert "burst p99" in shown(executed, "text/html")


def spec_file(tmp_path, name, **changes):
    spec = {
        "study": name,
        "workload": "array",
        "params": {"chunks": 50},
        "sizes": [100, 200],
        "workers": [1],
        "repeats": 2,
        "warmup": 0,
        "calibrate": False,
        **changes,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


# A hang guard past the batch command's own 400 s (pytest's default 300 s would cut it
# short): six notebooks and five clusters took 136 s with one core kept busy.
@pytest.mark.timeout(500)
def test_batch_archives_each_specs_notebooks_and_goes_on_past_a_failure(tmp_path, cli, cli_env):
    """Two good specs around a failing one, in one batch: each good spec's notebooks are
    archived without errors; the failure is named with its notebook, cell and error,
    its notebook is archived, and the batch goes on to the next spec."""
    results = str(tmp_path / "results")
    specs = [
        spec_file(tmp_path, "b1"),
        spec_file(
            tmp_path,
            "bad",
            cluster={"backend": "address", "address": "tcp://127.0.0.1:9", "connect_timeout_s": 2},
        ),
        spec_file(tmp_path, "b2", workload="train", params={"features": 4, "steps": 1}),
    ]
    done = subprocess.run(
        [*cli, "batch", *specs, "--results", results],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "bad: FAILED: 01_run_study failed at cell" in done.stdout
    assert "ClusterError: cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.stdout
    for study in ("b1", "b2"):
        assert len(load_results(results, study)) == 8  # 2 sizes x 2 repeats, Dask and baseline
        archived = sorted((Path(results) / study / "notebooks").glob("*.ipynb"))
        assert [p.name.split("-")[0] for p in archived] == ["01_run_study", "02_analyze_study"]
        for path in archived:
            assert not [o for o in outputs(path) if o.output_type == "error"]
    failed = list((Path(results) / "bad" / "notebooks").glob("*.ipynb"))
    assert [p.name.split("-")[0] for p in failed] == ["01_run_study"]  # 02 was not run
    assert any(o.output_type == "error" for o in outputs(failed[0]))


def test_batch_refuses_a_malformed_spec_before_running_anything(tmp_path, cli, cli_env):
    results = tmp_path / "results"
    good = spec_file(tmp_path, "good")
    bad = tmp_path / "broken.yaml"
    bad.write_text("study: x\nworkload: array\nsizes: []\nworkers: [1]\n")
    done = subprocess.run(
        [*cli, "batch", good, str(bad), "--results", str(results)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "sizes: must not be empty" in done.stderr
    assert not results.exists()


def test_02_exported_to_html_shows_its_plots_offline(tmp_path):
    """An executed 02 (as `scaling-lib batch` archives it), exported with nbconvert and
    opened with every network request refused: the plots still draw."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    results = tmp_path / "results"
    shutil.copytree(ROOT / "data" / "example", results, ignore=shutil.ignore_patterns("*.md"))
    executed = tmp_path / "02.ipynb"
    execute_notebook(
        "02_analyze_study",
        executed,
        {"study": "train-blocks8", "results": str(results), "deadline": 60.0},
    )
    assert_clean_with_plots(executed, plots=3)
    # The command a team runs to share it (holoviews' empty display_data outputs make
    # nbconvert warn, harmlessly: a subprocess keeps that out of pytest's warnings).
    subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "nbconvert", "--to", "html", str(executed)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    page_file = tmp_path / "02.html"

    refused = []

    def offline(route):
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", offline)
            page.goto(page_file.as_uri())
            page.locator("canvas").first.wait_for(state="visible", timeout=60_000)
            # Plots that drew something: a canvas with a non-transparent pixel.
            drawn = page.evaluate(
                """() => {
                  const found = [];
                  const walk = (root) => {
                    for (const el of root.querySelectorAll('*')) {
                      if (el.shadowRoot) walk(el.shadowRoot);
                      if (el.tagName !== 'CANVAS' || !el.width || !el.height) continue;
                      const px = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
                      for (let i = 3; i < px.length; i += 4) {
                        if (px[i] > 0) { found.push(el.width); break; }
                      }
                    }
                  };
                  walk(document);
                  return found.length;
                }"""
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "notebook-02-offline.png"), full_page=True)
        finally:
            browser.close()
    assert drawn >= 4  # strong scaling (2 panels), data scaling (2), time breakdown
    # nbconvert's template still asks for require.js and MathJax, Panel for some CSS:
    # refused, and not needed. The plotting JavaScript itself must not be fetched.
    assert not [u for u in refused if "bokeh" in u or "panel.min.js" in u], refused
