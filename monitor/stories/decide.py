"""The pairwise decision: do two articles report the same event? Pure and explainable.

The rules, in order (the first that applies decides):

1. the same canonical URL (or the same opaque aggregator id): same article, same story;
2. published more than ``MAX_GAP_HOURS`` apart: different (hard);
3. both carry money figures and neither one's lead figures appear in the other (beyond
   rounding): different facts, different stories (hard) — "$2B" vs "$3.4B" revenue;
4. near-identical text (syndicated copies, headline updates, stripped datelines): same, whatever
   rules 5-10 say;
5. different kinds of event (equity round vs credit line vs share sale vs revenue): different (hard);
6. a negotiation and a done deal ("in talks at $150B" vs "closes at $157B"): different (hard);
   a negotiation and a report that says neither: different unless within ``TEXT_GAP_HOURS``;
7. undated, and the years they name do not overlap: different (hard);
8. the lead figures agree both ways, when dated within ``FIGURE_GAP_HOURS``, and something else
   agrees too (a second figure, a party, some text, or the kind of event when both headlines
   state a figure): same (this is what matches a French and a Japanese report of one round);
   one way only (an analysis
   citing the valuation; a tranche citing its round): same only when dated within
   ``TEXT_GAP_HOURS``;
9. without comparable figures: same only when close in time (``TEXT_GAP_HOURS``) and either the
   texts are similar, or neither headline states a figure and they name the same other party
   with the same kind of event (or both only speak of vague sums: "trillions")
   ("Microsoft to invest billions" / "Microsoft confirme un investissement de plusieurs milliards");
   undated, only on very similar text;
10. otherwise different (soft: another member of the story may still link them).

"Hard" differences are cannot-links: clustering never puts the two in one story through others.
Merging two different events is worse than missing a merge, so every rule errs towards apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from monitor.stories.features import StoryFeatures
from monitor.stories.lexicon import DEAL_KINDS
from monitor.stories.money import significant_digits, to_usd
from monitor.stories.text import dice, grams

__all__ = ["Verdict", "explain", "explain_prepared", "prepare", "same_story", "MAX_GAP_HOURS"]

MAX_GAP_HOURS = 14 * 24.0
FIGURE_GAP_HOURS = 7 * 24.0
TEXT_GAP_HOURS = 48.0
NEAR_DUPLICATE = 0.80
SIMILAR_DATED = 0.55
SIMILAR_UNDATED = 0.72
SIMILAR_FIGURES = 0.45


@dataclass(frozen=True, slots=True)
class Verdict:
    same: bool
    rule: str           # short human reason, e.g. "same canonical url", "talks vs done"
    hard: bool = False  # a difference that must keep the two apart (cannot-link)
    strength: int = 9   # for ordering merges: lower is more certain

    def __bool__(self) -> bool:
        return self.same


# (amount in USD, currency, role, round figure?, group)
_Num = tuple[float, str, str, bool, int]


# The decisions, built once (explain runs in the inner loop of clustering).
_V_SAME_CANONICAL_URL = Verdict(True, "same canonical url", strength=0)
_V_SAME_AGGREGATOR_LINK = Verdict(True, "same aggregator link", strength=0)
_V_IDENTICAL = Verdict(True, "identical", strength=1)
_V_PUBLISHED_TOO_FAR_APART = Verdict(False, "published too far apart", hard=True)
_V_DIFFERENT_FIGURES = Verdict(False, "different figures", hard=True)
_V_DIFFERENT_KINDS_OF_EVENT = Verdict(False, "different kinds of event", hard=True)
_V_TALKS_VS_DONE_DEAL = Verdict(False, "talks vs done deal", hard=True)
_V_TALKS_VS_UNKNOWN = Verdict(False, "talks vs a report that does not say, not close in time")
_V_DIFFERENT_YEARS = Verdict(False, "different years", hard=True)
_V_SAME_FIGURES_FAR = Verdict(False, "same figures, a week or more apart", hard=True)
_V_SAME_FIGURES = Verdict(True, "same figures", strength=2)
_V_LONE_FIGURE = Verdict(False, "one common figure and nothing else")
_V_PARTIAL_CLOSE = Verdict(True, "one cites the other's figure, close in time", strength=3)
_V_PARTIAL_FAR = Verdict(False, "one cites the other's figure, not close in time")
_V_NO_COMMON_FIGURE_DAYS_APART = Verdict(False, "no common figure, days apart")
_V_SAME_PARTIES = Verdict(True, "same parties and kind, no figures, close in time", strength=4)
_V_NOT_ENOUGH_IN_COMMON = Verdict(False, "not enough in common")
_V_NEAR_IDENTICAL = Verdict(True, "near-identical text", strength=1)
_V_SIMILAR_CLOSE = Verdict(True, "similar text, close in time", strength=3)
_V_SIMILAR = Verdict(True, "similar text", strength=3)


@dataclass(frozen=True, slots=True)
class Prepared:
    title_grams: frozenset[str]
    text_grams: frozenset[str]
    ts: float | None            # POSIX seconds
    slack: float                # hours
    kinds: frozenset[str]
    kinds_all: frozenset[str]
    entities: frozenset[str]
    years: frozenset[int]
    lead: tuple[_Num, ...]      # lead figures, numeric form
    figures: tuple[_Num, ...]   # all figures, numeric form, one per distinct amount
    title_figure: bool


@lru_cache(maxsize=256)     # for explain()/same_story() over pairs; clustering prepares each article once
def _prepare(f: StoryFeatures) -> Prepared:
    return prepare(f)


def prepare(f: StoryFeatures, gram_sets: Callable[[str], frozenset[str]] = grams) -> Prepared:
    """Derived comparison data of ``f`` (gram sets, timestamp, kind sets). ``gram_sets`` lets a
    batch share the sets of equal texts (syndicated copies) without a process-wide cache."""
    ts: float | None = None
    if f.published:
        try:
            ts = datetime.fromisoformat(f.published).timestamp()
        except ValueError:
            ts = None
    return Prepared(
        title_grams=gram_sets(f.title),
        text_grams=gram_sets(f"{f.title} {f.summary[:300]}"),
        ts=ts,
        slack=f.date_slack_hours,
        kinds=frozenset(f.kinds),
        kinds_all=frozenset(f.kinds_all),
        entities=frozenset(f.entities),
        years=frozenset(f.years),
        lead=tuple(_num(v, c, r, g) for v, c, g, r in f.lead),
        figures=_distinct([_num(v, c, r, 0) for v, c, _, r in f.figures]),
        title_figure=any(where == "title" for _, _, where, _ in f.figures),
    )


def _num(value: float, currency: str | None, role: str, group: int) -> _Num:
    return (to_usd(value, currency), currency or "USD", role, significant_digits(value) == 1, group)


def _distinct(nums: list[_Num]) -> tuple[_Num, ...]:
    out: list[_Num] = []
    for n in nums:
        if not any(_close(n, m) for m in out):
            out.append(n)
    return tuple(out)


def _close(x: _Num, y: _Num) -> bool:
    """:func:`monitor.stories.money.close_amounts` on prepared figures."""
    if not _comparable_roles(x, y):
        return False
    tolerance = 0.16 if x[1] != y[1] else (0.10 if x[3] or y[3] else 0.035)
    hi = x[0] if x[0] > y[0] else y[0]
    return hi > 0 and abs(x[0] - y[0]) <= tolerance * hi


def same_story(a: StoryFeatures, b: StoryFeatures) -> bool:
    """True when ``a`` and ``b`` report the same underlying event (see the module docstring)."""
    return explain(a, b).same


def explain(a: StoryFeatures, b: StoryFeatures) -> Verdict:
    """The decision for ``a`` and ``b`` with the rule that took it. Symmetric."""
    return explain_prepared(a, _prepare(a), b, _prepare(b))


def explain_prepared(a: StoryFeatures, pa: Prepared, b: StoryFeatures, pb: Prepared) -> Verdict:
    """:func:`explain` with the derived data computed once per article (for clustering)."""
    if a.url and a.url == b.url:
        return _V_SAME_CANONICAL_URL
    if a.url_opaque and a.url_opaque == b.url_opaque:
        return _V_SAME_AGGREGATOR_LINK
    if a.title == b.title and a == b:
        return _V_IDENTICAL
    gap = _gap_hours(pa, pb)
    if gap is not None and gap > MAX_GAP_HOURS:
        return _V_PUBLISHED_TOO_FAR_APART
    figures = _compare_figures(pa, pb)
    if figures == "conflict":
        return _V_DIFFERENT_FIGURES
    sims: list[float] = []

    def sim() -> float:  # the costliest part, computed only when a rule needs it
        if not sims:
            sims.append(max(dice(pa.title_grams, pb.title_grams), dice(pa.text_grams, pb.text_grams)))
        return sims[0]

    verdict = _by_facts(a, pa, b, pb, gap, figures, sim)
    if not verdict.same and sim() >= NEAR_DUPLICATE:  # syndicated copies, headline updates
        return _V_NEAR_IDENTICAL
    return verdict


def _by_facts(a: StoryFeatures, pa: Prepared, b: StoryFeatures, pb: Prepared, gap: float | None,
              figures: str, sim: Callable[[], float]) -> Verdict:
    """Rules 5-10 (near-identical text, rule 4, overrides a "different" from here)."""
    if not _kinds_compatible(pa, pb):
        return _V_DIFFERENT_KINDS_OF_EVENT
    if _status_conflict(a, b, pa, pb):
        return _V_TALKS_VS_DONE_DEAL
    if _talks_vs_unknown(a, b, pa, pb) and (gap is None or gap > TEXT_GAP_HOURS):
        return _V_TALKS_VS_UNKNOWN
    if gap is None and pa.years and pb.years and not (pa.years & pb.years):
        return _V_DIFFERENT_YEARS
    if figures == "match":
        if gap is not None and gap > FIGURE_GAP_HOURS:
            return _V_SAME_FIGURES_FAR
        if _corroborated(pa, pb, sim):
            return _V_SAME_FIGURES
        return _V_LONE_FIGURE
    if figures == "partial":
        if gap is not None and gap <= TEXT_GAP_HOURS:
            return _V_PARTIAL_CLOSE
        return _V_PARTIAL_FAR
    if gap is not None:
        if gap > TEXT_GAP_HOURS:
            return _V_NO_COMMON_FIGURE_DAYS_APART
        if sim() >= SIMILAR_DATED:
            return _V_SIMILAR_CLOSE
        if _same_parties_without_figures(pa, pb, a, b):
            return _V_SAME_PARTIES
    elif sim() >= SIMILAR_UNDATED:
        return _V_SIMILAR
    return _V_NOT_ENOUGH_IN_COMMON


def _gap_hours(pa: Prepared, pb: Prepared) -> float | None:
    if pa.ts is None or pb.ts is None:
        return None
    return max(0.0, abs(pa.ts - pb.ts) / 3600.0 - max(pa.slack, pb.slack))


def _compare_figures(pa: Prepared, pb: Prepared) -> str:
    """"match" when each side's lead amounts appear among the other's figures; "partial" when
    only one side's do (an analysis that cites the valuation but not the amount raised, or a
    tranche that cites its round); "conflict" when neither does; "none" when a side has none."""
    if not pa.lead or not pb.lead:
        return "none"
    found = _lead_found(pa, pb) + _lead_found(pb, pa)
    if not found and not (_comparable(pa.lead, pb.figures) or _comparable(pb.lead, pa.figures)):
        return "none"   # the amount raised on one side, only the valuation on the other: not a contradiction
    return ("conflict", "partial", "match")[found]


def _comparable(lead: tuple[_Num, ...], figures: tuple[_Num, ...]) -> bool:
    """Could a figure of ``figures`` state the same thing as one of ``lead`` (an amount is never
    compared with a valuation)?"""
    return any(_comparable_roles(x, y) for x in lead for y in figures)


def _comparable_roles(x: _Num, y: _Num) -> bool:
    """An amount raised is never compared with a valuation (an unknown role with either)."""
    return {x[2], y[2]} != {"v", "a"}


def _lead_found(pa: Prepared, pb: Prepared) -> bool:
    """Every lead group of ``pa`` (a range counts once) has an amount among ``pb``'s figures."""
    if len(pa.lead) == 1:
        x = pa.lead[0]
        for y in pb.figures:
            if _close(x, y):
                return True
        return False
    groups: dict[int, bool] = {}
    for x in pa.lead:
        groups[x[4]] = groups.get(x[4], False) or any(_close(x, y) for y in pb.figures)
    return all(groups.values())


def _corroborated(pa: Prepared, pb: Prepared, sim: Callable[[], float]) -> bool:
    """A common lead figure is enough only with something else in common: a second figure, the
    same kind of event (unless they name different parties), a common party, the same year named
    in both headlines ("by 2029"), or some text. A
    lone "$500 billion" is also every background mention of the last valuation.

    The same kind of event counts only when both headlines state a figure: a headline without one
    is about something else than the figure its summary cites ("OpenAI asks investors to avoid
    backing rivals", whose summary recalls "its $6.6 billion round"), so the figure is background
    there and the kind of that background says nothing more."""
    matched = sum(1 for x in pa.figures if any(_close(x, y) for y in pb.figures))
    if matched >= 2 or pa.entities & pb.entities or pa.years & pb.years or sim() >= SIMILAR_FIGURES:
        return True
    if not (pa.title_figure and pb.title_figure):
        return False
    # the same kind of event, unless each names other parties than the other
    return bool(pa.kinds & pb.kinds) and not (pa.entities and pb.entities)


def _kinds_compatible(pa: Prepared, pb: Prepared) -> bool:
    if not pa.kinds or not pb.kinds:
        return True
    return bool(pa.kinds & pb.kinds_all) and bool(pb.kinds & pa.kinds_all)


def _status_conflict(a: StoryFeatures, b: StoryFeatures, pa: Prepared, pb: Prepared) -> bool:
    if {a.status, b.status} != {"talks", "done"}:
        return False
    kinds = pa.kinds | pb.kinds
    return not kinds or bool(kinds & DEAL_KINDS)


def _talks_vs_unknown(a: StoryFeatures, b: StoryFeatures, pa: Prepared, pb: Prepared) -> bool:
    if {a.status, b.status} != {"talks", None}:
        return False
    kinds = pa.kinds | pb.kinds
    return not kinds or bool(kinds & DEAL_KINDS)


def _same_parties_without_figures(pa: Prepared, pb: Prepared, a: StoryFeatures, b: StoryFeatures) -> bool:
    if pa.title_figure or pb.title_figure:
        return False
    if not (pa.entities & pb.entities):
        return False
    if pa.kinds and pb.kinds:
        return bool(pa.kinds & pb.kinds)
    return not pa.kinds and not pb.kinds and a.vague_title and b.vague_title
