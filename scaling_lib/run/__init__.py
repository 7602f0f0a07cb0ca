"""Running a study: plan, clusters, the sweep, the measurement protocol, trace capture.

Usage::

    from scaling_lib.run import run_study

    summary = run_study("examples/quick.yaml", results="data/results")

Modules, in the order a sweep uses them: ``plan`` (points to measure minus those stored,
sizes that cannot fit refused), ``clusters`` (one Dask cluster per worker count; ``confine``
for a shared one), ``sweep`` (the loop over points), ``measure`` (the one place that times
anything, the host's limits included), ``failures`` (a point's timeout and what a failure
is called), ``trace_capture`` (the graph as it ran, through a scheduler plugin),
``gpu`` and ``provenance`` (what a record says about where it ran); ``batch`` (specs through
the notebooks with papermill) and ``autoscale`` (the adaptive-cluster experiment).
"""

from scaling_lib.run.sweep import STATUSES, SweepSummary, run_study

__all__ = ["STATUSES", "SweepSummary", "run_study"]
