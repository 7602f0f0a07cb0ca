"""The store: tidy, append-only records of measured runs and their task traces.

Usage::

    from scaling_lib.store import ResultsStore, load_results, load_trace

    df = load_results("data/results", study="quick")   # one row per measured run
    trace = load_trace("quick", df.point_id[0], 0)      # that run's tasks and transfers

Modules: ``records`` (the JSON records, one file per run, written atomically, on disk or
any fsspec URL) and ``traces`` (Parquet beside them). Depends on nothing else in the
package but its errors.
"""

from scaling_lib.store.records import (
    DEFAULT_RESULTS,
    HOST_LIMITS_DOCUMENT,
    SCHEMA_VERSION,
    CorruptRecordWarning,
    ResultsStore,
    check_study_name,
    load_results,
    records_to_frame,
)
from scaling_lib.store.traces import (
    CorruptTraceWarning,
    TaskTrace,
    TraceError,
    load_trace,
    load_traces,
)

__all__ = [
    "DEFAULT_RESULTS",
    "HOST_LIMITS_DOCUMENT",
    "SCHEMA_VERSION",
    "CorruptRecordWarning",
    "CorruptTraceWarning",
    "ResultsStore",
    "TaskTrace",
    "TraceError",
    "check_study_name",
    "load_results",
    "load_trace",
    "load_traces",
    "records_to_frame",
]
