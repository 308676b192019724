"""Frozen value types that flow through the pipeline. No behaviour beyond conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

EventKind = Literal[
    "funding", "valuation", "revenue", "loss", "share_sale", "credit", "ipo", "investment", "financials"
]
EventStatus = Literal["talks", "reported", "completed", "projected"]


@dataclass(frozen=True, slots=True)
class Article:
    """One feed entry, cleaned: plain text, no markup, no control characters.

    ``link`` is the URL exactly as the feed published it (made absolute);
    ``published`` is UTC-aware or None when the feed gives no usable date.
    """

    title: str
    summary: str = ""
    link: str | None = None
    published: datetime | None = None
    source: str = ""          # outlet name: Google News <source>, else the feed title
    lang: str | None = None   # ISO 639-1 when known
    entry_id: str | None = None
    feed_url: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision was taken: which rule fired on which words of which field."""

    rule: str      # "entity:openai", "topic:funding", "exclude:other-company", ...
    field: str     # "title" | "summary"
    snippet: str   # the words that fired, with a little context

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "field": self.field, "snippet": self.snippet}


@dataclass(frozen=True, slots=True)
class Event:
    """The money fact a matching article reports. Amounts are plain numbers in ``currency``."""

    kind: str                      # one of EventKind
    amount: float | None = None
    currency: str | None = None    # ISO 4217: USD, EUR, JPY, ...
    valuation: float | None = None
    status: str | None = None      # one of EventStatus
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "amount": self.amount, "currency": self.currency,
                             "valuation": self.valuation, "status": self.status}
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Event | None:
        if not d or not d.get("kind"):
            return None
        core = {"kind", "amount", "currency", "valuation", "status"}
        return cls(kind=str(d["kind"]), amount=d.get("amount"), currency=d.get("currency"),
                   valuation=d.get("valuation"), status=d.get("status"),
                   extra={k: v for k, v in d.items() if k not in core})


@dataclass(frozen=True, slots=True)
class Match:
    """The decision for one article and one topic. ``reasons`` explain it either way."""

    matched: bool
    topic: str
    score: float
    reasons: tuple[Reason, ...] = ()
    event: Event | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.matched, "score": round(self.score, 4), "topic": self.topic,
                "reasons": [r.to_dict() for r in self.reasons],
                "event": self.event.to_dict() if self.event else None}


# ---- digests ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """One article of a story, as a digest shows it. ``url`` is the link as published."""

    title: str
    url: str | None
    source: str
    published: datetime | None
    lang: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url, "source": self.source,
                "published": self.published.isoformat() if self.published else None, "lang": self.lang}


@dataclass(frozen=True, slots=True)
class DigestStory:
    id: int
    title: str
    url: str | None
    topic: str
    event: Event | None
    sources: tuple[Source, ...]
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class Digest:
    """What one digest run sends: ``id`` is the identity receivers see (and dedupe on)."""

    id: str
    name: str
    created_at: datetime
    stories: tuple[DigestStory, ...]
    notes: tuple[str, ...] = ()     # source-health footer: failing or unusually silent feeds
    # "more coverage": stories these sinks received before, each with only the sources that joined since
    coverage: tuple[DigestStory, ...] = ()
    # stories (and "more coverage" stories) of this run not listed: a digest for people lists at
    # most ``digests[].max_stories`` (monitor.digest.cap); they count as delivered with the run
    omitted: int = 0
    omitted_coverage: int = 0

    @property
    def total(self) -> int:
        """The stories this run delivers, listed or not."""
        return len(self.stories) + self.omitted


# ---- run reports ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    url: str
    new_articles: int = 0
    new_matches: int = 0
    new_stories: int = 0
    not_modified: bool = False
    error: Exception | None = None


@dataclass(frozen=True, slots=True)
class RunReport:
    started: datetime
    finished: datetime
    feeds: tuple[FeedOutcome, ...]

    @property
    def failed(self) -> tuple[FeedOutcome, ...]:
        return tuple(f for f in self.feeds if f.error is not None)

    def summary(self) -> str:
        n = len(self.feeds)
        new = sum(f.new_articles for f in self.feeds)
        matches = sum(f.new_matches for f in self.feeds)
        stories = sum(f.new_stories for f in self.feeds)
        nm = sum(1 for f in self.feeds if f.not_modified)
        secs = (self.finished - self.started).total_seconds()
        return (f"polled {n} feeds in {secs:.1f}s: {new} new articles, {matches} matches, "
                f"{stories} new stories, {nm} not modified, {len(self.failed)} failed")


@dataclass(frozen=True, slots=True)
class SinkOutcome:
    sink: str
    run_id: str | None = None
    stories: int = 0
    messages: int = 0
    skipped: str | None = None       # why nothing was sent (nothing pending, sink unavailable)
    error: Exception | None = None
