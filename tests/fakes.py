"""Hand-written fakes (no mocks): a clock that only moves when told to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FixedClock:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2025, 6, 11, 6, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **kw: float) -> datetime:
        self._now += timedelta(**kw)
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now
