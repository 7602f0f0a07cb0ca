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
# # Serving under load, and autoscaling
#
# Concurrent clients send batch-scoring requests (a trained MLP) through Dask futures.
# The sweep records latency percentiles and requests/s per worker count; then the same
# kind of requests arrive in a burst, once on a fixed cluster and once on
# `cluster.adapt(minimum, maximum)`: how fast it scales up, what latency the burst
# sees meanwhile, and how many worker-seconds each used.

# %% tags=["parameters"]
study: str = "serving"  # study name: a folder in the results store
sizes: list = [200, 400]  # requests per run
workers: list = [1, 2]  # worker counts
concurrency: int = 8  # requests in flight (closed loop)
rate: float = 0.0  # requests/s for an open loop; 0 for the closed loop
hidden: int = 1024  # model width (service time per request grows with it)
batch: int = 256  # rows per request
repeats: int = 3  # recorded runs per point
autoscale: bool = True  # also run the fixed-vs-adaptive burst experiment
profile: str = "3@10,6@45,3@10"  # burst load: SECONDS@REQUESTS_PER_S phases
minimum: int = 1  # adapt(minimum, ...)
maximum: int = 2  # adapt(..., maximum); the fixed cluster has this many workers
burst_hidden: int = 4096  # model width during the burst (heavier requests)
burst_batch: int = 1024  # rows per request during the burst
results: str = "../data/results"  # results store

# %%
import scaling_lib as sl
from scaling_lib.analysis.ai_workloads import latency_table
from scaling_lib.notebook import views as nv
from scaling_lib.present import ai_plots

nv.enable_plots()  # plot JavaScript inline: the executed notebook and its HTML work offline

spec = sl.load_spec(
    {
        "study": study,
        "workload": "serve",
        "sizes": sizes,
        "workers": workers,
        "repeats": repeats,
        "params": {"concurrency": concurrency, "rate": rate, "hidden": hidden, "batch": batch},
    }
)
summary = sl.run_study(spec, results=results, progress=False)
df = sl.load_results(results, study)
nv.run_summary(summary)

# %%
nv.serving_table(latency_table(df))

# %%
ai_plots.latency(df)

# %% [markdown]
# ## Autoscaling under a burst

# %%
from scaling_lib.run.autoscale import run_autoscale_experiment

doc = None
if autoscale:
    doc = run_autoscale_experiment(
        study,
        results=results,
        params={"hidden": burst_hidden, "batch": burst_batch},
        profile=profile,
        minimum=minimum,
        maximum=maximum,
    )
nv.autoscale(doc)

# %%
ai_plots.autoscale_timeline(doc)
