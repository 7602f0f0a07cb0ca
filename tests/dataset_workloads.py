"""Functions over a dataset sample that the tests name as ``tests.dataset_workloads:<name>``.

They follow the protocol a user's pipeline does: ``fn(client, ddf, **params)``.
"""

from __future__ import annotations


def amount_by_user(client, ddf, min_amount=0.0):
    """A groupby-sum over the sample; None: the work is the sample's rows."""
    kept = ddf[ddf.amount >= min_amount]
    kept.groupby("user").amount.sum().compute()


def amount_total(client, ddf):
    """Says its own work: the rows it summed, and the total as the check."""
    total, rows = client.compute([ddf.amount.sum(), ddf.amount.count()], sync=True)
    return {"items": float(rows), "check": float(total)}
