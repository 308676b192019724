"""The matcher: pure, one pass per field, explains every decision.

How an article is read (see docs in ``monitor/match/__init__.py`` for the rules in prose):

1. Title and summary are cleaned and split into sentences; each sentence is folded once.
2. Mentions of the entity are found and classified: *core* (the entity itself), or *not the
   subject* (a rival, a comparison, a former employee's startup, "OpenAI-compatible", the
   entity buying or paying). "The company" style references count when the entity is named.
3. Money cues (funding, valuation, share sale, credit, IPO, revenue, loss) are found and kept
   only when they are live: weak cues need an amount or a second cue, background restatements
   ("last valued at") and money flowing out (acquisitions, licensing, compute, prices) are dropped.
4. A sentence is *positive* when it has a core mention and a live cue. The title carries the
   news: a positive title matches; a title about something else (a launch, a lawsuit, users)
   does not, whatever the summary restates; a title with money but no entity needs the summary's
   first sentence to name the entity as the one raising or earning; a vague title defers to the summary.

Speed (labeled dev set, one core, quiet machine: about 15,500 articles a second compiled with mypyc, the
install's default (``setup.py``, ``monitor/match/_native.py``), about 9,000 as plain Python; 356k vs 487k
instructions per article; the regex engine is about half of it): both fields are scanned
in one pass (``TermSet.finditer_fields``, which proves the join changes no hit), and so are their
amounts (``extract_amounts_fields``); what a second reading of the title would repeat (its scan,
amounts, sentences, caption test) is kept in ``pre``; sentences and results are light objects.
Every trick keeps the decisions and reasons byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from monitor.match import _values
from monitor.match.money import Amount, extract_amounts, extract_amounts_fields, has_vague_amount
from monitor.match.termset import Term
from monitor.match.text import clean, fold, is_caption, sentence_spans
from monitor.match.topic import Topic
from monitor.types import Article, Event, Match, Reason

__all__ = ["analyze", "match_article"]

_FUNDING_FAMILY = {"funding", "valuation", "share_sale", "credit", "ipo", "investment"}
_REVENUE_FAMILY = {"revenue", "loss", "financials"}
_KIND_PRIORITY = ("share_sale", "credit", "ipo", "funding", "investment", "valuation", "loss", "revenue", "financials")
_MAX_TITLE = 600      # characters read per field: the news is at the start, and the cost stays bounded
_MAX_SUMMARY = 1500
_MENTION_ROLES = {"entity", "weak", "ref", "possessive"}
_GAP_ARTICLE = re.compile(r"[\s\"'(]*(?:(?:the|a|an|la|le|les|l'|el|los|las|die|der|das|den|de|het|o|os|il|lo|"
                          r"do|da|dos|das|del|di|du|des|d'|of|de la|米|美国)\s*)?[\s\"'(]*$")
_COMMA = re.compile(r"[,;:(（、，]")
_POSSESSIVE_WHY = "possessive of something else"
_OTHERS_MONEY = frozenset({"the entity is not its subject", "entity not the recipient"})
# ", valued at $300B," / ", valorisée 500 milliards de dollars depuis ...,": an appositive restates a known figure
_APPOSITIVE = re.compile(r",\s*(?:(?:last|recently|most recently|now|currently|already|dernierement|deja|zuletzt|"
                         r"jetzt|ya|gia|ja)\s+)?$")
# A money word after the entity's name is the entity's only when linked to it: "revenue of", "invest in".
# The words between may not open another clause ("raises $10B to compete with OpenAI", "para enfrentar a").
_CLAUSE_WORD = (r"(?:to|para|pour|afin|um|zu|per|om|te|as|while|amid|after|against|with|than|como|comme|wie|and|"
                r"et|und|y|e|but|mais|pero|ma|mas|maar|aber|while|amid|despite|trotz|malgre|pese|mientras|tandis|"
                r"wahrend|mentre|enquanto|terwijl|vs|versus|contre|gegen|contra|contro|tegen)(?![a-z])")
_LINK = re.compile(r"(?:[\s\-]+(?!" + _CLAUSE_WORD + r")[^\s,;:]+){0,2}?[\s\-]*(?<![a-z])(?:of|for|in|into|at|d'|de|du|des|di|"
                   r"del|della|dei|dell'|da|do|dos|das|von|van|der|fur|bei|en|dans|na|no|em|nella|nel|aan|a|au|aux|"
                   r"pour|per|par)(?:\s+(?:the|la|le|les|l'|el|il|lo|a|o|der|die|das|den|het|de))?[\s']*|'?")
# between a money word that opens a sentence and the entity: a headline's label ("Börsengang: OpenAI")
# or a noun in apposition ("Jaaromzet OpenAI stijgt")
_LABEL_GAP = re.compile(r" ?: ?| ")
# Another noun takes over as the subject between the entity and the money word ("OpenAI alumni's startup raises").
# Whole words only: searched without a look-behind (which would make the engine try every position) and
# the letter before checked in _other_subject.
_OTHER_SUBJECT = re.compile(r"(?:startup|start-up|company|firm|venture|lab|business|spinout|spin-off|"
                            r"societe|entreprise|jeune pousse|firma|unternehmen|empresa|compania|societa|azienda|"
                            r"bedrijf)s?(?![a-z])")
# The value of a deal or contract is not a valuation of the entity.
_DEAL_BEFORE = re.compile(r"(?<![a-z])(?:deal|deals|contract|contracts|agreement|pact|order|orders|accord|acuerdo|"
                          r"contrat|vertrag|contratto|acordo|transaction)s?(?![a-z])[^,;]{0,12}$")
# "invest $10B in OpenAI": the entity follows at once (an article, a descriptor), not after another clause or name
# ("invests $14B in Scale AI in a bid to catch up to OpenAI").
_RECIPIENT_GAP = re.compile(r"(?:[\s\-'\"]*(?!" + _CLAUSE_WORD + r"|(?:in|into|of|at|on|from|for|dans|en|em|na|no|a|aan|"
                            r"su|di|de|del|da|du|des|von|van|bei)(?![a-z]))[^\s,;:]+){0,3}[\s\-'\"]*")
# ", qui défie OpenAI,": a mention inside a relative clause describes someone else, unless the clause is the money
_RELATIVE = re.compile(r",\s*(?:which|who|that|qui|que|quien|quienes|die|der|welche|welcher|che|cui|dat|wat|"
                       r"a qual|o qual|la cual|el cual)\s[^,;:(]*$")
_CJK_GAP = re.compile(r"[^\sa-z0-9,;:，、。]{0,4}")
_ZH_GAP = re.compile(r"\s?[^\sa-z0-9,;:，、。]{0,4}")   # "投资 OpenAI"; in Japanese a space starts a new phrase
_KANA = re.compile("[\u3040-\u30ff]")
_HAN = re.compile("[\u3400-\u9fff]")
_PARTICIPLE = re.compile(r"valued|valorise|avaliad|valutat|valorad|bewertet|gewaardeerd")


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    term: Term
    core: bool = True
    why: str = ""


@dataclass(slots=True)
class Cue:
    start: int
    end: int
    term: Term
    live: bool = True
    why: str = ""


Hit = tuple[int, int, Term]


class Sentence:
    """One sentence of a field and its evidence; compared by identity.

    A plain class with a hand-written ``__init__``: a dataclass with six list factories costs
    several times more to build, and every reading builds one per sentence.
    """

    __slots__ = ("amounts", "core", "cues", "end", "hits", "implicit", "live", "mentions", "other", "outflow",
                 "part", "positive", "start", "text")

    def __init__(self, part: str, text: str, start: int, end: int) -> None:
        self.part = part            # "title" | "summary"
        self.text = text            # the whole folded text; the sentence is text[start:end]
        self.start = start
        self.end = end
        self.hits: list[Hit] = []
        self.mentions: list[Mention] = []
        self.cues: list[Cue] = []
        self.amounts: list[Amount] = []
        self.outflow: list[Hit] = []
        self.other: list[Hit] = []
        self.positive = False
        self.implicit = False       # no mention, but the title names the entity as its subject
        self.core = False           # a core mention (set once mentions are final)
        self.live: list[Cue] = []   # the live cues (set by _live_cues)

    def __repr__(self) -> str:
        return f"Sentence({self.part!r}, {self.text[self.start:self.end]!r})"


@dataclass(slots=True)
class Analysis:
    title: list[Sentence]
    summary: list[Sentence]
    title_is_caption: bool
    named: bool
    verdict: str = ""
    matched: bool = False
    score: float = 0.0
    names: list[tuple[str, str]] = field(default_factory=list)   # (words, field) when read no further
    excluded: bool = False   # a term of the topic's exclude list is in the item
    title_other: list[list[tuple[int, int, Term]]] | None = None   # other-news words per title sentence, if read


def _snippet(s: Sentence, start: int, end: int, pad: int = 30) -> str:
    """The words around ``start:end`` within the sentence, "…" where the sentence goes on."""
    lo, hi = s.start, s.end
    a = start - pad if start - pad > lo else lo
    b = end + pad if end + pad < hi else hi
    words = s.text[a:b].strip()
    if a > lo:
        words = "…" + words
    if b < hi:
        words += "…"
    return words


def _prepare(raw: str, topic: Topic, limit: int | None = None) -> tuple[str, str]:
    """Cleaned and folded text of one field (same length: offsets are shared)."""
    c = topic.compiled
    text = clean(raw)
    if limit and len(text) > limit:
        text = text[:limit]
    if c.cased is not None and (c.cased_hint is None or c.cased_hint.found_in(text)):
        text = c.cased.sub(lambda m: c.canonical if not (m.start() and m.string[m.start() - 1].isalnum())
                           else m.group(), text)
    return text, fold(text)


_JOIN = " | "   # between title and summary: no term can span it


def _sentences(t_text: str, s_text: str, full: str, hits: list[tuple[int, int, Term]],
               amounts: list[Amount], pre: dict[str, Any]) -> tuple[list[Sentence], list[Sentence]]:
    """Split both fields into sentences of the joined folded text and hand each its hits and amounts."""
    off = len(t_text) + len(_JOIN)
    t_spans = pre.get("t_spans")
    if t_spans is None:
        t_spans = pre["t_spans"] = sentence_spans(t_text)
    title = [Sentence("title", full, a, b) for a, b in t_spans]
    summary = [Sentence("summary", full, a + off, b + off) for a, b in sentence_spans(s_text)]
    sents = title + summary
    if sents:
        last = len(sents) - 1
        i = 0
        for h in hits:
            while i < last and h[0] >= sents[i].end:
                i += 1
            sents[i].hits.append(h)
        i = 0
        for am in amounts:
            while i < last and am.start >= sents[i].end:
                i += 1
            sents[i].amounts.append(am)
    return title, summary


def _classify_mentions(s: Sentence, topic: Topic) -> None:
    near: list[Hit] = []
    adj: list[Hit] = []
    mentioned = False
    for h in s.hits:  # one pass for the roles read below
        role = h[2].role
        if role in _MENTION_ROLES:
            mentioned = True
        elif role == "near":
            near.append(h)
        elif role == "adj":
            adj.append(h)
    if not mentioned:
        return
    c = topic.compiled
    f = s.text
    last_end = -1
    for start, end, term in s.hits:
        if term.role not in _MENTION_ROLES or start < last_end:
            continue
        last_end = end
        m = Mention(start, end, term)
        s.mentions.append(m)
        if term.role in ("ref", "possessive"):
            continue
        after = c.after.match(f, end)
        if after:
            m.core, m.why = False, f"followed by '{after.group(0).strip()}'"
            continue
        if term.role == "weak" and f.startswith("'s ", end) and not any(
                h[2].role == "cue" and h[0] <= end + 4 for h in s.hits if h[0] >= end):
            m.core, m.why = False, _POSSESSIVE_WHY
            continue
        for _, he, ht in near:
            if he <= start and start - he <= 45 and not _COMMA.search(f, he, start):
                m.core, m.why = False, f"after '{ht.text}'"
        for _, he, ht in adj:
            if he <= start and start - he <= 18 and _GAP_ARTICLE.match(f, he, start):
                m.core, m.why = False, f"after '{ht.text}'"
        if m.core and f.find(",", s.start, start) >= 0:
            rel = _RELATIVE.search(f, max(s.start, start - 80), start)
            stop = _COMMA.search(f, end, s.end)
            clause_end = stop.start() if stop else s.end
            if rel and not any(h[2].role == "cue" and rel.start() <= h[0] and h[1] <= clause_end for h in s.hits):
                m.core, m.why = False, "inside a relative clause"


def _amount_near(s: Sentence, start: int, end: int, before: int = 30, after: int = 45) -> bool:
    if any(a.end >= start - before and a.start <= end + after for a in s.amounts):
        return True
    return has_vague_amount(s.text, max(s.start, start - before), min(s.end, end + after))


_NO_LABELS: frozenset[str] = frozenset()


def _live_cues(s: Sentence, kinds: frozenset[str]) -> None:
    f = s.text
    cues: list[Cue] = []
    outflow: list[Hit] = []
    background: list[Hit] = []
    for h in s.hits:  # one pass for the roles read below
        t = h[2]
        role = t.role
        if role == "cue":
            if t.kind in kinds:
                cues.append(Cue(h[0], h[1], t))
        elif role == "outflow":
            outflow.append(h)
        elif role == "background":
            background.append(h)
    s.outflow = outflow
    if not cues:
        return
    bg_spans: list[tuple[int, int]] = []
    for bs, be, bt in background:
        if bt.backward:
            cm = [m.end() for m in _COMMA.finditer(f, s.start, bs)]
            bg_spans.append((cm[-1] if cm else s.start, be))
        else:
            nxt = _COMMA.search(f, be, s.end)
            bg_spans.append((bs, nxt.start() if nxt else s.end))
    out_labels = {t.kind for _, _, t in outflow} if outflow else _NO_LABELS
    if "pricing" in out_labels and s.amounts and all(a.value >= 1e5 for a in s.amounts):
        out_labels = out_labels - {"pricing"}  # "$1 billion a month" is revenue, not a price
    for cue in cues:
        if cue.term.kind == "valuation" and _DEAL_BEFORE.search(f, max(s.start, cue.start - 25), cue.start):
            cue.live, cue.why = False, "value of a deal"
        if (cue.term.kind == "valuation" and _PARTICIPLE.match(f, cue.start)
                and _APPOSITIVE.search(f, max(s.start, cue.start - 30), cue.start)):
            nxt = _COMMA.search(f, cue.end, s.end)
            bg_spans.append((cue.start, nxt.start() if nxt else s.end))
    strong_present = False
    for cue in cues:
        t = cue.term
        if t.needs_amount and not _amount_near(s, cue.start, cue.end):
            cue.live, cue.why = False, "no amount"
        elif t.entity_after and not any((m.core or m.why == _POSSESSIVE_WHY) and cue.end <= m.start <= cue.end + 40
                                        and _RECIPIENT_GAP.fullmatch(f, cue.end, m.start) for m in s.mentions):
            cue.live, cue.why = False, "entity not the recipient"
        elif bg_spans and any(a <= cue.start < b for a, b in bg_spans):
            cue.live, cue.why = False, "background restatement"
        elif "licensing" in out_labels and t.kind in _REVENUE_FAMILY:
            cue.live, cue.why = False, "revenue of others"
        elif out_labels and (t.weak or t.needs_amount or t.kind == "valuation") and not t.entity_after:
            cue.live, cue.why = False, f"money flowing out ({', '.join(sorted(out_labels))})"
        if cue.live and not t.weak:
            strong_present = True
    if s.mentions and not s.implicit:
        for cue in cues:
            if cue.live and not cue.term.entity_after and not _anchored(s, cue):
                cue.live, cue.why = False, "the entity is not its subject"
    has_amount = bool(s.amounts) or (any(c.live and c.term.weak for c in cues) and has_vague_amount(f, s.start, s.end))
    for cue in cues:
        if cue.live and cue.term.weak and not strong_present and not has_amount:
            cue.live, cue.why = False, "weak cue alone"
    s.cues = cues
    s.live = [c for c in cues if c.live]


_NAME_ROLES = frozenset({"entity", "weak"})


def _names_over_refs(hits: list[tuple[int, int, Term]], full: str, topic: Topic) -> list[tuple[int, int, Term]]:
    """A name that starts inside a reference wins over it ("the company behind ChatGPT" is a name)."""
    names: list[tuple[int, int, Term]] = []
    for a, b, t in hits:
        if t.role == "ref":
            window = topic.compiled.names.finditer(full[a:b + 60])
            names += [(a + x, a + y, n) for x, y, n in window if x < b - a]
    if not names:
        return hits
    kept = [h for h in hits if not any(h[0] < y and h[1] > x for x, y, _ in names)]
    return sorted(kept + names, key=lambda h: (h[0], h[0] - h[1]))


def _other_subject(f: str, pos: int, endpos: int) -> int | None:
    """Where the first whole word of ``_OTHER_SUBJECT`` starts in ``f[pos:endpos]`` (no letter before it), or None."""
    while (m := _OTHER_SUBJECT.search(f, pos, endpos)) is not None:
        i = m.start()
        if not (i and "a" <= f[i - 1] <= "z"):
            return i
        pos = i + 1
    return None


def _anchored(s: Sentence, cue: Cue) -> bool:
    """Is a core mention the subject or owner of this cue (before it, or linked just after it)?"""
    f = s.text
    for m in s.mentions:
        if not m.core:
            continue
        if m.end <= cue.start:
            other = _other_subject(f, m.end, cue.start) if m.term.role != "possessive" else None
            if other is not None and not any(h[2].role == "ref" and h[0] <= other < h[1] for h in s.hits):
                continue
            return True
        if m.start >= cue.end and _LABEL_GAP.fullmatch(f, cue.end, m.start) and not f[s.start:cue.start].strip():
            # the money word opens the sentence as its label: "Börsengang: OpenAI …", "Jaaromzet OpenAI stijgt"
            return True
        if m.start >= cue.end and m.start - cue.end <= 70 and not cue.term.text.endswith(" from"):
            # "invest $10 billion in OpenAI": read the link after the amount
            gap = max([cue.end] + [a.end for a in s.amounts if cue.end <= a.start and a.end <= m.start])
            if m.start - gap <= 40 and (_LINK.fullmatch(f, gap, m.start) or _CJK_GAP.fullmatch(f, gap, m.start)
                                        or (_ZH_GAP.fullmatch(f, gap, m.start) and _HAN.match(f, cue.end - 1)
                                            and not _KANA.search(f, s.start, s.end))):
                return True
    return False


_NOT_MENTIONED = "the entity is not mentioned"
_OTHER_TITLE = "title is other news about the entity"
_OTHER_NEWS_SCORE = 0.3   # the most a title about other news can score, whatever the summary says


def analyze(article: Article, topic: Topic) -> Analysis:
    """Read an article against a topic; the result carries every sentence's evidence and the verdict.

    Lazy where it cannot change the decision: an item without any literal of the entity's names is
    skipped at once, and a title that is other news about the entity is decided without reading the
    summary. A match always reads both fields, so its event carries every fact (a valuation given
    only in the summary, say); matches are rare in real feeds, so this costs little.
    """
    c = topic.compiled
    t_text, t_fold = _prepare(article.title or "", topic, _MAX_TITLE)
    s_text, s_fold = _prepare(article.summary or "", topic, _MAX_SUMMARY)
    title_named = c.name_filter is None or c.name_filter.found_in(t_fold)
    if not title_named and c.name_filter is not None and not c.name_filter.found_in(s_fold):
        return Analysis([], [], False, False, _NOT_MENTIONED, False, 0.0)
    pre: dict[str, Any] = {}
    if s_fold:  # both fields in one scan (TermSet.finditer_fields); the title's hits come first
        hits, n_title = c.scan.finditer_fields(t_fold, s_fold, _JOIN)
        pre["both"] = hits
        pre["hits"] = hits[:n_title]
    if c.lazy and s_fold and title_named:
        t_named = t_cue = False
        for _, _, t in pre["hits"]:
            if t.role in _NAME_ROLES:
                t_named = True
            elif t.role == "cue" and t.kind in c.kinds:
                t_cue = True
        if not (t_named and t_cue):
            return _analyze(t_text, t_fold, s_text, s_fold, topic, pre)
        # Reading the title alone can only end the reading as "other news", which needs an other-news
        # word in a title sentence (see _decide): without one, go straight to the full reading.
        if topic.threshold > _OTHER_NEWS_SCORE and _may_be_other_news(t_text, t_fold, topic, pre):
            an = _analyze(t_text, t_fold, "", "", topic, pre)
            if an.verdict == _OTHER_TITLE:
                return an
    return _analyze(t_text, t_fold, s_text, s_fold, topic, pre)


def _may_be_other_news(t_text: str, t_fold: str, topic: Topic, pre: dict[str, Any]) -> bool:
    """Could a reading of the title alone find other news? (``_decide`` reads ``other`` per title sentence.)

    Keeps what it reads in ``pre`` for the readings: the caption test, the title's sentences and
    their other-news words.
    """
    caption = pre["caption"] = bool(t_text) and is_caption(t_fold)
    if caption or not t_text:
        return False
    other = topic.compiled.other
    spans = pre["t_spans"] = sentence_spans(t_text)
    found = pre["t_other"] = [other.finditer(t_fold[a:b]) for a, b in spans]
    return any(found)


def _analyze(t_text: str, t_fold: str, s_text: str, s_fold: str, topic: Topic, pre: dict[str, Any]) -> Analysis:
    """One reading of title and summary; ``pre`` keeps the title's scan and amounts for a second reading."""
    c = topic.compiled
    kinds = c.kinds
    full = t_fold + _JOIN + s_fold
    t_hits = pre.get("hits")
    if t_hits is None:
        t_hits = pre["hits"] = c.scan.finditer(t_fold)
    if s_fold:
        hits = pre.get("both")
        if hits is None:
            hits = c.scan.finditer_fields(t_fold, s_fold, _JOIN)[0]
    else:
        hits = list(t_hits)
    roles = {h[2].role for h in hits}
    if roles.isdisjoint(_NAME_ROLES):
        return Analysis([], [], False, False, _NOT_MENTIONED, False, 0.0)
    if "cue" not in roles or not any(h[2].role == "cue" and h[2].kind in kinds for h in hits):
        an = Analysis([], [], False, True, "no money words in the item", False, 0.1)
        an.names = [(full[a:b], "title" if a < len(t_fold) else "summary") for a, b, t in hits
                    if t.role in _NAME_ROLES][:3]
        return an
    if "ref" in roles:
        hits = _names_over_refs(hits, full, topic)
        roles = {h[2].role for h in hits}
    amounts: list[Amount] = []
    if "cue" in roles:
        if s_fold:  # both fields in one pass, placed in the joined text
            amounts, n_title = extract_amounts_fields(t_fold, s_fold, _JOIN)
            pre.setdefault("amounts", amounts[:n_title])
        else:
            known: list[Amount] | None = pre.get("amounts")
            amounts = known if known is not None else extract_amounts(t_fold, vague=False)
            pre["amounts"] = amounts
    caption = pre.get("caption")
    if caption is None:
        caption = pre["caption"] = bool(t_text) and is_caption(t_fold)
    title, summary = _sentences(t_text, s_text, full, hits, amounts, pre)
    both = title + summary
    named = title_named = title_core = False
    for s in both:
        _classify_mentions(s, topic)
        for m in s.mentions:
            if m.core:
                role = m.term.role
                named = named or role == "entity"
                if s.part == "title":
                    title_named = title_named or role in _NAME_ROLES
                    title_core = title_core or (not caption and role != "possessive")
    # a reference points back to a name; a vague title may point forward to the summary's name
    forward = named and not title_named
    prev_core = False
    named_before = False
    others_title: bool | None = None   # known once the title's sentences are read
    for s in both:
        if s.part == "summary" and others_title is None:
            others_title = _title_money_is_others(title)
            if others_title:  # the summary's "the company", "its" and unnamed sentences are about that other subject
                prev_core = named_before = False
        seen_core = prev_core
        core = False
        for m in s.mentions:
            if m.term.role == "ref" and not (named_before or (forward and s.part == "title")):
                m.core, m.why = False, "refers to no name of the entity"
            elif m.term.role == "possessive" and not seen_core:
                m.core, m.why = False, "no entity just before"
            seen_core = seen_core or m.core
            core = core or m.core
            named_before = named_before or (m.core and m.term.role in _NAME_ROLES)
        s.core = prev_core = core
        implicit = s.part == "summary" and not s.mentions and title_core and not others_title
        s.implicit = implicit
        if s.part == "title" or s.mentions or implicit:
            _live_cues(s, kinds)
        live = s.live
        s.positive = bool(live and (core or implicit or any(c.term.entity_after for c in live)))
    an = Analysis(title, summary, caption, named)
    an.excluded = "exclude" in roles
    an.title_other = pre.get("t_other")
    _decide(an, topic)
    return an


def _title_money_is_others(title: list[Sentence]) -> bool:
    """Does the title report someone else's money and none of the entity's?

    "Anthropic raises $13B, rivaling OpenAI": the title names the entity, but its money belongs
    to another subject, so a summary sentence that names nobody ("The Claude maker is now valued
    at $183B") goes on about that subject, not about the entity. Only a cue with words before it
    counts: one that opens the title ("Les investisseurs se bousculent pour entrer au capital
    d'OpenAI") names no other subject.
    """
    return (any(c.why in _OTHERS_MONEY and not _GAP_ARTICLE.fullmatch(s.text, s.start, c.start)
                for s in title for c in s.cues)
            and not any(s.live for s in title))


def _read_other_news(an: Analysis, topic: Topic) -> None:
    """Each title sentence's other-news words (already read by ``_may_be_other_news`` when it ran)."""
    if an.title_is_caption:
        return
    known = an.title_other
    for i, s in enumerate(an.title):
        found = known[i] if known is not None else topic.compiled.other.finditer(s.text[s.start:s.end])
        if found and s.cues:   # a word inside a money phrase is not other news ("introduction en bourse")
            found = [h for h in found if not any(c.start <= s.start + h[0] and s.start + h[1] <= c.end
                                                 for c in s.cues)]
        s.other = found


def _decide(an: Analysis, topic: Topic) -> None:
    title = [] if an.title_is_caption else an.title
    t_pos = [s for s in title if s.positive]
    t_core = any(s.core for s in title)
    # a title whose money word belongs to someone else ("Mistral double sa valorisation") is someone else's news
    t_cue = any(c.live or (not t_core and c.why in _OTHERS_MONEY) for s in title for c in s.cues)
    if not t_pos and t_core and not t_cue:
        _read_other_news(an, topic)
    if t_pos and all(c.term.kind == "valuation" for s in t_pos for c in s.live):
        _read_other_news(an, topic)  # "launches X; company valued at $Y": the valuation is background to other news
        if any(s.other for s in title):
            t_pos = []
    t_other = any(s.other for s in title)
    s_pos = [s for s in an.summary if s.positive]
    pos = t_pos + s_pos
    strong = any(not c.term.weak for s in pos for c in s.live)
    amount = any(s.amounts for s in pos)
    if t_pos:
        an.verdict = "title reports the money fact"
        an.score = 0.7 + 0.1 * strong + 0.1 * amount + 0.05 * bool(s_pos)
    elif t_cue and not t_core:
        first = an.summary[0] if an.summary else None
        if first is not None and first.positive:
            an.verdict = "title's money fact is the entity's (summary's first sentence names it)"
            an.score = 0.6 + 0.1 * strong + 0.1 * amount
        else:
            an.verdict = "title reports someone else's money"
            an.score = 0.25 if s_pos else 0.1
    elif t_other:
        an.verdict = _OTHER_TITLE
        an.score = _OTHER_NEWS_SCORE if s_pos else 0.15
    elif s_pos:
        an.verdict = "summary reports the money fact"
        an.score = 0.55 + 0.1 * strong + 0.1 * amount
    else:
        both = an.title + an.summary
        evidence = any(s.core for s in both)
        cues = any(s.live for s in both)
        an.verdict = "no money fact about the entity"
        an.score = 0.1 * evidence + 0.1 * cues
    if an.excluded:
        an.verdict, an.score = "excluded by the topic's exclude list", min(an.score, 0.05)
    an.score = min(an.score, 1.0)
    an.matched = an.score >= topic.threshold


def _event(an: Analysis, topic: Topic) -> Event | None:
    both = an.title + an.summary
    sents = [s for s in both if s.positive]
    live = True
    if not sents:  # not a match: still report the money fact the item carries, for story clustering
        live = False
        sents = [s for s in both if s.cues and any(not a.vague for a in s.amounts)]
    if not sents:
        return None
    kinds: list[str] = []
    for s in sents:
        for cue in s.cues:
            if (cue.live or not live) and cue.term.kind not in kinds:
                kinds.append(cue.term.kind)
    if not kinds:
        return None
    head = sents[0]
    head_kinds = [c.term.kind for c in head.cues if c.live or not live]
    kind = next((k for k in _KIND_PRIORITY if k in head_kinds), kinds[0])
    if kind == "valuation" and any(k in kinds for k in ("funding", "share_sale")):
        kind = next(k for k in ("share_sale", "funding") if k in kinds)
    # figures come from the title and from sentences that name the entity themselves: a summary's
    # "Rival X was valued at $Y" must not lend its figure to the entity's event
    named = [s for s in sents if s.part == "title" or any(m.core and m.term.role in _NAME_ROLES for m in s.mentions)]
    amount, currency, valuation = _amounts(named or sents)
    if live and valuation is None:  # "…raises $6.6B" + "The round values the company at $157B."
        for s in an.summary:
            if s not in sents and any(m.core and m.term.role == "entity" for m in s.mentions):
                _, cur, val = _amounts([s])
                if val is not None and (currency is None or cur in (None, currency)):
                    valuation = val
                    currency = currency or cur
                    break
    status = _status(sents, topic)
    extra = {"kinds": kinds} if len(kinds) > 1 else {}
    return _values.event(kind, amount, currency, valuation, status, extra)


_VAL_BEFORE = re.compile(r"(?:valuation|valued|valuing|value[sd]?|valoris\w*|valeur|vaut|bewert\w*|wert|valora\w*|"
                         r"valut\w*|avalia\w*|vale|waard\w*|gewaardeerd|估值|企業価値|评价额|評価額|worth|price tag)"
                         r"[^.;\d$€£¥₹]{0,35}$")
_VAL_AFTER = re.compile(r"[\s\-]*(?:post-money |pre-money |de |d')?(?:valuation|valorisation|bewertung|valoracion|"
                        r"valutazione|avaliacao|估值|企業価値)")


def _amounts(sents: list[Sentence]) -> tuple[float | None, str | None, float | None]:
    amount = currency = valuation = None
    default_cur = next((a.currency for s in sents for a in s.amounts if a.currency), None)
    for s in sents:
        for a in s.amounts:
            if amount is not None and valuation is not None:
                return amount, currency, valuation   # nothing further can change them
            if a.vague:
                continue
            cur = a.currency or default_cur
            if cur is not None and cur != (currency or cur):
                continue
            is_val = bool(_VAL_AFTER.match(s.text, a.end, s.end)
                          or _VAL_BEFORE.search(s.text, a.start - 40 if a.start - 40 > s.start else s.start, a.start))
            if is_val and valuation is None:
                valuation, currency = a.value, cur
            elif not is_val and amount is None:
                amount, currency = a.value, cur
    return amount, currency, valuation


def _status(sents: list[Sentence], topic: Topic) -> str | None:
    found: set[str] = set()
    for s in sents:
        found |= {t.kind for _, _, t in topic.compiled.status.finditer(s.text[s.start:s.end])}
        if found:
            break
    for st in ("talks", "projected", "completed", "reported"):
        if st in found:
            return st
    return None


_MAX_REASONS = 12


def _reasons(an: Analysis) -> tuple[Reason, ...]:
    """The first twelve reasons: the decision, then each sentence's evidence in order."""
    out: list[Reason] = [_values.reason("decision", "item", an.verdict)]
    out += [_values.reason("entity", part, words) for words, part in an.names]
    for s in an.title + an.summary:
        if len(out) >= _MAX_REASONS:  # the rest would be cut: do not build their snippets
            break
        if s.implicit and s.positive:
            out.append(_values.reason("entity:implicit", s.part, "sentence continues the title about the entity"))
        for m in s.mentions:
            if m.core:
                rule = "entity" if m.term.role != "ref" else "entity:reference"
                out.append(_values.reason(f"{rule}:{m.term.role}", s.part, _snippet(s, m.start, m.end)))
            else:
                out.append(_values.reason(f"not-subject:{m.why}", s.part, _snippet(s, m.start, m.end)))
        for cue in s.cues:
            rule = f"topic:{cue.term.kind}" if cue.live else f"ignored:{cue.term.kind}:{cue.why}"
            out.append(_values.reason(rule, s.part, _snippet(s, cue.start, cue.end)))
        for a, b, t in s.outflow:
            out.append(_values.reason(f"outflow:{t.kind}", s.part, _snippet(s, a, b)))
        for a, b, _ in s.other:
            out.append(_values.reason("other-news", s.part, _snippet(s, s.start + a, s.start + b)))
    return tuple(out[:_MAX_REASONS])


def match_article(article: Article, topic: Topic) -> Match:
    """Decide whether ``article`` reports a money fact about ``topic``'s entity. Never raises on text."""
    an = analyze(article, topic)
    return _values.match(an.matched, topic.name, round(an.score, 4), _reasons(an), _event(an, topic))
