"""What story clustering knows about one article: ``StoryFeatures``, computed once per article
(pure: text in, value out) and stored with it, so that a late source can be compared with a
story's members without re-reading their text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from monitor.normalize import canonical_url, is_opaque_aggregator_url
from monitor.stories.lexicon import EVENT_KIND_MAP, entities_in, kinds_in, money_cue_in, status_in, years_in
from monitor.stories.money import Figure, extract_figures, vague_money
from monitor.stories.text import fold, strip_wire_tags
from monitor.types import Article, Match

__all__ = ["StoryFeatures", "story_features", "FEATURES_VERSION"]

FEATURES_VERSION = 1
_SUMMARY_CHARS = 600

FigureT = tuple[float, str | None, str, str]  # (value, currency, where: title|summary|event, role: v|a|?)
LeadT = tuple[float, str | None, int, str]    # (value, currency, group, role): every group must be found


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """The comparison form of one article. JSON-serialisable with :meth:`to_dict`.

    ``figures`` are the money amounts found in the title, the summary and the matcher's event;
    ``lead`` the amounts the article is *about*: the first amount or range of the title, else
    every amount of the summary (one group each), else the event's amount. ``kinds`` are the
    event kinds the title cues (else the summary's, else the matcher's), ``kinds_all`` those of
    the whole text. ``status`` is ``"talks"`` or ``"done"`` or None. ``published`` is ISO 8601
    UTC; ``date_slack_hours`` widens time comparisons for date-only values.
    """

    title: str = ""
    summary: str = ""
    url: str | None = None
    url_opaque: str | None = None
    source: str = ""
    lang: str | None = None
    published: str | None = None
    date_slack_hours: float = 0.0
    figures: tuple[FigureT, ...] = ()
    lead: tuple[LeadT, ...] = ()
    vague_title: bool = False
    kinds: tuple[str, ...] = ()
    kinds_all: tuple[str, ...] = ()
    status: str | None = None
    entities: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    version: int = FEATURES_VERSION

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = [list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, tuple) else v
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StoryFeatures:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing ones take defaults."""
        kw: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in d:
                continue
            v = d[f.name]
            if isinstance(v, list):
                v = tuple(tuple(x) if isinstance(x, list) else x for x in v)
            kw[f.name] = v
        kw["date_slack_hours"] = float(kw.get("date_slack_hours", 0.0))
        kw["figures"] = tuple((float(a), c, str(w), str(r)) for a, c, w, r in kw.get("figures", ()))
        kw["lead"] = tuple((float(a), c, int(g), str(r)) for a, c, g, r in kw.get("lead", ()))
        return cls(**kw)

    @property
    def published_at(self) -> datetime | None:
        return datetime.fromisoformat(self.published) if self.published else None


def story_features(article: Article, match: Match | None) -> StoryFeatures:
    """Features of ``article`` for story clustering; ``match`` (its match for the topic, or
    None) contributes the extracted event when there is one. Pure; never raises on odd text."""
    raw_title = article.title or ""
    raw_summary = article.summary or ""
    if not raw_title.strip():
        raw_title, raw_summary = raw_summary[:300], raw_summary
    title = strip_wire_tags(fold(raw_title))
    summary = fold(raw_summary[:2000])
    lang = (article.lang or "").lower()[:2] or None

    t_figs = extract_figures(title, lang)
    inherit = t_figs[-1].currency if t_figs else None
    s_figs = extract_figures(summary, lang, inherit=inherit)
    figures: list[FigureT] = [(f.value, f.currency, "title", f.role) for f in t_figs]
    figures += [(f.value, f.currency, "summary", f.role) for f in s_figs]
    # the matcher's event counts only for an article it kept: for the others it is background
    event = match.event if match is not None and match.matched else None
    ev_figs: list[LeadT] = []
    if event is not None:
        for amount, role in ((event.amount, "a"), (event.valuation, "v")):
            if isinstance(amount, (int, float)) and amount >= 1e6:
                ev_figs.append((float(amount), event.currency, len(ev_figs), role))
        figures += [(v, c, "event", r) for v, c, _, r in ev_figs]
    # A headline without a figure leads with its summary's figures only when it is about money
    # ("burning through cash", "new funding"); a product launch whose summary recalls the last
    # valuation leads with nothing.
    about_money = bool(t_figs) or money_cue_in(title) or vague_money(title, t_figs) or event is not None
    lead = _lead(t_figs, s_figs, ev_figs) if about_money else ()

    t_kinds, s_kinds = kinds_in(title), kinds_in(summary)
    ev_kind = EVENT_KIND_MAP.get(event.kind) if event is not None else None
    kinds = t_kinds or s_kinds or (frozenset({ev_kind}) if ev_kind else frozenset())
    kinds_all = t_kinds | s_kinds | ({ev_kind} if ev_kind else set())
    if kinds & {"share_sale", "credit"}:
        kinds_all = kinds_all - {"equity", "spend"}
    status = status_in(title) or status_in(summary)
    if status is None and event is not None:
        status = {"talks": "talks", "completed": "done"}.get(event.status or "")

    published, slack = _published(article.published)
    link = article.link
    opaque = is_opaque_aggregator_url(link)
    return StoryFeatures(
        title=title,
        summary=summary[:_SUMMARY_CHARS],
        url=None if opaque else canonical_url(link),
        url_opaque=canonical_url(link) if opaque else None,
        source=fold(article.source or ""),
        lang=lang,
        published=published,
        date_slack_hours=slack,
        figures=tuple(figures),
        lead=lead,
        vague_title=not t_figs and vague_money(title, t_figs),
        kinds=tuple(sorted(kinds)),
        kinds_all=tuple(sorted(kinds_all)),
        status=status,
        entities=tuple(sorted(entities_in(title) | entities_in(summary))),
        years=tuple(sorted(y for y in years_in(title) if y >= 2020)),
    )


def _lead(t_figs: list[Figure], s_figs: list[Figure], ev: list[LeadT]) -> tuple[LeadT, ...]:
    if t_figs:  # what the headline leads with: its first amount (or range)
        first = t_figs[0].group
        return tuple((f.value, f.currency, 0, f.role) for f in t_figs if f.group == first)
    if s_figs:  # no amount in the headline: the summary's amounts all count
        return tuple((f.value, f.currency, f.group, f.role) for f in s_figs)
    return tuple(ev[:1])


def _published(value: datetime | None) -> tuple[str | None, float]:
    if value is None:
        return None, 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    date_only = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
    return value.isoformat(), 24.0 if date_only else 0.0
