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
# # Analyse a study
#
# Fits scaling laws to a study's records, names the bottleneck with its evidence,
# recommends infrastructure for a target size, and says which measurement would narrow
# the forecast there most (and takes it, with `measure_next = True`).

# %% tags=["parameters"]
study: str = "notebook-study"  # the study to analyse
results: str = "../data/results"  # results store: a folder or an fsspec URL
target_size: float = 0.0  # size to plan for; 0 means 8x the largest measured
deadline: float = 0.0  # seconds one run may take; 0 for none
budget: float = 0.0  # money one run may cost; 0 for none
pricing: str = "on_demand"  # on_demand | committed
target_workers: int = 0  # workers of the forecast the next measurement narrows; 0: most
until_width: float = 0.0  # measure_next: stop once the interval is this wide; 0: as advised
measure_budget: str = "10m"  # next measurement: measuring time allowed, e.g. 90s; "" none
measure_next: bool = False  # True: measure the advised point now (a cluster starts)
spec_path: str = ""  # the study's spec for measure_next; empty: its copy in the store

# %%
import scaling_lib as sl
from scaling_lib.analysis.report import analyze_study
from scaling_lib.notebook import views as nv
from scaling_lib.present import plots
from scaling_lib.store import HOST_LIMITS_DOCUMENT

nv.enable_plots()  # plot JavaScript inline: the executed notebook and its HTML work offline
store = sl.ResultsStore(results)
df = store.load(study)
assert len(df), f"no records for study {study!r} in {results}"
analysis = analyze_study(df, store.load_json(study, HOST_LIMITS_DOCUMENT))
nv.overview(analysis)

# %% [markdown]
# ## Scaling curves

# %%
plots.strong_scaling(df)

# %%
nv.analysis_tables(analysis)

# %%
plots.data_scaling(df)

# %% [markdown]
# ## The time model
# Fitted laws, and the model T(n, p) that predicts any (size, workers) pair.

# %%
nv.time_model(analysis)

# %% [markdown]
# ## Where the time went

# %%
plots.time_breakdown(df)

# %%
nv.findings(analysis["diagnosis"])

# %% [markdown]
# ## Recommendation

# %%
size = target_size or 8 * float(df["size"].max())
nv.recommendation(
    store,
    study,
    size=size,
    deadline_s=deadline or None,
    budget=budget or None,
    pricing=pricing,
)

# %% [markdown]
# ## Next measurement
# Which measurement this machine can take narrows the forecast at the target above most
# per second of measuring (`scaling-lib advise`): for each candidate, outcomes are drawn
# from the forecast and the time model is refitted on them. Only measurements expected to
# fit `measure_budget` are ranked.

# %%
from scaling_lib.notebook import advice_views as av

workers = target_workers or int(df["n_workers"].max())
advice = av.next_advice(df, size=size, workers=workers, budget=measure_budget)
av.next_measurement(advice, spec=spec_path)

# %% [markdown]
# With `measure_next = True` this cell measures the advised point (one step of an
# adaptive sweep: `scaling-lib run SPEC --until-width W --steps 1`), stores its runs
# with the study's and refits. Re-run the notebook to see the forecast it leaves.

# %%
if measure_next:
    from scaling_lib.notebook import adaptive_arguments
    from scaling_lib.present.advice_command import until_width_for
    from scaling_lib.run.adaptive import run_adaptive

    step = run_adaptive(
        av.study_spec(store, study, spec_path),
        results=results,
        max_steps=1,
        log=print,
        **adaptive_arguments(
            until_width=until_width_for(advice, until_width),
            budget=measure_budget,
            target_size=size,
            target_workers=workers,
            budget_name="measure_budget",
        ),
    )
    shown = av.adaptive_summary(step)
else:
    shown = nv.markdown("_Set `measure_next = True` to measure the advised point now._")
shown
