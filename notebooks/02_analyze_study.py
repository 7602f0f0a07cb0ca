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
import pandas as pd

import scaling_lib as sl
from scaling_lib.analysis.recommend import recommend
from scaling_lib.analysis.report import analyze_study, recommendation_dict
from scaling_lib.catalog import load_catalog
from scaling_lib.dashboard import plots
from scaling_lib.presentation import analysis_text, recommendation_text

store = sl.ResultsStore(results)
df = store.load(study)
assert len(df), f"no records for study {study!r} in {results}"
analysis = analyze_study(df, store.load_json(study, "calibration"))
print(analysis_text(analysis))

# %% [markdown]
# ## Scaling curves

# %%
plots.strong_scaling(df)

# %%
plots.data_scaling(df)

# %% [markdown]
# ## Where the time went

# %%
plots.time_breakdown(df)

# %%
pd.DataFrame(analysis["diagnosis"])[["score", "name", "summary", "fix"]]

# %% [markdown]
# ## Recommendation

# %%
size = target_size or 8 * float(df["size"].max())
try:
    rec = recommend(
        df,
        load_catalog(),
        size=size,
        deadline_s=deadline or None,
        budget=budget or None,
        pricing=pricing,
    )
    print(recommendation_text(recommendation_dict(rec), top=10))
except ValueError as exc:  # too few points to fit a time model yet
    print(f"No recommendation yet: {exc}. Add sizes or worker counts to the study.")
