"""`recommend` on a real matrix-product study ranks no option whose per-worker peak
could pass Dask's spill threshold: the peak is modelled against the input each worker
holds (n^2 / p for two n x n matrices), not against the size per worker."""

from __future__ import annotations

from scaling_lib import load_results, run_study
from scaling_lib.analysis.recommend import SPILL_THRESHOLD, Catalog, Instance, recommend

TARGET = 16384  # two 16384 x 16384 float64 matrices: 4.3 GB of input

CATALOG = Catalog(
    instances=(
        # 16 workers of 0.5 GiB: each holds 268 MB of input, and a worker process alone
        # takes more than the 0.35 GiB under the spill threshold. Modelled on size per
        # worker (16384 / 16 = 1024, a measured size), it would look feasible.
        Instance("many-small", vcpus=16, memory_gib=8, on_demand_hour=0.5, committed_hour=0.3),
        Instance("few-large", vcpus=4, memory_gib=64, on_demand_hour=0.8, committed_hour=0.5),
    ),
    source="test",
    retrieved="2026-12-02",
)


def test_recommend_refuses_options_whose_peak_could_pass_the_spill_threshold(results_dir):
    run_study(
        {
            "study": "matmul",
            "workload": "array",
            "sizes": [512, 1024, 2048],
            "workers": [1, 2],
            "repeats": 2,
            "warmup": 0,
            "baseline": False,
            "calibrate": False,
            "trace": False,
            "memory_limit": "2GiB",
        },
        results=results_dir,
        progress=False,
    )
    df = load_results(results_dir, "matmul")
    assert df["input_bytes"].tolist() == [2 * n * n * 8 for n in df["size"]]
    # what a job pays besides its run, measured on every record
    assert (df["cluster_start_s"] > 0).all() and (df["prepare_s"] > 0).all()
    assert df.groupby("n_workers")["cluster_start_s"].nunique().eq(1).all()  # per cluster

    # One instance each: 16 workers of 0.5 GiB are modelled at about 0.5 GiB each, far
    # past 0.35 GiB (two instances, 32 workers, would sit near it: a coin toss).
    rec = recommend(df, CATALOG, size=TARGET, counts=(1,), draws=20)
    assert any("x input bytes" in a for a in rec.assumptions)  # the workload's accounting
    for option in rec.options:
        limit = SPILL_THRESHOLD * option.memory_per_worker_gib
        assert option.feasible == (option.predicted_peak_high_gib < limit), option
        # 16 workers hold a sixteenth of the input each: at least that is modelled
        held = 2 * TARGET**2 * 8 / option.workers / 2**30
        assert option.predicted_peak_gib >= held
    (small,) = [o for o in rec.options if o.instance == "many-small"]
    (large,) = [o for o in rec.options if o.instance == "few-large"]
    assert not small.feasible and large.feasible
    assert rec.options == (large, small)  # the option that fits is ranked first
    assert large.overhead_s > 0 and any("start-up and preparation" in a for a in rec.assumptions)
