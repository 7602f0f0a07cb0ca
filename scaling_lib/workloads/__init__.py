"""Workloads: the built-ins (array, dataframe, train) and the registry for your own."""

from scaling_lib.workloads.base import WorkDone, Workload
from scaling_lib.workloads.registry import (
    FunctionWorkload,
    available_workloads,
    get_workload,
    register,
    workload,
)

__all__ = [
    "FunctionWorkload",
    "WorkDone",
    "Workload",
    "available_workloads",
    "get_workload",
    "register",
    "workload",
]
