"""Scheduling maths: pure functions of data, with ``now`` passed in.

Cron schedules are five-field crontab strings evaluated in an IANA time zone
(APScheduler's ``CronTrigger`` does the calendar work; nothing here reads a clock).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger


def cron_trigger(schedule: str, timezone: str = "UTC") -> CronTrigger:
    """A ``CronTrigger`` for a five-field crontab string. Raises ValueError when invalid.

    APScheduler is imported here, on first use, not with the module: the poll path uses this
    module's interval maths only, and a poll-only process is ~2.6 MiB smaller without it."""
    from apscheduler.triggers.cron import CronTrigger

    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"expected five cron fields (minute hour day month weekday), got {schedule!r}")
    try:
        return CronTrigger.from_crontab(schedule, timezone=ZoneInfo(timezone))
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"invalid cron schedule {schedule!r}: {e}") from None


def validate_cron(schedule: str) -> None:
    cron_trigger(schedule)


def next_fire(schedule: str, timezone: str, after: datetime) -> datetime | None:
    """First scheduled time strictly after ``after`` (UTC-aware)."""
    trig = cron_trigger(schedule, timezone)
    nxt = trig.get_next_fire_time(None, after + timedelta(microseconds=1))
    return None if nxt is None else nxt.astimezone(after.tzinfo)


def last_missed_fire(schedule: str, timezone: str, now: datetime, grace: timedelta) -> datetime | None:
    """The latest scheduled time in ``(now - grace, now]``, or None.

    Used at start-up: a digest whose time passed while the daemon was down is sent when
    it starts, if it is not older than ``grace``.
    """
    found: datetime | None = None
    t = now - grace
    for _ in range(10_000):  # bounded: a minutely schedule over a week of grace
        nxt = next_fire(schedule, timezone, t)
        if nxt is None or nxt > now:
            break
        found, t = nxt, nxt
    return found


def backoff_delay(failures: int, base: timedelta, cap: timedelta, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter in the upper half: base·2^(n-1), capped."""
    if failures <= 0:
        return timedelta(0)
    raw = min(cap.total_seconds(), base.total_seconds() * (2 ** min(failures - 1, 30)))
    return timedelta(seconds=rng.uniform(raw / 2, raw))


# ---- per-feed polling schedule ------------------------------------------------------------------


def cache_hint_seconds(headers: dict[str, str], *, now: datetime | None = None) -> float | None:
    """How long the server says its answer stays fresh: ``Cache-Control: max-age`` (or
    ``s-maxage``), else ``Expires`` minus ``Date`` (or ``now``). None when it says nothing."""
    import email.utils
    import re

    cc = headers.get("cache-control", "")
    m = re.search(r"(?:s-maxage|max-age)\s*=\s*\"?(\d+)", cc, re.I)
    if m:
        return float(m.group(1))
    expires = headers.get("expires")
    if not expires:
        return None
    try:
        exp = email.utils.parsedate_to_datetime(expires)
        ref = email.utils.parsedate_to_datetime(headers["date"]) if "date" in headers else now
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if ref is None or exp.tzinfo is None or ref.tzinfo is None:
        return None
    return max(0.0, (exp - ref).total_seconds())


def update_rhythm(avg_gap: float | None, last_new_at: datetime | None, now: datetime, *,
                  weight: float = 0.3) -> float | None:
    """Exponentially weighted mean of the gap (seconds) between polls that found new articles."""
    if last_new_at is None:
        return avg_gap
    gap = max(0.0, (now - last_new_at).total_seconds())
    return gap if avg_gap is None else (1 - weight) * avg_gap + weight * gap


def poll_interval(base: timedelta, *, low: timedelta, high: timedelta, adaptive: bool = True,
                  avg_new_gap: float | None = None, cache_seconds: float | None = None,
                  ttl_minutes: float | None = None) -> timedelta:
    """The interval until a successful feed's next poll.

    Starts from the feed's configured ``base``; when ``adaptive``, follows half the feed's
    observed publishing gap; the server's freshness hints (Cache-Control/Expires, RSS ``<ttl>``)
    can only lengthen it. The result stays within ``[low, high]`` (``low`` never exceeds ``base``:
    a feed configured faster than the floor keeps its own pace).
    """
    floor, ceiling = _interval_bounds(base, low, high, cache_seconds, ttl_minutes)
    interval = base
    if adaptive and avg_new_gap is not None:
        interval = timedelta(seconds=avg_new_gap / 2)
    return min(max(interval, floor), ceiling)


def poll_window(base: timedelta, *, low: timedelta, high: timedelta, adaptive: bool = True,
                avg_new_gap: float | None = None, cache_seconds: float | None = None,
                ttl_minutes: float | None = None, jitter: float = 0.1) -> tuple[timedelta, timedelta]:
    """The earliest and the latest interval until a successful feed's next poll: the
    :func:`poll_interval` spread by ±``jitter`` (a fraction of it), cut to the same bounds, so
    that the jitter never polls before a freshness hint or outside ``[low, high]``. Drawing
    uniformly between the two keeps the spread even at a bound (no pile-up on the bound itself).
    A hint that reaches the ceiling cannot be honoured: the interval is the ceiling, less jitter."""
    floor, ceiling = _interval_bounds(base, low, high, cache_seconds, ttl_minutes)
    every = poll_interval(base, low=low, high=high, adaptive=adaptive, avg_new_gap=avg_new_gap,
                          cache_seconds=cache_seconds, ttl_minutes=ttl_minutes)
    earliest = every * (1 - jitter)
    if floor < ceiling:
        earliest = max(earliest, floor)
    return earliest, min(every * (1 + jitter), ceiling)


def _interval_bounds(base: timedelta, low: timedelta, high: timedelta, cache_seconds: float | None,
                     ttl_minutes: float | None) -> tuple[timedelta, timedelta]:
    """``[low, high]`` widened to hold ``base``, the floor raised to the freshness hints (up to
    the ceiling)."""
    floor, ceiling = min(low, base), max(high, base)
    for hint in (cache_seconds, ttl_minutes * 60 if ttl_minutes else None):
        if hint:
            floor = max(floor, min(timedelta(seconds=hint), ceiling))
    return floor, ceiling
