"""Persistence behind a small contract.

Every datetime in and out is timezone-aware UTC. Every method may raise
:class:`~monitor.errors.StoreError`. Writes are idempotent: recording the same items twice
stores them once (unique constraints, insert-or-ignore; never read-then-write checks).
SQLAlchemy stays inside this package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from monitor.types import Article, Match


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the poller needs to fetch a feed."""

    id: int
    url: str
    name: str
    interval_minutes: float | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    consecutive_failures: int
    is_new: bool
    last_new_at: datetime | None = None
    avg_new_gap_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    url: str
    name: str
    title: str
    enabled: bool
    from_config: bool
    interval_minutes: float | None
    next_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    error_since: datetime | None
    consecutive_failures: int
    articles: int


@dataclass(frozen=True, slots=True)
class NewItem:
    """One parsed entry ready to store. ``matches`` holds only the topics it matched,
    each with the story features the clusterer computed."""

    article: Article
    entry_key: str
    url_key: str | None
    matches: Sequence[tuple[Match, Mapping[str, Any]]] = ()
    deliverable: bool = True


@dataclass(frozen=True, slots=True)
class RecordResult:
    new_articles: int = 0
    new_matches: int = 0
    new_stories: int = 0


@dataclass(frozen=True, slots=True)
class PendingRun:
    run_id: str
    digest: str
    sink: str
    story_ids: tuple[int, ...]
    created_at: datetime
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class FetchMeta:
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    title: str | None = None


class StoryIndexLike(Protocol):
    """Decides which stored story a new matching article joins (see ``monitor.stories.index``)."""

    def assign(self, features: Mapping[str, Any]) -> int | None: ...

    def add(self, story_id: int, features: Mapping[str, Any]) -> None: ...


# [(story id, [member feature dicts])] of a topic's recent stories -> an index over them
StoryIndexFactory = Callable[[Sequence[tuple[int, Sequence[Mapping[str, Any]]]]], StoryIndexLike]
# new article count -> (next poll time, publishing rhythm): computed once the count is known
Scheduler = Callable[[int], tuple[datetime, float | None]]
# topic -> [(digest, sink)] that must receive its new stories
Routes = Mapping[str, Sequence[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class StoreStats:
    feeds: int = 0
    articles: int = 0
    stories: int = 0
    pending: int = 0
    failing_feeds: int = 0
    oldest_pending: datetime | None = None         # created_at of the oldest pending delivery
    last_success: datetime | None = None           # the most recent successful poll of any feed
    extra: dict[str, Any] = field(default_factory=dict)


def open_store(url: str) -> Any:
    """Open the SQL store at ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    from monitor.store.sql import SqlStore

    return SqlStore(url)
