"""The autoscaling timeline from the scheduler's worker events (pure parts, no cluster)."""

from __future__ import annotations

import pytest

from scaling_lib.run.autoscale import _first_time, _settled_time, worker_integral, worker_timeline

T0 = 1_800_000_000.0  # the scheduler's clock (time.time) when the load starts


def test_timeline_is_one_step_per_event_from_the_count_at_the_load_start():
    events = [
        (T0 - 5, 1, "tcp://a"),  # before the load: part of the starting count
        (T0 + 2.0, 1, "tcp://b"),
        (T0 + 3.5, 1, "tcp://c"),
        (T0 + 9.0, -1, "tcp://c"),
        (T0 + 9.5, -1, "tcp://b"),
        (T0 + 30, 1, "tcp://d"),  # after the run: not in it
    ]
    timeline = worker_timeline(0, events, since=T0, until=T0 + 12)
    assert timeline == [(0.0, 1), (2.0, 2), (3.5, 3), (9.0, 2), (9.5, 1), (12.0, 1)]


def test_events_are_ordered_by_time_and_simultaneous_ones_each_step():
    events = [(T0 + 2, -1, "tcp://b"), (T0 + 1, 1, "tcp://b"), (T0 + 1, 1, "tcp://c")]
    timeline = worker_timeline(1, events, since=T0, until=T0 + 4)
    assert timeline == [(0.0, 1), (1.0, 2), (1.0, 3), (2.0, 2), (4.0, 2)]


def test_no_events_is_a_constant_count_to_the_end():
    assert worker_timeline(2, [], since=T0, until=T0 + 7.5) == [(0.0, 2), (7.5, 2)]


def test_worker_seconds_integrate_the_steps_up_to_the_end_of_the_load():
    timeline = [(0.0, 1), (2.0, 2), (6.0, 1), (10.0, 1)]
    assert worker_integral(timeline, 10.0) == pytest.approx(1 * 2 + 2 * 4 + 1 * 4)
    # The load ended mid-step, before the cluster scaled down.
    assert worker_integral(timeline, 5.0) == pytest.approx(1 * 2 + 2 * 3)
    assert worker_integral([(0.0, 2), (7.5, 2)], 7.5) == pytest.approx(15.0)


def test_first_time_is_zero_when_the_condition_already_holds_at_the_start():
    timeline = [(0.0, 1), (0.5, 2), (6.0, 1), (8.0, 1)]
    assert _first_time(timeline, 1.0, lambda n: n >= 2) == 0.0
    assert _first_time(timeline, 0.2, lambda n: n >= 2) == pytest.approx(0.3)
    assert _first_time(timeline, 0.0, lambda n: n >= 3) is None


def test_back_to_minimum_counts_from_the_last_return_not_a_passing_one():
    # On a slow host the extra worker may arrive after the burst's nominal end (5 s):
    # the cluster is back to the minimum for good only at 12 s.
    timeline = [(0.0, 1), (5.7, 2), (7.0, 1), (8.0, 2), (12.0, 1), (13.0, 1)]
    assert _settled_time(timeline, 5.0, lambda n: n <= 1) == pytest.approx(7.0)
    # Never left the minimum after the burst's end: 0.
    assert _settled_time([(0.0, 2), (3.0, 1), (9.0, 1)], 5.0, lambda n: n <= 1) == 0.0
    # Still above the minimum when the run ended: None.
    assert _settled_time([(0.0, 1), (2.0, 2), (9.0, 2)], 5.0, lambda n: n <= 1) is None
