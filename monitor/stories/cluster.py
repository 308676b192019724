"""Grouping articles into stories: a batch (``cluster_items``) and one newcomer against the
stories already stored (``assign_story``). Pure.

Batch clustering compares only *candidate* pairs, found by blocking: the same canonical URL,
lead amounts in the same ~10% bucket, shared rare title words, or the same other party on
nearby days, always within the time window the decision itself allows. Candidate pairs are
visited in a canonical order (URL links first, then figures, words, parties); a pair that
``explain`` calls the same story joins the two groups unless a *hard* difference (talks vs done,
different figures, different kinds, weeks apart) separates a member of one from a member of the
other. Grouping does not depend on input order.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence

from monitor.stories.decide import (
    FIGURE_GAP_HOURS,
    MAX_GAP_HOURS,
    TEXT_GAP_HOURS,
    Prepared,
    Verdict,
    explain_prepared,
    prepare,
)
from monitor.stories.features import StoryFeatures
from monitor.stories.text import grams, is_cjk

__all__ = ["cluster_items", "assign_story", "best_story", "REPRESENTATIVES"]

REPRESENTATIVES = 3          # members of each group checked for hard differences before a merge
_BUCKET = math.log(1.1)      # figure buckets ~10% wide
_RARE_WORDS = 3              # rarest title words per article: each pair is a key, each word too
                             # for articles without figures
_BIG_POSTING = 200           # above this, a shared word only links dated articles within TEXT_GAP_HOURS
_UNDATED_GROUPS = 6          # an undated article is compared with at most this many groups per block
_PER_GROUP = 1               # ... and at most this many members of each
_UNDATED_SCAN = 16           # ... looking at the first this many members of the block
_TRIES_PER_GROUP = 3         # comparisons of one article with members of one group, at most
_WORD = re.compile(r"[a-z0-9]{3,}|[\u3040-\u30ff\u3400-\u9fff]+")
_STOP = frozenset("""the and for with from that this its has have will are was were into over after about
openai open chatgpt altman sam billion billions million milliards milliard milliarden miliardi millones
dollars dollar usd des les une pour dans par sur avec der die das und mit von fur den ist del los las por
con para que una della delle per gli van het een voor met""".split())


def cluster_items(features: Sequence[StoryFeatures]) -> list[str]:
    """One story key per item, in input order: items of the same story share a key; every item
    gets one. Deterministic, and the grouping does not depend on the order of ``features``."""
    n = len(features)
    if n == 0:
        return []
    order = sorted(range(n), key=lambda i: _sort_key(features[i]))
    feats = [features[i] for i in order]
    shared: dict[str, frozenset[str]] = {}   # equal texts (syndicated copies) share one gram set

    def gram_sets(text: str) -> frozenset[str]:
        found = shared.get(text)
        if found is None:
            found = shared[text] = grams.__wrapped__(text)
        return found

    prep = [prepare(f, gram_sets) for f in feats]
    parent = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tried: set[tuple[int, int]] = set()
    apart: set[tuple[int, int]] = set()   # groups (by root) found separated by a hard difference
    tries: dict[tuple[int, int], int] = defaultdict(int)  # (article, group root) -> comparisons
    for i, j in _candidate_pairs(feats, prep, find):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        pair = (i, j) if i < j else (j, i)
        roots = (ri, rj) if ri < rj else (rj, ri)
        if pair in tried or roots in apart or tries[(i, rj)] >= _TRIES_PER_GROUP:
            continue
        tried.add(pair)
        tries[(i, rj)] += 1
        tries[(j, ri)] += 1
        verdict = explain_prepared(feats[i], prep[i], feats[j], prep[j])
        if not verdict.same:
            continue
        # one article under two links (same canonical URL, exact copy) joins whatever it meets
        if _separated(members[ri], members[rj], feats, prep):
            apart.add(roots)
            continue
        keep, drop = roots
        parent[drop] = keep
        members[keep] = sorted(members[keep] + members.pop(drop))

    keys = _story_keys(feats, [find(i) for i in range(n)])
    out = [""] * n
    for pos, original in enumerate(order):
        out[original] = keys[pos]
    return out


def assign_story(
    f: StoryFeatures, candidates: Sequence[tuple[int, Sequence[StoryFeatures]]]
) -> int | None:
    """The id of the stored story ``f`` belongs to, or None for a new story. ``candidates`` are
    (story id, member features) of recent stories. A story is joined when some member is the same
    story and no member is separated from ``f`` by a hard difference; among several, the most
    certain link wins, then the most supporting members, then the lowest id."""
    pf = prepare(f)
    return best_story(f, pf, ((sid, [(m, prepare(m)) for m in members]) for sid, members in candidates))


def best_story(f: StoryFeatures, pf: Prepared,
               candidates: Iterable[tuple[int, Sequence[tuple[StoryFeatures, Prepared]]]]) -> int | None:
    """The decision of :func:`assign_story` over prepared members (callers may pass a sample)."""
    best: tuple[int, int, int] | None = None
    for story_id, story_members in candidates:
        verdicts = [explain_prepared(f, pf, m, pm) for m, pm in story_members]
        if any(not v.same and v.hard for v in verdicts):
            continue
        same = [v for v in verdicts if v.same]
        if not same:
            continue
        rank = (min(v.strength for v in same), -len(same), story_id)
        if best is None or rank < best:
            best = rank
    return best[2] if best is not None else None


# ---- internals --------------------------------------------------------------------------------

def _sort_key(f: StoryFeatures) -> tuple[object, ...]:
    """A total order on features (equal keys only for equal features), cheap to compare."""
    return (f.published or "~", f.title, f.summary, f.url or "", f.url_opaque or "", f.source, f.lang or "",
            f.date_slack_hours, f.figures, f.lead, f.vague_title, f.kinds, f.kinds_all, f.status or "",
            f.entities, f.years, f.version)


def _separated(a: list[int], b: list[int], feats: list[StoryFeatures], prep: list[Prepared]) -> bool:
    if len(a) == 1 and len(b) == 1:
        return False  # the pair itself was just judged the same story
    for i in a[:REPRESENTATIVES]:
        for j in b[:REPRESENTATIVES]:
            v: Verdict = explain_prepared(feats[i], prep[i], feats[j], prep[j])
            if not v.same and v.hard:
                return True
    return False


def _story_keys(feats: list[StoryFeatures], roots: list[int]) -> list[str]:
    seen: dict[tuple[object, ...], int] = defaultdict(int)
    root_key: dict[int, str] = {}
    for i, f in enumerate(feats):
        k = _sort_key(f)
        nth = seen[k]
        seen[k] += 1
        if roots[i] == i:  # the root is the group's first member in canonical order
            root_key[i] = "st-" + hashlib.sha1(f"{k!r}#{nth}".encode()).hexdigest()[:16]
    return [root_key[r] for r in roots]


def _candidate_pairs(feats: list[StoryFeatures], prep: list[Prepared], find: Callable[[int], int]
                     ) -> Iterator[tuple[int, int]]:
    """Pairs worth comparing, strongest blocking first, in a canonical order (a pair may come
    more than once). Figures are blocked by amount bucket *and* event kind (a compatible pair
    shares a kind or one side has none), words by rarity, parties by day."""
    ts = [p.ts for p in prep]
    by_url: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(feats):
        for u in (f.url, f.url_opaque):
            if u:
                by_url[u].append(i)
    for i, f in enumerate(feats):
        by_url["\x00" + f.title + "\x00" + f.summary[:200]].append(i)  # exact copies
    for _, posting in sorted(by_url.items()):
        yield from _all_pairs(posting)

    lead_blocks: dict[tuple[int, str], list[int]] = defaultdict(list)
    fig_blocks: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, p in enumerate(prep):
        lead_kinds = sorted(p.kinds) or ["*"]
        fig_kinds = sorted(p.kinds_all) or ["*"]
        for b in sorted({_bucket(x[0]) for x in p.lead}):
            for k in lead_kinds:
                lead_blocks[(b, k)].append(i)
        for b in sorted({_bucket(x[0]) for x in p.figures}):
            for k in fig_kinds:
                fig_blocks[(b, k)].append(i)
    window = FIGURE_GAP_HOURS + 24
    blocks: dict[tuple[int, str], _Block] = {}
    budget: dict[int, dict[int, int]] = {}
    for (b, k), leads in sorted(lead_blocks.items()):
        for d in (-2, -1, 0, 1, 2):
            for k2 in _all_kinds(fig_blocks, b + d) if k == "*" else (k, "*"):
                key = (b + d, k2)
                if key not in fig_blocks:
                    continue
                if key not in blocks:
                    blocks[key] = _Block(fig_blocks[key], ts)
                yield from _windowed_pairs(leads, blocks[key], ts, window, find, budget=budget)

    words = [_title_words(f) for f in feats]
    df: dict[str, int] = defaultdict(int)
    for ws in words:
        for w in ws:
            df[w] += 1
    by_words: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        rare = sorted((w for w in ws if df[w] > 1), key=lambda w: (df[w], w))[:_RARE_WORDS]
        keys = {(w, "") for w in rare} if not prep[i].lead else set()  # one shared word, for bare titles
        keys.update((a, b) if a < b else (b, a) for x, a in enumerate(rare) for b in rare[x + 1:])
        for word_key in keys:
            by_words[word_key].append(i)
    # Two articles that both lead with figures were paired by the figure blocks already, and
    # conflicting figures decide before text does: words only pair an article without figures.
    word_budget: dict[int, dict[int, int]] = {}
    for _, posting in sorted(by_words.items()):
        bare = [i for i in posting if not prep[i].lead]
        if len(posting) < 2 or not bare:
            continue
        window = MAX_GAP_HOURS + 24 if len(posting) <= _BIG_POSTING else TEXT_GAP_HOURS + 24
        yield from _windowed_pairs(bare, _Block(posting, ts), ts, window, find, budget=word_budget)

    by_party: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, p in enumerate(prep):
        t = ts[i]
        if t is None or not p.entities or p.title_figure:
            continue
        for e in sorted(p.entities):
            by_party[(e, int(t // 86400))].append(i)
    for (e, day), posting in sorted(by_party.items()):
        for d in (0, 1, 2):
            if (e, day + d) in by_party:
                yield from _windowed_pairs(posting, _Block(by_party[(e, day + d)], ts), ts, TEXT_GAP_HOURS + 24,
                                           find)


def _all_kinds(blocks: dict[tuple[int, str], list[int]], bucket: int) -> list[str]:
    return sorted(k for b, k in blocks if b == bucket)


def _bucket(usd: float) -> int:
    return int(math.floor(math.log(max(usd, 1.0)) / _BUCKET))


def _title_words(f: StoryFeatures) -> set[str]:
    out: set[str] = set()
    for w in _WORD.findall(f.title):
        if is_cjk(w[0]):
            out.update(w[k:k + 2] for k in range(max(1, len(w) - 1)))
        elif w not in _STOP and not w.isdigit():
            out.add(w)
    return out


def _all_pairs(posting: list[int]) -> Iterable[tuple[int, int]]:
    """Each member with the first (same URL / exact copies: the rule links them all), then the
    rest pairwise only for small postings, in case a hard difference kept the first apart."""
    yield from ((posting[0], j) for j in posting[1:])
    if len(posting) <= 16:
        for x in range(1, len(posting)):
            for y in range(x + 1, len(posting)):
                yield posting[x], posting[y]


class _Block:
    """A posting list split into dated (sorted by time) and undated members."""

    __slots__ = ("times", "dated", "undated", "members")

    def __init__(self, members: list[int], ts: list[float | None]) -> None:
        pairs = sorted((t, j) for j in members if (t := ts[j]) is not None)
        self.times = [t for t, _ in pairs]
        self.dated = [j for _, j in pairs]
        self.undated = [j for j in members if ts[j] is None]
        self.members = members


def _windowed_pairs(left: list[int], right: _Block, ts: list[float | None], window_hours: float,
                    find: Callable[[int], int], undated: bool = True,
                    budget: dict[int, dict[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """Pairs (l, r) of dated items within ``window_hours`` of each other, and pairs of an undated
    ``l`` with the block's members — at most ``_PER_GROUP`` members of each current group and
    ``_UNDATED_GROUPS`` groups (across all blocks sharing ``budget``), so that a block of
    thousands stays linear. ``undated=False``
    leaves undated items out (a common word shared by hundreds of articles)."""
    window = window_hours * 3600.0
    for i in left:
        t = ts[i]
        if t is None:
            if undated:
                seen = budget.setdefault(i, {}) if budget is not None else None
                yield from _undated_pairs(i, right.members, find, seen)
            continue
        lo = bisect.bisect_left(right.times, t - window)
        hi = bisect.bisect_right(right.times, t + window)
        for k in range(lo, hi):
            yield i, right.dated[k]


def _undated_pairs(i: int, members: list[int], find: Callable[[int], int],
                   seen: dict[int, int] | None = None) -> Iterator[tuple[int, int]]:
    seen = {} if seen is None else seen
    for j in members[:_UNDATED_SCAN]:
        r = find(j)
        n = seen.get(r, 0)
        if n >= _PER_GROUP:
            continue
        if n == 0 and len(seen) >= _UNDATED_GROUPS:
            break
        seen[r] = n + 1
        yield i, j
