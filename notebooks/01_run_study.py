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
#
# With `until_width` set, the sweep is adaptive (`scaling-lib run --until-width`): it
# measures the spec's two smallest sizes on its fewest and most workers, then, one point
# at a time, the one the advisor says narrows the forecast at the target most per second,
# until that forecast's 90% interval (high / low) is at most `until_width`, the `budget`
# is spent, or nothing this machine can measure narrows it.

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
until_width: float = 0.0  # adaptive: stop once the target's interval is this wide; 0: off
budget: str = ""  # adaptive: measuring time allowed, e.g. 15m; empty for no limit
target_size: float = 0.0  # adaptive: size to forecast; 0: a dataset study's full dataset
target_workers: int = 0  # adaptive: workers to forecast on; 0: the most the spec lists

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
# starts (open it to watch the tasks). An adaptive sweep prints each point it takes next
# and ends with why it stopped.

# %%
if until_width:
    from scaling_lib.notebook import adaptive_arguments
    from scaling_lib.notebook import advice_views as av
    from scaling_lib.run.adaptive import run_adaptive

    summary = run_adaptive(
        spec,
        results=results,
        log=print,
        **adaptive_arguments(
            until_width=until_width,
            budget=budget,
            target_size=target_size,
            target_workers=target_workers,
        ),
    )
    shown = av.adaptive_summary(summary)
else:
    summary = sl.run_study(spec, results=results, log=print)
    shown = nv.run_summary(summary)
shown

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
