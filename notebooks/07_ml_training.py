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
# # Distributed training: XGBoost, LightGBM and the NumPy MLP
#
# Three ways to train a model on a Dask cluster, measured the same way:
#
# - **`xgboost`**: gradient-boosted trees through `xgboost.dask` (a `DaskQuantileDMatrix`,
#   `hist` trees). Each worker sketches and bins its rows; the workers sum their
#   histograms every tree level over XGBoost's own sockets.
# - **`lightgbm`**: the same kind of model through `lightgbm.dask` (data-parallel,
#   leaf-wise trees), again with its own sockets between workers.
# - **`train`**: the workbook's NumPy MLP, data-parallel, every gradient summed through
#   Dask tasks: what a hand-written training loop on Dask costs.
#
# Each study also trains the same model in one process without Dask (the baseline:
# `xgboost.train`, `lightgbm.LGBMClassifier`, NumPy), so the table says both how much
# faster Dask is and whether the distributed model is the same model: its final
# training metric (log loss for the trees, MSE for the MLP) beside the baseline's.
# Throughput is rows x rounds (trees) or samples x steps (MLP) per second. Needs the
# `ml` extra: `pip install -e ".[ml]"` (`make test` installs it).

# %% tags=["parameters"]
prefix: str = "ml"  # study names: <prefix>-<workload>
workloads: list = ["xgboost", "lightgbm", "train"]  # which trainings to compare
sizes: list = [50000, 100000]  # training rows (samples for train)
workers: list = [1, 2]  # worker counts; one cluster per count
rounds: int = 10  # boosting rounds (xgboost, lightgbm); gradient steps (train)
max_depth: int = 6  # tree depth (xgboost, lightgbm)
features: int = 16  # input features, the same for all three
repeats: int = 3  # recorded runs per point
scheduler: str = ""  # an existing Dask scheduler's address; "": a LocalCluster per count
results: str = "../data/results"  # results store

# %%
import scaling_lib as sl
from scaling_lib.notebook import ml_views as mv
from scaling_lib.notebook import views as nv

nv.enable_plots()  # plot JavaScript inline: the executed notebook and its HTML work offline
params = {
    "xgboost": {"rounds": rounds, "max_depth": max_depth, "features": features},
    "lightgbm": {"rounds": rounds, "max_depth": max_depth, "features": features},
    "train": {"steps": rounds, "features": features},
}
# Each worker process imports XGBoost and LightGBM (seconds): one existing cluster,
# each point confined to as many of its workers as it asks for, pays that once.
cluster = {"backend": "address", "address": scheduler} if scheduler else {}
summaries = []
for workload in workloads:
    spec = sl.load_spec(
        {
            "study": f"{prefix}-{workload}",
            "workload": workload,
            "sizes": sizes,
            "workers": workers,
            "repeats": repeats,
            "baseline": True,
            # No FLOP counts for trees: measuring the host's limits would place nothing.
            "calibrate": False,
            "params": params[workload],
            "cluster": cluster,
        }
    )
    summaries.append(sl.run_study(spec, results=results, progress=False))
nv.run_summary(*summaries)

# %% [markdown]
# ## Time, throughput and the final metric against one process
#
# "vs baseline" is the baseline's time over the run's (above 1x: Dask is faster).
# "difference" is how far the run's final training metric is from the one-process
# model's, relative.

# %%
frames = {w: sl.load_results(results, f"{prefix}-{w}") for w in workloads}
table = mv.comparison_table(frames)
mv.comparison(table)

# %%
mv.metric_agreement(table)

# %% [markdown]
# ## Throughput vs workers
#
# A line that rises with the workers scales; a flat one spends the extra workers on
# communication (the MLP's gradient sums through Dask, the trees' histogram sums) or
# on per-round synchronisation that small data cannot amortise.

# %%
mv.throughput_plot(table)
