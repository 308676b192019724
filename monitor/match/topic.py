"""Topics: what to look for. Built from a preset or a ``[[topics]]`` table; validated; compiled once.

A topic names an entity (aliases, case-sensitive aliases, weak aliases such as a product or a
founder, references such as "the company") and may add money vocabulary per event kind and
language, context words, outflow words, exclusions and a score threshold. The shared
multilingual vocabulary of :mod:`monitor.match.lexicon` is used unless ``generic_vocabulary``
is false, so a topic about any company works from config alone.

Keys of a ``[[topics]]`` table (terms use the syntax documented in ``lexicon.py``)::

    name                  required; the topic's name in matches and digests
    preset                a shipped preset ("openai-funding-revenue"); other keys then extend it
    aliases (entities)    names of the entity, any case/accents: ["Anthropic", "the Claude maker"]
    cased_aliases         names matched with their exact case: ["Open AI"] (not generic "open AI")
    weak_aliases          a product or a person that stands for the entity when it is the subject
    references            extra words for "the company" that count once the entity is named
    vocabulary            extra money words: {funding = [...]} or per language {fr = {funding = [...]}}
    kinds                 event kinds that count (default all); "funding" and "revenue" include their family
    not_subject_before    words that make a following mention a comparison ("rival of", "former")
    not_subject_adjacent  the same, only right before the mention ("than", "like")
    not_subject_after     words right after a mention that make it not the subject ("-compatible")
    outflow               money going out or someone else's: a list, or {label = [...]}
    background            phrases that restate a known figure ("last valued at")
    other_news            title words for other news about the entity ("launches")
    exclude               any of these in the item: no match
    weak_terms            vocabulary entries that need an amount or a second money word
    threshold             0..1, default 0.5
    generic_vocabulary    false: use only this table's words (no shared multilingual lexicon)
    extend                false: the table's lists replace the preset's instead of extending them
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import ConfigError
from monitor.match import lexicon
from monitor.match.presets import PRESETS
from monitor.match.termset import (
    _LATIN,
    _LATIN_RE,
    _PARSER,
    Literals,
    Term,
    TermSet,
    _name_filter,
    _source_regex,
    _termset,
    term_source,
)
from monitor.match.text import fold

__all__ = ["EVENT_KINDS", "Term", "Topic", "build_topic", "preset"]

EVENT_KINDS = ("funding", "valuation", "share_sale", "credit", "ipo", "revenue", "loss", "investment", "financials")

_LIST_KEYS = (
    "aliases", "entities", "cased_aliases", "weak_aliases", "references", "weak_terms", "not_subject_before",
    "not_subject_adjacent", "not_subject_after", "background", "other_news", "exclude", "kinds",
)
KNOWN_KEYS = ("name", "preset", "description", *_LIST_KEYS, "vocabulary", "outflow", "threshold",
              "generic_vocabulary", "extend")


@dataclass(frozen=True, slots=True)
class Compiled:
    names: TermSet                  # entity and weak aliases: an item without them cannot match
    scan: TermSet                   # names, references and every other role: the one pass over an item
    status: TermSet                 # talks / completed / projected / reported, read in positive sentences only
    other: TermSet                  # other news (launch, lawsuit, users), read in titles only
    after: re.Pattern[str]          # matched right after a mention: "-compatible", " rival", "'s former"
    cased: re.Pattern[str] | None   # case-sensitive aliases, replaced by ``canonical`` before folding
    canonical: str
    kinds: frozenset[str]           # event kinds that count, families expanded
    name_filter: Literals | None = None   # literals one of which every name contains: a cheap first test
    lazy: bool = False              # no exclude list: a title that decides alone need not wait for the summary
    cased_hint: Literals | None = None   # the first four letters of each case-sensitive alias: ``cased`` needs one


@dataclass(frozen=True, slots=True)
class Topic:
    """A validated, compiled topic. Build it with :func:`build_topic` or :func:`preset`."""

    name: str
    aliases: tuple[str, ...]
    cased_aliases: tuple[str, ...] = ()
    weak_aliases: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    vocabulary: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (kind, terms), shared lexicon included
    kinds: tuple[str, ...] = EVENT_KINDS
    threshold: float = 0.5
    preset: str | None = None
    description: str = ""
    compiled: Compiled = field(default=None, compare=False, repr=False)  # type: ignore[assignment]


# ---------------------------------------------------------------- config validation

def _strings(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: expected a list of non-empty strings, got {type(value).__name__}")
    for i, v in enumerate(value):
        src, _ = term_source(v)
        try:
            re.compile(_source_regex(src))
        except re.error as e:
            raise ConfigError(f"{path}[{i}]: invalid pattern {v!r}: {e}") from e
    return list(value)


def _kind_lists(value: Any, path: str) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path}: expected a table of event kind = [terms], got {type(value).__name__}")
    out: dict[str, list[str]] = {}
    for k, v in value.items():
        if isinstance(v, Mapping):  # a language table: vocabulary.fr.funding = [...]
            if not re.fullmatch(r"[a-z]{2,3}(?:-[a-z]{2,4})?", str(k)):
                raise ConfigError(f"{path}.{k}: expected a language code (en, fr, ...) or an event kind")
            for kind, terms in _kind_lists(v, f"{path}.{k}").items():
                out.setdefault(kind, []).extend(terms)
            continue
        if k not in EVENT_KINDS:
            raise ConfigError(f"{path}.{k}: unknown event kind (known: {', '.join(EVENT_KINDS)})")
        out.setdefault(k, []).extend(_strings(v, f"{path}.{k}"))
    return out


def _label_lists(value: Any, path: str) -> dict[str, list[str]]:
    if isinstance(value, list | str):
        return {"custom": _strings(value, path)}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path}: expected a list of terms or a table of label = [terms]")
    return {str(k): _strings(v, f"{path}.{k}") for k, v in value.items()}


_BUILT: dict[str, Topic] = {}   # memo of compiled topics (pure and frozen); like ``re``'s own cache


def build_topic(raw: Mapping[str, Any], *, path: str = "topics[0]") -> Topic:
    """Validate one ``[[topics]]`` table and compile it.

    ``raw`` is either ``{"name", "preset"}`` (optionally with keys that extend the preset) or a
    custom topic with at least ``name`` and ``aliases``. Raises ConfigError naming the key path.
    Compiling takes a few hundred milliseconds; the same table is compiled once per process.
    """
    try:
        key = json.dumps(raw, sort_keys=True)
    except (TypeError, ValueError):
        key = ""
    if key and key in _BUILT:
        return _BUILT[key]
    topic = _build(raw, path)
    if key and len(_BUILT) < 64:
        _BUILT[key] = topic
    return topic


def _build(raw: Mapping[str, Any], path: str) -> Topic:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: expected a table, got {type(raw).__name__}")
    for key in raw:
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{path}.{key}: unknown key (known: {', '.join(KNOWN_KEYS)})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}.name: missing or not a non-empty string")
    base: Mapping[str, Any] = {}
    preset_name = raw.get("preset")
    if preset_name is not None:
        if not isinstance(preset_name, str) or preset_name not in PRESETS:
            raise ConfigError(f"{path}.preset: unknown preset {preset_name!r} (known: {', '.join(sorted(PRESETS))})")
        base = PRESETS[preset_name]
    extend = raw.get("extend", True)
    if not isinstance(extend, bool):
        raise ConfigError(f"{path}.extend: expected true or false")

    def merged_list(key: str, *alt: str) -> list[str]:
        own: list[str] = []
        for k in (key, *alt):
            if k in raw:
                own += _strings(raw[k], f"{path}.{k}")
        inherited = list(base.get(key, [])) if (extend or not own) else []
        return inherited + own

    lists = {k: merged_list(k) for k in _LIST_KEYS if k not in ("aliases", "entities")}
    aliases = merged_list("aliases", "entities")
    if not aliases and not lists["cased_aliases"]:
        raise ConfigError(f"{path}: a topic needs aliases (the names of its entity) or a preset")
    vocab = _kind_lists(base.get("vocabulary", {}), f"{path}.vocabulary") if extend or "vocabulary" not in raw else {}
    for kind, terms in _kind_lists(raw.get("vocabulary", {}), f"{path}.vocabulary").items():
        vocab.setdefault(kind, []).extend(terms)
    outflow = _label_lists(raw["outflow"], f"{path}.outflow") if "outflow" in raw else {}
    kinds = lists["kinds"] or list(base.get("kinds", EVENT_KINDS))
    for i, k in enumerate(kinds):
        if k not in EVENT_KINDS:
            raise ConfigError(f"{path}.kinds[{i}]: unknown event kind {k!r} (known: {', '.join(EVENT_KINDS)})")
    threshold = raw.get("threshold", base.get("threshold", 0.5))
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise ConfigError(f"{path}.threshold: expected a number between 0 and 1, got {threshold!r}")
    generic = raw.get("generic_vocabulary", base.get("generic_vocabulary", True))
    if not isinstance(generic, bool):
        raise ConfigError(f"{path}.generic_vocabulary: expected true or false")
    description = raw.get("description", base.get("description", ""))
    if not isinstance(description, str):
        raise ConfigError(f"{path}.description: expected a string")
    return _compile(
        name=name.strip(), aliases=aliases, lists=lists, vocab=vocab, outflow=outflow, kinds=kinds,
        threshold=float(threshold), generic=generic, preset_name=preset_name, description=description,
    )


_FAMILIES = {"funding": ("valuation", "share_sale", "credit", "ipo", "investment"), "revenue": ("loss", "financials")}


def _expand_kinds(kinds: Sequence[str]) -> frozenset[str]:
    out = set(kinds)
    for k in kinds:
        out.update(_FAMILIES.get(k, ()))
    return frozenset(out)


def preset(preset_name: str, *, name: str | None = None) -> Topic:
    """The shipped preset ``preset_name`` as a topic. Raises ConfigError for an unknown preset."""
    if preset_name not in PRESETS:
        raise ConfigError(f"unknown preset {preset_name!r} (known: {', '.join(sorted(PRESETS))})")
    return build_topic({"name": name or preset_name, "preset": preset_name}, path=f"preset[{preset_name}]")


# ---------------------------------------------------------------- compilation

_SPACES = r"\s+"


def _after_pattern(srcs: list[str]) -> re.Pattern[str]:
    r"""``(?:src1|src2|...)``, the alternatives that start with ``\s+`` sharing that start when it changes no match.

    Most "not the subject" words after a mention begin with a space (" rival"): as separate
    alternatives, the engine reads the spaces again for each of them. Shared, it reads them once
    and then skips every alternative whose first letter differs. Same match, provided that each of
    them continues with a letter that is not a space (so only the longest run of spaces can be
    followed by it), holds no group, and every other alternative starts with a letter that is not
    a space (so it cannot match where these do, and the order between the two kinds is moot).
    """
    if not srcs:
        return re.compile(r"(?!x)x")
    spaced: list[str] = []
    others: list[str] = []
    for src in srcs:
        if src.startswith(_SPACES) and _first_literal(src[len(_SPACES):], groups=False):
            spaced.append(src[len(_SPACES):])
        elif _first_literal(src):
            others.append(src)
        else:
            return re.compile("(?:" + "|".join(srcs) + ")")
    if len(spaced) < 2:
        return re.compile("(?:" + "|".join(srcs) + ")")
    return re.compile("(?:" + "|".join([_SPACES + "(?:" + "|".join(spaced) + ")", *others]) + ")")


def _first_literal(src: str, *, groups: bool = True) -> bool:
    """Does every match of ``src`` start with one given character that is not a space (and, unless
    ``groups``, does ``src`` hold no capture group)?"""
    try:
        parsed = _PARSER.parse(src)
    except re.error:
        return False
    if not len(parsed) or parsed[0][0] is not _PARSER.LITERAL or (not groups and parsed.state.groups > 1):
        return False
    return not chr(parsed[0][1]).isspace()


def _compile(*, name: str, aliases: list[str], lists: dict[str, list[str]], vocab: dict[str, list[str]],
             outflow: dict[str, list[str]], kinds: list[str], threshold: float, generic: bool,
             preset_name: str | None, description: str) -> Topic:
    cue_entries: list[tuple[str, str, str]] = []
    all_vocab: dict[str, list[str]] = {}
    if generic:
        for per_kind in lexicon.CUES.values():
            for kind, terms in per_kind.items():
                all_vocab.setdefault(kind, []).extend(terms)
    for kind, terms in vocab.items():
        all_vocab.setdefault(kind, []).extend(terms)
    for kind, terms in all_vocab.items():
        cue_entries += [("cue", kind, t) for t in dict.fromkeys(terms)]
    weak_terms = frozenset(fold(t) for t in ([*lexicon.WEAK_CUES] if generic else []) + lists["weak_terms"])

    mention_entries = [("entity", "", a) for a in aliases]
    mention_entries += [("weak", "", a) for a in lists["weak_aliases"]]
    refs = ([*lexicon.REFERENCES] if generic else []) + lists["references"]
    ref_entries = [("ref", "", r) for r in dict.fromkeys(refs)]
    ref_entries += [("possessive", "", r) for r in (lexicon.POSSESSIVES if generic else [])]

    def gen(attr: str, own: str) -> list[str]:
        return list(dict.fromkeys(([*getattr(lexicon, attr)] if generic else []) + lists[own]))

    out_entries = [("outflow", label, t) for label, terms in lexicon.OUTFLOW.items() if generic for t in terms]
    out_entries += [("outflow", label, t) for label, terms in outflow.items() for t in terms]
    status_entries = [("status", label, t) for label, terms in lexicon.STATUS.items() for t in terms]
    after_srcs = [t[3:] if t.startswith("re:") else
                  re.escape(fold(t)).replace(r"\ ", r"\s+") + (f"(?![{_LATIN}])" if _LATIN_RE.match(fold(t)[-1:]) else "")
                  for t in gen("NOT_SUBJECT_AFTER", "not_subject_after")]

    cased = None
    if lists["cased_aliases"]:
        cased = re.compile("(?:" + "|".join(
            re.escape(a) + (r"(?![A-Za-z0-9])" if a[-1:].isalnum() else "")
            for a in sorted(lists["cased_aliases"], key=len, reverse=True)) + ")")
    fallback = lists["cased_aliases"][0] if lists["cased_aliases"] else name
    canonical = next((a for a in aliases if not a.startswith("re:")), fallback)
    entries = cue_entries + out_entries
    entries += [("near", "", t) for t in gen("NOT_SUBJECT_NEAR", "not_subject_before")]
    entries += [("adj", "", t) for t in gen("NOT_SUBJECT_ADJ", "not_subject_adjacent")]
    entries += [("background", "", t) for t in gen("BACKGROUND", "background")]
    entries += [("exclude", "", t) for t in lists["exclude"]]
    entries += [("neutral", "", t) for t in (lexicon.NEUTRAL if generic else [])]
    compiled = Compiled(
        names=_termset(mention_entries, frozenset()),
        scan=_termset(mention_entries + ref_entries + entries, weak_terms),
        status=_termset(status_entries, frozenset()),
        other=_termset([("other", "", t) for t in gen("OTHER_NEWS", "other_news")], frozenset()),
        after=_after_pattern(sorted(after_srcs, key=len, reverse=True)),
        cased=cased,
        canonical=canonical,
        kinds=_expand_kinds(kinds),
        name_filter=_name_filter(mention_entries),
        lazy=not lists["exclude"],
        cased_hint=Literals.of({a[:4] for a in lists["cased_aliases"]}) if cased is not None else None,
    )
    return Topic(
        name=name, aliases=tuple(aliases), cased_aliases=tuple(lists["cased_aliases"]),
        weak_aliases=tuple(lists["weak_aliases"]), references=tuple(lists["references"]),
        vocabulary=tuple((k, tuple(v)) for k, v in vocab.items()), kinds=tuple(kinds), threshold=threshold,
        preset=preset_name, description=description, compiled=compiled,
    )
