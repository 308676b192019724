"""How many stories a digest for people lists. Pure.

A digest meant to be read (Slack, Discord, e-mail, Apprise, the text and HTML previews) lists at
most ``digests[].max_stories`` stories: a first poll of many feeds, or a feed that suddenly
serves thousands of matching entries, would otherwise become hundreds of chat messages. The
stories listed are those reported by the most sources (ties: the earliest seen), shown in the
digest's usual order; the others are counted in one closing line ("…and N more stories") and
are delivered with the run all the same: they are not sent again later. The webhook payload, for
machines, always carries every story.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.types import Digest, DigestStory


def cap_digest(digest: Digest, max_stories: int) -> Digest:
    """``digest`` listing at most ``max_stories`` stories and as many "more coverage" stories
    (0: no cap); the rest are counted in ``omitted`` and ``omitted_coverage``."""
    if max_stories <= 0 or (len(digest.stories) <= max_stories and len(digest.coverage) <= max_stories):
        return digest
    stories, dropped = _most_reported(digest.stories, max_stories)
    coverage, dropped_cov = _most_reported(digest.coverage, max_stories)
    return replace(digest, stories=stories, coverage=coverage, omitted=digest.omitted + dropped,
                   omitted_coverage=digest.omitted_coverage + dropped_cov)


def _most_reported(stories: tuple[DigestStory, ...], limit: int) -> tuple[tuple[DigestStory, ...], int]:
    if len(stories) <= limit:
        return stories, 0
    ranked = sorted(range(len(stories)), key=lambda i: (-len(stories[i].sources), stories[i].first_seen, i))
    keep = sorted(ranked[:limit])
    return tuple(stories[i] for i in keep), len(stories) - limit
