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
# # Run a scaling study
#
# Measures a workload across data sizes and worker counts on a real Dask cluster and
# appends one record per run to the results store. Points already recorded are
# skipped, so re-running this notebook after a crash continues where it stopped.
#
# Set the parameters below (or pass them with papermill / `scaling-lib batch`).

# %% tags=["parameters"]
study: str = "notebook-study"  # study name: a folder in the results store
workload: str = "array"  # array | dataframe | train | module:function
sizes: list = [500, 1000, 2000]  # sizes, in the workload's unit
workers: list = [1, 2]  # worker counts; one cluster per count
repeats: int = 3  # recorded runs per point (after one warm-up)
params: dict = {}  # workload parameters, e.g. {"chunks": 250}
backend: str = "local"  # cluster: local | cuda | address | class
scheduler_address: str = ""  # an existing scheduler, e.g. tcp://10.0.0.5:8786
results: str = "../data/results"  # results store: a folder or an fsspec URL
spec_path: str = ""  # a YAML spec to run instead of the parameters above

# %%
import scaling_lib as sl
from scaling_lib.notebook import spec_from_parameters
from scaling_lib.notebook import views as nv

nv.enable_plots()  # plot JavaScript inline: the executed notebook and its HTML work offline

if spec_path:
    spec = sl.load_spec(spec_path)
else:
    spec = spec_from_parameters(
        study=study,
        workload=workload,
        sizes=sizes,
        workers=workers,
        repeats=repeats,
        params=params,
        backend=backend,
        scheduler_address=scheduler_address,
    )
spec

# %% [markdown]
# ## Measure
# The progress bar counts points; each cluster prints its Dask dashboard link when it
# starts (open it to watch the tasks).

# %%
summary = sl.run_study(spec, results=results, log=print)
nv.run_summary(summary)

# %% [markdown]
# ## Quick look

# %%
df = sl.load_results(results, spec.study)
nv.summary_table(results, spec.study)

# %%
from scaling_lib.present import plots

plots.strong_scaling(df)

# %%
plots.data_scaling(df)
