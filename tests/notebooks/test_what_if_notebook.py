"""06_what_if executed through papermill on a real kernel and cluster, and its views."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
import yaml

from scaling_lib import TaskTrace, load_results
from scaling_lib.notebook import what_if_views as wv
from scaling_lib.run.batch import execute_notebook
from scaling_lib.simulate.constants import Estimate, SimConstants
from tests.specs import TRACED_ARRAY

from .test_notebooks import assert_clean_with_plots, printed, shown

RAW_FLOAT = re.compile(r"\d\.\d{5,}|\de[+-]\d")  # 0.155900, 9.075619e+10: what people can't read
SPEC = TRACED_ARRAY


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """06 given a spec for a study with no traces yet: it measures, then simulates."""
    tmp = tmp_path_factory.mktemp("what-if")
    spec = tmp / "wi.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    results = str(tmp / "results")
    out = tmp / "06.ipynb"
    execute_notebook(
        "06_what_if",
        out,
        {"study": "wi", "results": results, "spec": str(spec), "workers": [1, 2, 4, 8]},
    )
    return results, str(spec), out


def test_06_measures_the_spec_then_shows_trace_constants_simulation_and_stream(executed):
    results, _, out = executed
    df = load_results(results, "wi")
    assert len(df) == 8 and (df["status"] == "ok").all()
    assert df["trace_file"].map(lambda v: isinstance(v, str)).all()
    assert_clean_with_plots(out, plots=2)  # the speedup plot and the task stream
    assert printed(out) == ""  # no text dumps: tables, plots and Markdown only
    markdown = shown(out, "text/markdown")
    for words in ("**Traced first:**", "**Study `wi`**, size 1,000", "What the simulation says"):
        assert words in markdown, words
    assert "Simulated parallel efficiency" in markdown and "Transfers are busiest" in markdown
    assert "Check against the measurements at this size" in markdown
    html = shown(out, "text/html")
    for words in (
        "Tasks per prefix",
        "chunk_sum",
        "Transfers between workers",
        "Measured constants",
        "Simulated on N workers",
        "Speedup vs workers",
        # 16 workers (the default stream_workers) is not among [1, 2, 4, 8]
        "Simulated task stream on 8 workers",
        "16 was not simulated",
    ):
        assert words in html, words


def test_06_on_a_traced_study_does_not_measure_again_and_takes_a_bandwidth(executed, tmp_path):
    results, spec, _ = executed
    out = tmp_path / "06.ipynb"
    execute_notebook(
        "06_what_if",
        out,
        {
            "study": "wi",
            "results": results,
            "spec": spec,
            "workers": [2, 4],
            "bandwidth_gbit": 10.0,
            "stream_workers": 4,
        },
    )
    assert len(load_results(results, "wi")) == 8  # nothing measured again
    assert_clean_with_plots(out, plots=2)
    assert printed(out) == ""
    assert "Traced first" not in shown(out, "text/markdown")
    html = shown(out, "text/html")
    assert "1.16 GiB/s (10 Gbit/s)" in html and "override" in html
    assert "Simulated task stream on 4 workers" in html and "not simulated" not in html


# -- the views, without a kernel -----------------------------------------------------------


def small_trace() -> TaskTrace:
    """Four tasks on two workers; one transfer of a's output to the second worker."""
    tasks = pd.DataFrame(
        [
            ("a-1", "a", "a", [], "w1", 0, 0.0, 10.0, 10.2, 1000, [0]),
            ("a-2", "a", "a", [], "w1", 0, 0.0, 10.2, 10.6, 3000, [1]),
            ("b-1", "b", "b", ["a-1"], "w2", 0, 10.2, 10.3, 10.4, 8, [2]),
            ("b-2", "b", "b", ["a-2"], "w1", 0, 10.6, 10.6, 10.7, 8, [3]),
        ],
        columns=[
            "key", "group", "prefix", "dependencies", "worker", "thread",
            "runnable", "start", "stop", "nbytes", "priority",
        ],
    )  # fmt: skip
    transfers = pd.DataFrame(
        [("w1", "w2", 10.2, 10.3, 1000, ["a-1"])],
        columns=["source", "worker", "start", "stop", "nbytes", "keys"],
    )
    inputs = pd.DataFrame(columns=["key", "group", "prefix", "nbytes", "worker", "priority"])
    meta = {"submitted": 9.9, "workers": {"w1": 1, "w2": 1}, "truncated": False}
    return TaskTrace(tasks=tasks, transfers=transfers, inputs=inputs, meta=meta)


def target(p, seconds, *, fitted=None, disagree=None, share=0.0, one=8.0):
    row = {
        "n_workers": p,
        "threads_per_worker": 1,
        "simulated_s": seconds,
        "simulated_low": seconds * 0.8,
        "simulated_high": seconds * 1.25,
        "speedup": one / seconds,
        "efficiency": one / seconds / p,
        "transfer_share": share,
        "bytes_moved": 2**20 * p,
        "peak_memory_per_worker_bytes": 2**30 / p,
        "stolen": 0,
        "replays": 6,
        "disagree": disagree,
    }
    if fitted is not None:
        row.update(fitted_s=fitted, fitted_low=fitted * 0.9, fitted_high=fitted * 1.1)
    return row


def simulation(targets, measured):
    est = {"value": 1e-3, "low": 5e-4, "high": 2e-3, "n": 10, "source": "measured"}
    return {
        "study": "s",
        "size": 1000.0,
        "source_workers": 2,
        "threads_per_worker": 1,
        "method": "replay of the measured graph",
        "constants": {
            **{name: dict(est) for name in SimConstants.CLUSTER_FIELDS},
            "bandwidth_Bps": {**est, "value": 1.25e9, "low": 1e9, "high": 1.5e9},
            "client_overhead_s": [0.01, 1e-4],
            "prefix_laws": {},
        },
        "measured": {str(p): s for p, s in measured.items()},
        "targets": targets,
    }


def test_prefix_and_transfer_summaries_of_a_trace():
    trace = small_trace()
    prefixes = wv.prefix_summary(trace)
    assert list(prefixes["prefix"]) == ["a", "b"]  # most thread time first
    a = prefixes.iloc[0]
    assert a["tasks"] == 2 and math.isclose(a["median_s"], 0.3) and a["total_nbytes"] == 4000
    assert math.isclose(prefixes["share"].sum(), 1.0) and math.isclose(a["share"], 0.6 / 0.8)
    (moved,) = wv.transfer_summary(trace).to_dict("records")
    assert moved["transfers"] == 1 and moved["links"] == 1 and moved["total_nbytes"] == 1000
    alone = TaskTrace(trace.tasks, trace.transfers.iloc[0:0], trace.inputs, trace.meta)
    assert wv.transfer_summary(alone).iloc[0]["transfers"] == 0
    views = wv.trace_views(trace)
    assert "4 tasks in 2 prefixes on 2 worker(s) x 1 thread(s), 0.8 s" in views.items[0].data
    html = "".join(v.to_html() for v in views.items[1:])
    assert "3.91 KiB" in html and "75%" in html and not RAW_FLOAT.search(html)


def test_which_run_is_replayed():
    records = pd.DataFrame(
        {
            "runner": ["dask"] * 4 + ["baseline"],
            "status": ["ok", "ok", "ok", "failed", "ok"],
            "point_id": ["p1", "p2", "p2", "p3", "p4"],
            "repeat": [0, 1, 0, 0, 0],
            "size": [500, 1000, 1000, 1000, 1000],
            "n_workers": [2, 2, 2, 4, 0],
            "trace_file": ["t1", "t2", "t3", "t4", None],
        }
    )
    assert wv.has_traces(records) and not wv.has_traces(records.iloc[3:])
    assert not wv.has_traces(pd.DataFrame())
    assert wv.replayed_run(records, {"size": 1000.0, "source_workers": 2}) == ("p2", 0)
    with pytest.raises(ValueError, match="no traced run at size 1000 on 4 worker"):
        wv.replayed_run(records, {"size": 1000.0, "source_workers": 4})


def test_speedup_frame_is_against_each_series_own_one_worker_time():
    sim = simulation(
        [target(1, 8.0, fitted=6.0), target(4, 4.0, fitted=2.0)], measured={1: 7.0, 2: 5.0}
    )
    frame = wv.speedup_frame(sim).set_index(["series", "n_workers"])
    assert frame.loc[("simulated", 4), "speedup"] == 2.0
    assert frame.loc[("simulated", 4), "speedup_low"] == 8.0 / 5.0  # against the high time
    assert frame.loc[("fitted T(n, p)", 4), "speedup"] == 3.0
    assert frame.loc[("measured", 2), "speedup"] == 7.0 / 5.0
    # Without a 1-worker measurement or a fitted law at 1, those speedups are unknown.
    sim = simulation([target(4, 4.0, fitted=2.0)], measured={2: 5.0})
    frame = wv.speedup_frame(sim).set_index(["series", "n_workers"])
    assert frame.loc[("simulated", 4), "speedup"] == 2.0
    assert math.isnan(frame.loc[("fitted T(n, p)", 4), "speedup"])
    assert math.isnan(frame.loc[("measured", 2), "speedup"])


def test_findings_are_computed_from_the_rows():
    rows = [
        target(1, 8.0, fitted=8.0, disagree=False),
        target(2, 4.4, fitted=4.0, disagree=False, share=0.1),
        target(4, 3.0, fitted=2.0, disagree=False, share=0.3),
        target(8, 2.9, fitted=1.0, disagree=True, share=0.2),
    ]
    said = wv.findings(simulation(rows, measured={1: 6.0, 2: 4.5}))
    text = "\n".join(said)
    assert "drops under 50% at **8 workers** (34.5%, speedup 2.76x" in text
    assert "Most of the gain is had by **4 workers** (3 s)" in text
    assert "Transfers are busiest at **4 workers**: data is arriving during 30%" in text
    assert "1 GiB on 1 worker, 128 MiB on 8 workers" in text
    assert "1 worker: measured 6 s, simulated 8 s [6.4 s - 10 s] (below the interval)" in text
    assert "2 workers: measured 4.5 s, simulated 4.4 s [3.52 s - 5.5 s] (inside" in text
    assert "**disagree** at 8 workers" in text and "fitted 1 s [0.9 s - 1.1 s]" in text
    assert not RAW_FLOAT.search(text)
    # No fitted law, no transfers, still gaining at the most workers.
    rows = [target(1, 8.0), target(2, 4.0)]
    text = "\n".join(wv.findings(simulation(rows, measured={})))
    assert "stays at or above 50% up to 2 workers" in text
    assert "still falls at 2 workers" in text
    assert "No data moves between workers" in text and "No fitted T(n, p)" in text
    assert "Check against" not in text


def test_constants_table_says_value_spread_samples_and_source():
    cal = SimConstants(
        **{name: Estimate(2e-3, 1e-3, 4e-3, 12) for name in SimConstants.CLUSTER_FIELDS}
    ).with_overrides(bandwidth_Bps=1.25e9)
    frame = wv.constants_frame(cal)
    assert list(frame["constant"]) == list(SimConstants.CLUSTER_FIELDS)
    assert frame.set_index("constant").loc["bandwidth_Bps", "source"] == "override"
    table, note = wv.constants_table(cal).items
    html = table.to_html()
    assert "2 ms" in html and "1 ms - 4 ms" in html and ">12<" in html
    assert "1.16 GiB/s (10 Gbit/s)" in html and not RAW_FLOAT.search(html)
    assert "per task" in note.data


class FakeSimulation:
    """What task_stream_plot reads from a StudyWhatIf: its replays and streams."""

    threads_per_worker = 2
    examples = (1, 2, 8)  # the worker counts replayed

    def task_stream(self, n_workers):
        return pd.DataFrame(
            [("a", w, t, 0.1 * t, 0.1 * t + 0.05) for w in range(n_workers) for t in range(2)]
            + [("b", 0, 0, 0.2, 0.3)],
            columns=["prefix", "worker", "thread", "start", "stop"],
        )


def test_plots_build_and_render():
    import holoviews as hv

    renderer = hv.renderer("bokeh")  # loads the backend, as a notebook's extension does
    stream = wv.task_stream_plot(FakeSimulation(), 16)
    assert "8 workers x 2 thread(s) (16 was not simulated" in stream.opts.get().kwargs["title"]
    assert [el.label for el in stream] == ["a", "b"]  # most task time first
    assert wv.task_stream_plot(FakeSimulation(), 2).opts.get().kwargs["title"].endswith("thread(s)")
    sim = simulation([target(1, 8.0, fitted=6.0), target(4, 4.0)], measured={1: 7.0})
    for plot in (stream, wv.speedup_plot(sim)):
        renderer.get_plot(plot)  # builds the Bokeh models
