"""The production path of story assignment: :class:`monitor.stories.index.StoryIndex` on its own,
and through the SQL store with real matches and features (late sources, the candidate window).

The articles below are written for these tests; they are not taken from the evaluation set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.match import preset
from monitor.parse import ParsedFeed
from monitor.pipeline import STORY_WINDOW
from monitor.store import FetchMeta
from monitor.store.sql import SqlStore
from monitor.stories import story_features
from monitor.stories.index import StoryIndex
from monitor.types import Article
from monitor.worker import build_items

OPENAI = preset("openai-funding-revenue")
NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
ROUTES = {"openai-funding-revenue": [("daily", "hook")]}


def art(title: str, summary: str = "", *, when: datetime | None = NOW - timedelta(hours=1), lang: str = "en",
        link: str, source: str = "Wire") -> Article:
    return Article(title=title, summary=summary, link=link, published=when, source=source, lang=lang)


ROUND_EN = art("OpenAI closes $8.2 billion round at a $210 billion valuation",
               "Thrive leads the new equity round, the company said on Tuesday.", link="https://wire.example/1")
ROUND_FR = art("OpenAI lève 8,2 milliards de dollars et vaut désormais 210 milliards",
               "Le fonds Thrive mène ce nouveau tour de table.", link="https://lemonde.example/2", lang="fr",
               source="Le Monde")
ROUND_COPY = art("OpenAI closes $8.2 billion round at a $210 billion valuation",
                 "Thrive leads the new equity round, the company said on Tuesday.",
                 link="https://finance.yahoo.example/3", source="Yahoo Finance")
TALKS = art("OpenAI in talks to raise money at a $300 billion valuation",
            "The company is in early discussions with investors, people familiar said.",
            link="https://wire.example/4")
REVENUE = art("OpenAI annualized revenue reaches $15 billion", "Sales of ChatGPT subscriptions grew.",
              link="https://wire.example/5")


def features(a: Article) -> dict:
    [item] = build_items(ParsedFeed(title="", lang=None, articles=(a,)), [OPENAI], NOW, timedelta(days=30))
    [(match, feats)] = item.matches
    return dict(feats)


# ---- StoryIndex on its own -------------------------------------------------------------------------

def test_index_joins_the_right_story_or_none() -> None:
    index = StoryIndex([(7, [features(TALKS)]), (9, [features(ROUND_EN)]), (12, [features(REVENUE)])])
    assert len(index) == 3
    assert index.assign(features(ROUND_FR)) == 9
    assert index.assign(features(ROUND_COPY)) == 9
    assert index.assign(features(art("OpenAI annualized revenue reaches $20 billion", link="https://x.example/6"))) is None
    assert StoryIndex().assign(features(ROUND_FR)) is None


def test_index_candidates_are_the_stories_sharing_a_key() -> None:
    index = StoryIndex([(9, [features(ROUND_EN)]), (12, [features(REVENUE)])])
    assert index.candidates(story_features(ROUND_FR, None)) == [9]   # the figures' buckets
    unrelated = art("A new phone is out", link="https://x.example/7")
    assert index.candidates(story_features(unrelated, None)) == []


def test_index_add_makes_a_newcomer_findable() -> None:
    index = StoryIndex()
    index.add(3, features(ROUND_EN))
    index.add(3, features(ROUND_FR))
    assert index.assign(features(ROUND_COPY)) == 3


def test_index_refuses_a_story_with_a_conflicting_member() -> None:
    # ROUND_FR matches the round but the story also holds the talks: a hard difference
    index = StoryIndex([(3, [features(ROUND_EN), features(TALKS)])])
    assert index.assign(features(ROUND_FR)) is None


def test_index_judges_a_large_story_by_its_first_and_latest_members() -> None:
    # a story of hundreds of copies: the newcomer is compared with a bounded sample
    copies = [features(art(ROUND_EN.title, ROUND_EN.summary, link=f"https://copy.example/{i}")) for i in range(300)]
    index = StoryIndex([(5, copies)])
    assert len(index._sample(5)) < 20
    assert index.assign(features(ROUND_FR)) == 5


# ---- through the store: late sources ----------------------------------------------------------------

@pytest.fixture
def store(db_url):
    s = SqlStore(db_url)
    s.migrate()
    yield s
    s.close()


def _poll(store: SqlStore, feed_url: str, articles: list[Article], now: datetime):
    store.add_feed(feed_url, "", now)
    fid = next(f.id for f in store.list_feeds() if f.url == feed_url)
    items = build_items(ParsedFeed(title="", lang=None, articles=tuple(articles)), [OPENAI], now, timedelta(days=30))
    return store.record_items(fid, FetchMeta(), items, now, now + timedelta(hours=1), stories=StoryIndex,
                              routes=ROUTES, story_window=STORY_WINDOW)


def _send(store: SqlStore, now: datetime) -> list[int]:
    runs = store.claim_runs("daily", "hook", now, lease=LEASE)
    for run in runs:
        store.mark_run_sent(run.run_id, now)
    return [sid for run in runs for sid in run.story_ids]


@pytest.mark.parametrize("days_later", [1, 9, 20, 29])
def test_a_late_source_joins_its_delivered_story_and_is_not_sent_again(store, days_later) -> None:
    """A French report of the round, published the same morning, reaches the store ``days_later``
    (a feed added late, or down for weeks): still deliverable by age (max_age_days 30), so it must
    join the story delivered back then instead of making a second story sent again."""
    assert _poll(store, "https://wire.example/rss", [ROUND_EN, TALKS], NOW).new_stories == 2
    sent = _send(store, NOW)
    assert len(sent) == 2
    later = NOW + timedelta(days=days_later)
    res = _poll(store, "https://lemonde.example/rss", [ROUND_FR], later)
    assert (res.new_articles, res.new_matches, res.new_stories) == (1, 1, 0)
    assert _send(store, later + timedelta(hours=1)) == []
    [story] = [s for s in store.load_stories(sent) if len(s.sources) == 2]
    assert {s.lang for s in story.sources} == {"en", "fr"}


def test_a_new_event_after_delivery_is_a_new_story(store) -> None:
    _poll(store, "https://wire.example/rss", [ROUND_EN], NOW)
    _send(store, NOW)
    later = NOW + timedelta(days=9)
    news = art("OpenAI annualized revenue reaches $15 billion", link="https://wire.example/8",
               when=later - timedelta(hours=1))
    assert _poll(store, "https://wire.example/rss", [news], later).new_stories == 1
    assert len(_send(store, later)) == 1


def test_the_digest_shows_the_best_source_that_joined_later(store) -> None:
    wire = art("NEW YORK (Reuters) - OpenAI closes $8.2 billion round at a $210 billion valuation",
               ROUND_EN.summary, link="https://finance.yahoo.example/9", when=NOW - timedelta(hours=3),
               source="Yahoo Finance")
    assert _poll(store, "https://yahoo.example/rss", [wire], NOW).new_stories == 1
    [sid] = store.pending_story_ids("daily", ["hook"])
    assert store.load_stories([sid])[0].title == wire.title       # the only source so far
    later = NOW + timedelta(hours=2)
    assert _poll(store, "https://lemonde.example/rss", [ROUND_FR], later).new_stories == 0
    assert _poll(store, "https://wire.example/rss", [ROUND_EN], later).new_stories == 0
    [story] = store.load_stories([sid])
    assert (story.title, story.url) == (ROUND_EN.title, ROUND_EN.link)   # the outlet's own, in English
    assert (story.event.amount, story.event.valuation) == (pytest.approx(8.2e9), pytest.approx(210e9))
    assert len(story.sources) == 3


def test_sources_that_join_a_sent_story_are_listed_once_as_more_coverage(store) -> None:
    _poll(store, "https://wire.example/rss", [ROUND_EN], NOW)
    _poll(store, "https://yahoo.example/rss", [ROUND_COPY], NOW)        # joins before the story is sent
    [sid] = _send(store, NOW)
    later = NOW + timedelta(days=1)
    assert _poll(store, "https://lemonde.example/rss", [ROUND_FR], later).new_stories == 0
    # more coverage alone sends nothing, but is what the next digest would list
    assert store.claim_runs("daily", "hook", later, lease=LEASE) == []
    [waiting] = store.pending_coverage("daily", ["hook"])
    assert (waiting.id, [s.source for s in waiting.sources]) == (sid, ["Le Monde"])
    # a new event: its run carries the coverage, once
    news = art("OpenAI annualized revenue reaches $15 billion", link="https://wire.example/10", when=later)
    assert _poll(store, "https://wire.example/rss", [news], later).new_stories == 1
    [run] = store.claim_runs("daily", "hook", later, lease=LEASE)
    [more] = store.load_coverage(run.run_id)
    assert (more.id, [s.lang for s in more.sources]) == (sid, ["fr"])
    assert sid not in run.story_ids
    store.mark_run_sent(run.run_id, later)
    assert store.pending_coverage("daily", ["hook"]) == []
    again = art("OpenAI annualized revenue reaches $20 billion", link="https://wire.example/11",
                when=later + timedelta(days=3))
    _poll(store, "https://wire.example/rss", [again], later + timedelta(days=3))
    [run2] = store.claim_runs("daily", "hook", later + timedelta(days=3), lease=LEASE)
    assert store.load_coverage(run2.run_id) == []
