"""Pure analysis of records: laws, fits, intervals, memory, diagnosis, recommendation.

Usage::

    from scaling_lib.analysis.report import analyze_study
    from scaling_lib.analysis.recommend import recommend
    from scaling_lib.analysis.catalog import load_catalog

Takes DataFrames (records, traces), returns dataclasses and DataFrames; never starts a
cluster nor reads the store. The instance catalog (``catalog_data/``) is package data.
"""
