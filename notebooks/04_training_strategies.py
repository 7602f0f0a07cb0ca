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
# # Training strategies: data-, model- and hybrid-parallel
#
# Trains the same two-layer MLP with each strategy, at each model width, on each worker
# count, and records the bytes Dask moved between workers per step beside the analytic
# expectation:
#
# - data-parallel moves `2 (p-1) x parameters` per step (gradients in, weights out);
# - model-parallel moves `2 (p-1) x samples x outputs` (partial outputs in, output
#   gradient out);
# - hybrid does both, over its data groups and model shards.
#
# So wide models favour model-parallel, big batches data-parallel. One study per
# strategy and width (`<prefix>-<strategy>-h<hidden>`), compared below.

# %% tags=["parameters"]
prefix: str = "strategies"  # study names: <prefix>-<strategy>-h<hidden>
strategies: list = ["data", "model"]  # data | model | hybrid
hidden_sizes: list = [64, 2048]  # hidden-layer widths (model sizes) to compare
sizes: list = [10000, 20000]  # samples (the full batch)
workers: list = [1, 2]  # worker counts; hybrid needs multiples of model_shards
features: int = 64  # input features
outputs: int = 8  # model outputs
steps: int = 3  # gradient steps per run
precision: str = "float64"  # float64 | float32 | float16 (bfloat16: GPU frameworks only)
repeats: int = 3  # recorded runs per point
results: str = "../data/results"  # results store

# %%
import pandas as pd

import scaling_lib as sl
from scaling_lib.analysis.ai_workloads import strategy_table
from scaling_lib.notebook import views as nv

nv.enable_plots()  # plot JavaScript inline: the executed notebook and its HTML work offline
studies, summaries = [], []
for hidden in hidden_sizes:
    for strategy in strategies:
        spec = sl.load_spec(
            {
                "study": f"{prefix}-{strategy}-h{hidden}",
                "workload": "train",
                "sizes": sizes,
                "workers": workers,
                "repeats": repeats,
                "baseline": False,
                "params": {
                    "strategy": strategy,
                    "hidden": hidden,
                    "features": features,
                    "outputs": outputs,
                    "steps": steps,
                    "blocks": max(workers),
                    "precision": precision,
                },
            }
        )
        summaries.append(sl.run_study(spec, results=results, progress=False))
        studies.append(spec.study)
nv.run_summary(*summaries)

# %% [markdown]
# ## Measured against analytic bytes per step, and the faster strategy

# %%
df = pd.concat([sl.load_results(results, s) for s in studies], ignore_index=True)
nv.strategy_table(strategy_table(df))

# %%
from scaling_lib.present import ai_plots

ai_plots.strategy_time(df)

# %%
ai_plots.strategy_bytes(df)

# %% [markdown]
# ## What the diagnosis says about each strategy's communication

# %%
nv.strategy_findings({s: sl.load_results(results, s) for s in studies})
