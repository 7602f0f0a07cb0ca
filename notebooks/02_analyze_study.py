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
# Fits scaling laws to a study's records, names the bottleneck with its evidence, and
# recommends infrastructure for a target size.

# %% tags=["parameters"]
study: str = "notebook-study"  # the study to analyse
results: str = "../data/results"  # results store: a folder or an fsspec URL
target_size: float = 0.0  # size to plan for; 0 means 8x the largest measured
deadline: float = 0.0  # seconds one run may take; 0 for none
budget: float = 0.0  # money one run may cost; 0 for none
pricing: str = "on_demand"  # on_demand | committed

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
nv.recommendation(
    store,
    study,
    size=target_size or 8 * float(df["size"].max()),
    deadline_s=deadline or None,
    budget=budget or None,
    pricing=pricing,
)
