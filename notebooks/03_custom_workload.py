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
# # Tutorial: measure your own workload
#
# A workload is a function `fn(client, size, **params)` that runs Dask work through
# the client and says how much work it did. Register it with `@workload`, sweep it,
# then read the records and the diagnosis.

# %% tags=["parameters"]
study: str = "tutorial-histogram"  # study name for this tutorial
sizes: list = [200_000, 400_000, 800_000]  # numbers to histogram
workers: list = [1, 2]  # worker counts
repeats: int = 3  # recorded runs per point
results: str = "../data/results"  # results store: a folder or an fsspec URL

# %% [markdown]
# ## 1. Define the workload
# The untimed part (making the data and persisting it on the workers) goes in
# `prepare`; its result reaches the function as `inputs`. The function's keyword
# defaults (`bins`, `partitions`) become its parameters.

# %%
import numpy as np

import scaling_lib as sl
from scaling_lib import WorkDone, workload
from scaling_lib.notebook import views as nv

nv.enable_plots()  # plot JavaScript inline: the executed notebook and its HTML work offline


def make_numbers(client, size, bins=64, partitions=8):
    import dask.array as da

    x = da.random.default_rng(0).standard_normal(int(size), chunks=int(size) // partitions)
    return client.persist(x)


@workload("tutorial-histogram", size_unit="numbers", prepare=make_numbers)
def histogram(client, size, inputs=None, bins=64, partitions=8):
    """Histogram of `size` normal numbers."""
    import dask.array as da

    counts, _ = da.histogram(inputs, bins=bins, range=(-5, 5))
    total = client.compute(counts).result()
    return WorkDone(items=float(size), unit="numbers", check=float(np.sum(total)))


# %% [markdown]
# ## 2. Sweep it

# %%
summary = sl.run_study(
    {
        "study": study,
        "workload": "tutorial-histogram",
        "sizes": sizes,
        "workers": workers,
        "repeats": repeats,
        "baseline": False,
    },
    results=results,
    log=print,
)
nv.run_summary(summary)

# %% [markdown]
# ## 3. Read the records
# One row per run, with its whole configuration, so any subset can be analysed alone.

# %%
df = sl.load_results(results, study)
nv.records_table(df)

# %% [markdown]
# ## 4. The diagnosis

# %%
from scaling_lib.analysis.bottlenecks import diagnose
from scaling_lib.present import plots

nv.findings(diagnose(df))

# %%
plots.strong_scaling(df)
