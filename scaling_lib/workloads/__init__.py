"""Workloads: the built-ins (array, dataframe, train) and the registry for your own."""

from .base import WorkDone, Workload
from .registry import FunctionWorkload, available_workloads, get_workload, register, workload

__all__ = [
    "FunctionWorkload",
    "WorkDone",
    "Workload",
    "available_workloads",
    "get_workload",
    "register",
    "workload",
]
