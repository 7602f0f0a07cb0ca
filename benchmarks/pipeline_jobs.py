"""Four pipelines of different shapes over the clickstream that benchmarks/pipelines.py writes.

Usage (what a study spec names; ``ddf`` is the point's sample of the fact table)::

    workload: benchmarks.pipeline_jobs:filter_aggregate
    params: {min_amount: 5.0}

Each is a plain ``fn(client, ddf, **params)`` as a user writes it: ``ddf`` is treated as
an ordinary dask DataFrame (persisted or lazy), and the results are computed with
``dask.compute``. They return None: the work is the sample's rows.

- ``filter_aggregate``: a filter, then groupby-aggregates (tree reductions).
- ``join_dimensions``: the sample joined with the full users and products tables (read
  here, in full, as a pipeline reads them), then aggregated by their attributes.
- ``sessions``: a shuffle by user (Dask's default method: P2P on a distributed cluster),
  each user's events cut into sessions, summarised.
- ``features``: date parts, string parsing and per-user windows (within a partition),
  reduced to a feature row per user and a table per campaign and section.
"""

from __future__ import annotations

import dask
import numpy as np
import pandas as pd

__all__ = ["PIPELINES", "features", "filter_aggregate", "join_dimensions", "sessions"]


def filter_aggregate(client, ddf, min_amount=5.0, top=50):
    """Purchases and large events: revenue per day, country and device; per product;
    and the ``top`` users by spend."""
    picked = ddf[(ddf.event == "purchase") | (ddf.amount > min_amount)]
    picked = picked.assign(revenue=picked.amount * picked.quantity, day=picked.ts.dt.floor("D"))
    per_segment = picked.groupby(["day", "country", "device"], observed=True).agg(
        revenue=("revenue", "sum"),
        mean_amount=("amount", "mean"),
        max_amount=("amount", "max"),
        items=("quantity", "sum"),
        dwell_ms=("duration_ms", "mean"),
    )
    per_product = picked.groupby("product").agg(
        revenue=("revenue", "sum"), buyers=("user", "count"), mean_amount=("amount", "mean")
    )
    top_users = picked.groupby("user").revenue.sum().nlargest(top)
    dask.compute(per_segment, per_product, top_users)


def join_dimensions(client, ddf, users_path="", products_path=""):
    """The sample joined with every user and every product (both tables read in full),
    then revenue per tier and category, per region and brand, and per account age."""
    import dask.dataframe as dd

    users = dd.read_parquet(users_path)
    products = dd.read_parquet(products_path)
    enriched = ddf.merge(users, on="user", how="left").merge(products, on="product", how="left")
    enriched = enriched.assign(
        revenue=enriched.price * enriched.quantity,
        account_days=(enriched.ts - enriched.signup).dt.days,
        age_band=(enriched.age // 10) * 10,
    )
    by_tier = enriched.groupby(["tier", "category"]).revenue.agg(["sum", "mean", "count"])
    by_region = enriched.groupby(["region", "brand"]).revenue.sum()
    by_age = enriched.groupby(["age_band", "opt_in"]).agg(
        revenue=("revenue", "sum"),
        account_days=("account_days", "mean"),
        discount=("amount", "mean"),
    )
    dask.compute(by_tier, by_region, by_age)


def sessions(client, ddf, gap_minutes=30):
    """Every user's events in one partition (a shuffle), cut into sessions wherever
    ``gap_minutes`` pass without an event; sessions per country and the longest ones."""
    by_user = ddf[["user", "ts", "country", "event", "amount"]].shuffle(on="user")
    meta = _sessionize(by_user._meta, gap_minutes)  # dtypes as the input has them
    cut = by_user.map_partitions(_sessionize, gap_minutes, meta=meta)
    per_country = cut.groupby("country").agg(
        sessions=("events", "count"),
        events=("events", "mean"),
        seconds=("seconds", "mean"),
        spend=("spend", "sum"),
        converted=("purchases", "mean"),
    )
    per_hour = cut.groupby(cut.start.dt.hour).spend.sum()
    longest = cut.nlargest(20, "seconds")
    dask.compute(per_country, per_hour, longest)


def _sessionize(df: pd.DataFrame, gap_minutes: float) -> pd.DataFrame:
    df = df.sort_values(["user", "ts"], kind="stable")
    user = df["user"].to_numpy()
    ts = df["ts"].to_numpy()
    new = np.ones(len(df), dtype=bool)
    if len(df) > 1:
        gap = np.timedelta64(int(gap_minutes * 60), "s")
        new[1:] = (user[1:] != user[:-1]) | (ts[1:] - ts[:-1] > gap)
    purchase = (df["event"] == "purchase").to_numpy()
    grouped = df.assign(
        session=np.cumsum(new),
        spend=np.where(purchase, df["amount"].to_numpy(), 0.0),
        purchase=purchase.astype("int64"),
    ).groupby("session", sort=False)
    out = grouped.agg(
        user=("user", "first"),
        country=("country", "first"),
        start=("ts", "min"),
        end=("ts", "max"),
        events=("ts", "size"),
        spend=("spend", "sum"),
        purchases=("purchase", "sum"),
    )
    out["seconds"] = (out["end"] - out["start"]).dt.total_seconds()
    return out.drop(columns="end").reset_index(drop=True)


def features(client, ddf, window=5):
    """Date parts, the page's section and the referrer's campaign (string parsing), and
    per-user windows within each partition (a running sum, a rolling mean of the last
    ``window`` amounts, time since the previous event, a running count); then one
    feature row per user and the mean spend per campaign, section and weekday."""
    parsed = ddf.assign(
        hour=ddf.ts.dt.hour,
        weekday=ddf.ts.dt.dayofweek,
        weekend=ddf.ts.dt.dayofweek >= 5,
        section=ddf.page.str.split("/").str[1],
        campaign=ddf.referrer.str.extract(r"utm_campaign=([a-z0-9_]+)", expand=False).fillna(
            "(none)"
        ),
        mobile=ddf.device.isin(["ios", "android"]),
        log_amount=np.log1p(ddf.amount),
    )
    meta = _windows(parsed._meta, window)
    windowed = parsed.map_partitions(_windows, window, meta=meta)
    per_user = windowed.groupby("user").agg(
        events=("hour", "count"),
        mean_hour=("hour", "mean"),
        weekend=("weekend", "mean"),
        mobile=("mobile", "mean"),
        rolling_max=("rolling_amount", "max"),
        spend=("running_amount", "max"),
        since_prev=("since_prev_s", "mean"),
        depth=("nth", "max"),
    )
    per_campaign = windowed.groupby(["campaign", "section", "weekday"]).log_amount.mean()
    dask.compute(per_user, per_campaign)


def _windows(df: pd.DataFrame, window: int) -> pd.DataFrame:
    df = df.sort_values(["user", "ts"], kind="stable")
    by_user = df.groupby("user", sort=False)
    nth = by_user.cumcount()
    # A rolling mean over each user's last `window` events from running sums: pandas'
    # groupby().rolling() pays a Python call per user, this stays vectorised.
    running = by_user["log_amount"].cumsum()
    before = running.groupby(df["user"], sort=False).shift(window, fill_value=0.0)
    return df.assign(
        rolling_amount=(running - before) / np.minimum(nth + 1, window),
        running_amount=running,
        since_prev_s=by_user["ts"].diff().dt.total_seconds().fillna(0.0),
        nth=nth,
    )


PIPELINES = {
    "filter_aggregate": filter_aggregate,
    "join_dimensions": join_dimensions,
    "sessions": sessions,
    "features": features,
}
