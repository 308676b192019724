"""Scheduling maths: pure functions of data, with ``now`` passed in.

Cron schedules are five-field crontab strings evaluated in an IANA time zone
(APScheduler's ``CronTrigger`` does the calendar work; nothing here reads a clock).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger


def cron_trigger(schedule: str, timezone: str = "UTC") -> CronTrigger:
    """A ``CronTrigger`` for a five-field crontab string. Raises ValueError when invalid."""
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


def next_poll_after(now: datetime, every: timedelta, jitter: float, rng: random.Random) -> datetime:
    """When to poll a feed next: ``now + every`` spread by ±``jitter`` (a fraction of ``every``)."""
    spread = every.total_seconds() * jitter
    return now + every + timedelta(seconds=rng.uniform(-spread, spread))


def backoff_delay(failures: int, base: timedelta, cap: timedelta, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter in the upper half: base·2^(n-1), capped."""
    if failures <= 0:
        return timedelta(0)
    raw = min(cap.total_seconds(), base.total_seconds() * (2 ** min(failures - 1, 30)))
    return timedelta(seconds=rng.uniform(raw / 2, raw))
