"""An incremental index of stored stories, so that assigning a newcomer compares it with the few
stories it could belong to instead of every recent one (10,000 matches in one poll stay linear).

Candidate stories share a blocking key with the newcomer, the same keys batch clustering uses:
canonical URL or an exact copy, lead/figure amounts in nearby ~10% buckets, rare title words
(for articles without figures), or the same other party on nearby days. The decision itself is
:func:`monitor.stories.cluster.assign_story`'s; the index only chooses whom to ask. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor.stories.cluster import REPRESENTATIVES, _bucket, _title_words, best_story
from monitor.stories.decide import Prepared, prepare
from monitor.stories.features import StoryFeatures

_MAX_POSTING = 200   # a key shared by more stories than this says nothing: skip it
_RECENT = 5          # besides its first REPRESENTATIVES members, a story is judged by its latest ones


class StoryIndex:
    """Stories of one topic: ``assign(features)`` -> story id or None; ``add(story_id, features)``."""

    def __init__(self, stories: Iterable[tuple[int, Sequence[Mapping[str, Any]]]] = ()) -> None:
        self._members: dict[int, list[tuple[StoryFeatures, Prepared]]] = {}
        self._postings: dict[tuple[Any, ...], set[int]] = defaultdict(set)
        for story_id, members in stories:
            for m in members:
                self.add(story_id, m)

    def __len__(self) -> int:
        return len(self._members)

    def add(self, story_id: int, features: Mapping[str, Any] | StoryFeatures) -> None:
        f = features if isinstance(features, StoryFeatures) else StoryFeatures.from_dict(dict(features))
        p = prepare(f)
        self._members.setdefault(story_id, []).append((f, p))
        for key in _keys(f, p, query=False):
            self._postings[key].add(story_id)

    def candidates(self, f: StoryFeatures, p: Prepared | None = None) -> list[int]:
        found: set[int] = set()
        for key in _keys(f, p or prepare(f), query=True):
            posting = self._postings.get(key)
            if posting and len(posting) <= _MAX_POSTING:
                found.update(posting)
        return sorted(found)

    def assign(self, features: Mapping[str, Any] | StoryFeatures) -> int | None:
        """As :func:`monitor.stories.cluster.assign_story`, over the candidate stories only, each
        judged by its first and latest members (a story of thousands costs the same as one of
        eight): joined when some member is the same story and none is separated by a hard
        difference; the most certain link wins, then the most support, then the lowest id."""
        f = features if isinstance(features, StoryFeatures) else StoryFeatures.from_dict(dict(features))
        pf = prepare(f)
        return best_story(f, pf, ((sid, self._sample(sid)) for sid in self.candidates(f, pf)))

    def _sample(self, story_id: int) -> list[tuple[StoryFeatures, Prepared]]:
        members = self._members[story_id]
        if len(members) <= REPRESENTATIVES + _RECENT:
            return members
        return members[:REPRESENTATIVES] + members[-_RECENT:]


def _keys(f: StoryFeatures, p: Prepared, *, query: bool) -> set[tuple[Any, ...]]:
    keys: set[tuple[Any, ...]] = {("copy", f.title, f.summary[:200])}
    keys.update(("url", u) for u in (f.url, f.url_opaque) if u)
    spread = (-2, -1, 0, 1, 2) if query else (0,)
    for value in {x[0] for x in p.lead} | {x[0] for x in p.figures}:
        b = _bucket(value)
        keys.update(("fig", b + d) for d in spread)
    if not query or not p.lead:  # words only lead a newcomer without figures to a story
        keys.update(("word", w) for w in _title_words(f))
    if p.ts is not None and p.entities and not p.title_figure:
        day = int(p.ts // 86400)
        days = (day - 2, day - 1, day, day + 1, day + 2) if query else (day,)
        keys.update(("party", e, d) for e in p.entities for d in days)
    return keys
