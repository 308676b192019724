from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.due import backoff_delay, last_missed_fire, next_fire, poll_window, validate_cron


def test_next_fire_in_paris_across_dst():
    # 08:00 Paris is 07:00 UTC in winter and 06:00 UTC in summer
    assert next_fire("0 8 * * *", "Europe/Paris", datetime(2025, 1, 10, 12, tzinfo=UTC)) == \
        datetime(2025, 1, 11, 7, tzinfo=UTC)
    assert next_fire("0 8 * * *", "Europe/Paris", datetime(2025, 7, 10, 12, tzinfo=UTC)) == \
        datetime(2025, 7, 11, 6, tzinfo=UTC)
    # the spring-forward night: 02:30 does not exist in Paris on 2025-03-30; it fires once
    fires, t = [], datetime(2025, 3, 29, 0, tzinfo=UTC)
    while t < datetime(2025, 4, 1, tzinfo=UTC):
        t = next_fire("30 2 * * *", "Europe/Paris", t)
        fires.append(t)
    assert len([f for f in fires if f < datetime(2025, 4, 1, tzinfo=UTC)]) == 3


def test_last_missed_fire_within_grace():
    now = datetime(2025, 1, 10, 7, 40, tzinfo=UTC)  # 08:40 Paris
    assert last_missed_fire("0 8 * * *", "Europe/Paris", now, timedelta(hours=1)) == \
        datetime(2025, 1, 10, 7, tzinfo=UTC)
    assert last_missed_fire("0 8 * * *", "Europe/Paris", now, timedelta(minutes=30)) is None


@pytest.mark.parametrize("bad", ["61 * * * *", "* * *", "0 25 * * *", "a b c d e"])
def test_invalid_cron(bad):
    with pytest.raises(ValueError):
        validate_cron(bad)


def test_jitter_and_backoff_are_bounded():
    rng = random.Random(1)
    cap = timedelta(hours=6)
    delays = [backoff_delay(n, timedelta(minutes=1), cap, rng) for n in range(1, 40)]
    assert all(d <= cap for d in delays)
    assert delays[0] <= timedelta(minutes=1) and delays[-1] >= cap / 2


def test_poll_interval_follows_rhythm_within_bounds():
    from monitor.due import poll_interval

    base, low, high = timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=2)
    assert poll_interval(base, low=low, high=high) == base
    assert poll_interval(base, low=low, high=high, avg_new_gap=4 * 3600) == high
    assert poll_interval(base, low=low, high=high, avg_new_gap=60) == low
    assert poll_interval(base, low=low, high=high, adaptive=False, avg_new_gap=60) == base
    # freshness hints only lengthen, and only up to the ceiling
    assert poll_interval(base, low=low, high=high, cache_seconds=3600) == timedelta(hours=1)
    assert poll_interval(base, low=low, high=high, ttl_minutes=60 * 24) == high
    assert poll_interval(timedelta(minutes=1), low=low, high=high) == timedelta(minutes=1)


def test_poll_window_spreads_by_a_tenth_within_the_bounds_and_the_hints():
    base, low, high = timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=2)
    m = timedelta(minutes=1)
    assert poll_window(base, low=low, high=high) == (13.5 * m, 16.5 * m)
    # at a bound the spread is cut, not moved: never below the floor or above the ceiling
    assert poll_window(base, low=low, high=high, avg_new_gap=60) == (low, 5.5 * m)
    assert poll_window(base, low=low, high=high, avg_new_gap=4 * 3600) == (108 * m, high)
    # never before the server's freshness hint; a hint past the ceiling cannot be honoured
    assert poll_window(base, low=low, high=high, cache_seconds=3600) == (60 * m, 66 * m)
    assert poll_window(base, low=low, high=high, ttl_minutes=60 * 24) == (108 * m, high)
    assert poll_window(base, low=low, high=high, avg_new_gap=3 * 3600, cache_seconds=3600) == (81 * m, 99 * m)
    # a feed configured faster than the floor keeps its own pace, and its own pace is its floor
    assert poll_window(m, low=low, high=high) == (m, 1.1 * m)


def test_cache_hints_and_rhythm():
    from monitor.due import cache_hint_seconds, update_rhythm

    assert cache_hint_seconds({"cache-control": "public, max-age=600"}) == 600
    assert cache_hint_seconds({"expires": "Wed, 01 Jan 2025 12:10:00 GMT",
                               "date": "Wed, 01 Jan 2025 12:00:00 GMT"}) == 600
    assert cache_hint_seconds({"expires": "0"}) is None
    assert cache_hint_seconds({}) is None
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert update_rhythm(None, None, now) is None
    assert update_rhythm(None, now - timedelta(hours=1), now) == 3600
    assert update_rhythm(3600, now - timedelta(hours=2), now) == pytest.approx(0.7 * 3600 + 0.3 * 7200)
