"""The one exception tree of scaling_lib.

::

    ScalingLibError            anything this package raises on purpose
    ├── SpecError              a study spec is malformed (names the field)
    ├── WorkloadError          unknown workload, or one that breaks the protocol
    ├── ClusterError           a cluster cannot be opened or reached
    └── StoreError             the results store cannot be read or written

The CLI turns ``SpecError`` (and any ``ScalingLibError`` caused by bad input) into
exit code 2 with the message on stderr.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "ClusterError",
    "ScalingLibError",
    "SpecError",
    "StoreError",
    "WorkloadError",
]


class ScalingLibError(Exception):
    """Base class of every error scaling_lib raises on purpose."""


class SpecError(ScalingLibError, ValueError):
    """A study spec is malformed.

    ``field`` is the dotted path of the offending field (``"cluster.backend"``,
    ``"sizes[2]"``), and the message starts with it.
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class WorkloadError(ScalingLibError):
    """An unknown workload, or a workload that does not follow the protocol."""


class ClusterError(ScalingLibError):
    """A cluster cannot be started, reached, or does not have the workers asked for."""


class StoreError(ScalingLibError):
    """The results store cannot be read or written."""


class AnalysisError(ScalingLibError, ValueError):
    """The records cannot support the analysis asked for: no successful runs, or too few
    distinct points for a fit. The message says what to measure."""
