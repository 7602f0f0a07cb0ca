# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Scaling Workbook (.venv)
#     language: python
#     name: scaling-workbook
# ---

# %% [markdown]
# # What if: the measured task graph on more workers
#
# The fitted law T(n, p) of `02_analyze_study` *assumes* how time divides over workers:
# a share that shrinks as 1/p, a share that does not, a cost that grows with p. It is
# fitted to the few worker counts measured, and extrapolating it assumes the same shape
# holds far beyond them.
#
# This notebook checks that assumption another way. Every measured Dask run records its
# task trace: each task's duration and output size, its dependencies and priority, the
# transfers between workers. The simulation **replays that measured graph on N
# workers**, following Dask's scheduler: tasks run in priority order, each is placed
# next to its inputs, transfers share each worker's bandwidth, idle workers steal
# queued tasks, root tasks wait in the scheduler's queue, and an output stays in memory
# until its last dependent has finished. Its constants (per-task overhead, round trips,
# latency, bandwidth) are measured from the same traces.
#
# **What it does not model:** contention between workers on one host for memory
# bandwidth and caches (task durations are replayed as measured), a different CPU than
# the one traced, and sizes beyond those traced (simulating unmeasured sizes is not
# built yet). Where the simulation and the law disagree, the graph's shape is the
# better guide; where the measured runs fall outside the simulated interval, neither
# should be trusted far.

# %% tags=["parameters"]
study: str = "notebook-study"  # the study to simulate (with spec: the spec's study)
results: str = "../data/results"  # results store: a folder or an fsspec URL
spec: str = None  # a YAML spec run first when the study has no task traces; None: don't
workers: list = [1, 2, 4, 8, 16, 32, 64]  # worker counts to simulate
bandwidth_gbit: float = None  # link bandwidth per worker in Gbit/s; None: as measured
stream_workers: int = 16  # worker count whose simulated task stream is drawn

# %%
import scaling_lib as sl
from scaling_lib.notebook import views as nv
from scaling_lib.notebook import what_if_views as wv

nv.enable_plots()  # plot JavaScript inline: the executed notebook and its HTML work offline
store = sl.ResultsStore(results)
traced_first = None
if spec:
    study = sl.load_spec(spec).study
    if not wv.has_traces(store.load(study)):  # none recorded yet, or none traced
        # Cluster lines (dashboard links) are gone once the run ends: keep them out.
        traced_first = sl.run_study(spec, results=results, log=[].append)
sim = sl.what_if_study(
    study,
    results=store,
    workers=workers,
    bandwidth_Bps=bandwidth_gbit * 1e9 / 8 if bandwidth_gbit else None,
)
wv.simulation_overview(sim, traced_first)

# %% [markdown]
# ## One trace
# The run the simulation replays (its first repeat): what its tasks are, how long they
# take, how much they produce, and what moved between workers.

# %%
point_id, repeat = wv.replayed_run(store.load_study(study), sim)
trace = sl.load_trace(study, point_id, repeat, results=store)
wv.trace_views(trace)

# %% [markdown]
# ## The measured constants
# Measured from all of the study's traces, with their spread across runs.

# %%
wv.constants_table(sim.constants)

# %% [markdown]
# ## The simulation
# Each target is replayed from every traced repeat, with the constants at their central
# value and at both ends of their spread: the interval spans all replays. The fitted
# T(n, p) is evaluated at the same targets.

# %%
wv.simulation_table(sim)

# %%
wv.speedup_plot(sim)

# %%
wv.simulation_findings(sim)

# %% [markdown]
# ## The simulated task stream
# What the workers do in one replay, as Dask's dashboard draws it: a row per worker
# thread, a bar per task, coloured by task prefix. Gaps are waiting: for inputs to
# arrive, for the scheduler, or for work.

# %%
wv.task_stream_plot(sim, stream_workers)
