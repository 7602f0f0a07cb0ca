"""The study: what to measure, validated once and frozen (stage 1 of the flow).

Usage::

    from scaling_lib.spec import load_spec, DatasetSpec, describe_dataset

    spec = load_spec("examples/quick.yaml")      # a StudySpec, or SpecError naming the field
    info = describe_dataset(DatasetSpec(path="data/events/*.parquet"))

Modules: ``study`` (StudySpec, ClusterSpec, load_spec), ``datasets`` (a user's Parquet or
CSV files as the size axis: described, planned into samples); private field checks and
file readers behind them.
"""

from scaling_lib.spec.datasets import DatasetInfo, DatasetSpec, describe_dataset
from scaling_lib.spec.study import BACKENDS, ClusterSpec, StudySpec, load_spec

__all__ = [
    "BACKENDS",
    "ClusterSpec",
    "DatasetInfo",
    "DatasetSpec",
    "StudySpec",
    "describe_dataset",
    "load_spec",
]
