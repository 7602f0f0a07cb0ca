"""How T(n, p) is chosen: the work model when the workload reports its work (with a doubt
when the data speak against it), and an interval that spans every form the
cross-validation cannot rule out."""

from __future__ import annotations

import numpy as np
import pytest

from scaling_lib.analysis.fit_two import fit_two_parameter
from scaling_lib.analysis.predict import fit_time_model

from .records import make_records

SIZES = (512, 1024, 2048, 4096)


def noisy(law, seed=0, cv=0.03):
    """``law`` with multiplicative noise per run, as repeats on a shared machine show."""
    rng = np.random.default_rng(seed)
    return lambda n, p: law(n, p) * (1 + cv * rng.standard_normal())


def matmul_law(n, p):
    # Fixed cost, flops that divide among workers, and a cost per worker: in units of
    # work this is linear, but over four sizes of which the smallest are mostly fixed
    # cost, searched exponents below 3 fit about as well.
    return 0.15 + 2.2e-11 * 2 * n**3 / p + 0.02 * p


def test_work_model_predicts_a_law_linear_in_work_and_is_rarely_doubted():
    doubted = covered = 0
    target = 32 * SIZES[0]
    for seed in range(20):
        df = make_records(
            sizes=SIZES,
            workers=(1, 2),
            time=noisy(matmul_law, seed=seed),
            work_items=lambda n, p: 2.0 * n**3,
        )
        model = fit_time_model(df, draws=20)
        assert model.model.kind == "work"
        assert model.model.selection.startswith("work")
        doubted += bool(model.model.doubt)  # a 5% test doubts a true model 1 time in 20
        for p in (1, 2):
            pred = model.predict(target, p)
            assert pred.seconds == pytest.approx(matmul_law(target, p), rel=0.1)
            covered += pred.low <= matmul_law(target, p) <= pred.high
    assert doubted <= 3
    assert covered >= 0.75 * 2 * 20  # a 90% interval (with few bootstrap draws)


def test_work_the_data_speak_against_is_doubted_and_the_interval_spans_the_better_form():
    # Work reported per row, but time grows with the square of the rows (all pairs).
    def pairs(n, p):
        return 0.05 + 2e-9 * n**2 / p

    sizes = (1000, 2000, 4000, 8000, 16000)
    df = make_records(sizes=sizes, workers=(1, 2), time=noisy(pairs, cv=0.01))
    model = fit_time_model(df, draws=20)
    assert model.model.kind == "work"
    assert "does not grow like its cost" in model.model.doubt
    pred = model.predict(64000, 2)
    assert any("does not grow like its cost" in w for w in pred.warnings)
    assert pred.low <= pairs(64000, 2) <= pred.high
    searched = [a for a in model.model.alternatives if a.kind not in ("work", "ernest")]
    assert any(
        float(a.predict(64000, 2)[0]) == pytest.approx(pairs(64000, 2), rel=0.1) for a in searched
    )


def test_without_work_the_best_score_wins():
    n = np.repeat([1000.0, 2000, 4000, 8000], 2)
    p = np.tile([1.0, 2], 4)
    t = 0.1 + 1e-4 * n / p
    model = fit_two_parameter(n, p, t)
    assert model.kind != "work"
    assert model.cv_smape == min(model.candidates.values())
    assert "lowest cross-validation score" in model.selection


def test_interval_spans_the_forms_not_ruled_out():
    df = make_records(
        sizes=SIZES, workers=(1, 2), time=noisy(matmul_law, seed=3, cv=0.08),
        work_items=lambda n, p: 2.0 * n**3,
    )  # fmt: skip
    model = fit_time_model(df, draws=20)
    assert model.model.alternatives, "noisy repeats over four sizes leave other forms standing"
    for size in (4096, 32 * 512):
        for pred in model.predict_many(size, [1, 2]):
            for alt in model.model.alternatives:
                other = float(alt.predict(size, pred.n_workers)[0])
                assert pred.low <= other <= pred.high
    for alt in model.model.alternatives:
        assert alt.kind != model.model.kind


def test_a_superlinear_cost_reported_as_linear_work_is_caught_at_four_sizes():
    # All pairs of rows, while the workload reports rows: at 4 sizes the forward-chaining
    # errors of the work model are doubted, and the interval widens to cover the truth.
    def pairs(n, p):
        return 0.2 + 2e-7 * n**2 / p  # at the smallest size, work as large as the fixed cost

    caught = covered = 0
    for seed in range(10):
        df = make_records(sizes=(1000, 2000, 4000, 8000), workers=(1, 2), time=noisy(pairs, seed))
        model = fit_time_model(df, draws=20)
        caught += bool(model.model.doubt)
        pred = model.predict(64_000, 2)
        covered += pred.low <= pairs(64_000, 2) <= pred.high
    assert caught == 10 and covered == 10


def test_four_sizes_say_they_cannot_tell_a_slightly_steeper_cost():
    # n log n reported as n work: at 4 sizes the forward checks cannot see it.
    df = make_records(
        sizes=SIZES,
        workers=(1, 2),
        time=noisy(lambda n, p: 0.2 + 2e-5 * n * np.log2(n) / p, seed=1),
        work_items=lambda n, p: float(n),
    )
    model = fit_time_model(df, draws=10)
    assert model.model.kind == "work" and not model.model.doubt
    assert "4 forward checks are too few to tell" in model.model.selection


def test_the_selection_is_checked_on_points_it_was_not_chosen_on():
    # Searched forms: the size term and the form are chosen on every point, so their
    # score flatters them; re-running the whole selection without each point does not.
    seeds = range(6)
    flattering, nested = [], []
    for seed in seeds:
        df = make_records(sizes=SIZES, workers=(1, 2), time=noisy(matmul_law, seed, cv=0.05))
        model = fit_time_model(df.drop(columns="work_items"), draws=10)
        flattering.append(model.model.cv_smape)
        nested.append(model.nested_error)
    assert np.mean(nested) > np.mean(flattering)

    # The work model selects nothing when work is reported: re-running it without each
    # point is its own leave-one-out, so the two scores agree (a leak would show here).
    df = make_records(sizes=SIZES, workers=(1, 2), time=noisy(matmul_law, 0, cv=0.05),
                      work_items=lambda n, p: 2.0 * n**3)  # fmt: skip
    work = fit_time_model(df, draws=10)
    assert work.model.kind == "work"
    assert work.nested_error == pytest.approx(work.model.cv_smape, rel=1e-9)

    # Four points leave three per fold, too few for a model of (n, p): no figure.
    four = make_records(sizes=SIZES[:2], workers=(1, 2))
    assert fit_time_model(four.drop(columns="work_items"), draws=10).nested_error is None
