"""The README's own pipeline: spend per segment and the top spenders, from the events.

Run it with examples/events.yaml (``workload: events_pipeline:features``; the CLI finds
this module because it sits beside the spec) over samples of the dataset that
examples/make_events.py writes. ``ddf`` is the point's sample, read as production
reads it (``dask.dataframe.read_parquet``), lazily: reading is part of the timed job.
"""

import dask


def features(client, ddf, min_amount=1.0, top=20):
    """Purchases above ``min_amount``: spend per country and device, and the ``top``
    users by spend (a groupby over 100,000 users, tree-reduced), computed together."""
    buys = ddf[ddf.amount > min_amount]
    per_segment = buys.groupby(["country", "device"], observed=True).amount.agg(
        ["sum", "mean", "count"]
    )
    top_users = buys.groupby("user").amount.sum().nlargest(top)
    dask.compute(per_segment, top_users)
    return None  # the work is the sample's rows
