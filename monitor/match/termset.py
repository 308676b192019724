"""Compiled term sets: the vocabulary of a topic as a few regexes scanned in one pass.

A term is written as in ``lexicon.py`` (plain words with ``*`` and ``$`` gaps, or ``re:``);
:func:`term_source` turns it into regex atoms on folded text, and :class:`TermSet` compiles many
terms into a prefix tree of plain words plus grouped regexes, so that finding every hit of a
topic's vocabulary in an item costs one pass (:meth:`TermSet.finditer`,
:meth:`TermSet.finditer_fields`). Pure: no I/O.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.match.text import fold

__all__ = ["Term", "TermSet", "term_source"]


@dataclass(frozen=True, slots=True)
class Term:
    """One compiled vocabulary entry."""

    role: str                 # "entity" | "weak" | "ref" | "cue" | "outflow" | "background" | "status" | ...
    kind: str                 # event kind for cues, label for outflow/status, "" otherwise
    text: str                 # as written in the preset or config
    weak: bool = False        # a weak cue needs an amount or a second cue
    needs_amount: bool = False
    entity_after: bool = False
    backward: bool = False    # background span runs back to the previous comma


_GAP = r"(?:[^.;!?]|\.(?=\d)){1,40}?"
_SEP = r"[\s\-]+"
_OPT_HYPHEN = r"[\s\-]?"
_STAR = r"[\w\-]*"
_APOS = r"['\s]?"
_INNER = "(?#inner)"   # marks a term that may start inside a word
_SPECIAL = (_GAP, _SEP, _OPT_HYPHEN, _STAR, _APOS)
_LATIN = "0-9a-z"
_LATIN_RE = re.compile(f"[{_LATIN}]")


_PARSER: Any = importlib.import_module("re._parser")  # the stdlib's own regex parser (3.11+), for analysis only
_CJK_RE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _required_literal(src: str) -> str | None:
    """A literal every match of ``src`` contains (the longest top-level run), used as a cheap prefilter."""
    try:
        parsed = _PARSER.parse(src)
    except Exception:  # noqa: BLE001  any failure just disables the prefilter
        return None
    best = cur = ""
    for op, av in parsed:
        if op is _PARSER.LITERAL:
            cur += chr(av)
        else:
            best, cur = max(best, cur, key=len), ""
    best = max(best, cur, key=len)
    return best if len(best.strip()) >= 3 else None  # short literals are everywhere: no use


def _required_any(src: str) -> tuple[str, ...] | None:
    """Literals one of which every match of ``src`` contains ("(?:shares|stock) ..."), for a cheap prefilter."""
    try:
        parsed = _PARSER.parse(src)
    except Exception:  # noqa: BLE001
        return None

    def firsts(items: Any) -> set[str]:
        """Literal prefixes, one of which starts every match of the sequence ("" when unknown)."""
        if not items:
            return {""}
        op, av = items[0]
        if op is _PARSER.LITERAL:
            return {chr(av) + x for x in firsts(items[1:])}
        if op is _PARSER.BRANCH:
            return set().union(*(firsts(alt) for alt in av[1]))
        if op is _PARSER.SUBPATTERN:
            return firsts(av[-1])
        return {""}

    candidates: list[tuple[str, ...]] = []
    run = ""
    for op, av in list(parsed) + [(None, None)]:
        if op is _PARSER.LITERAL:
            run += chr(av)
            continue
        if len(run.strip()) >= 3 or _CJK_RE.search(run):
            candidates.append((run,))
        run = ""
        if op is _PARSER.SUBPATTERN or op is _PARSER.BRANCH:
            alts = list(firsts([(op, av)]))
            if len(alts) <= 24 and all(len(a.strip()) >= 3 for a in alts):
                candidates.append(tuple(sorted({a for a in alts if not any(b != a and b in a for b in alts)})))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(len(x) for x in c), -len(c)))


_KEY_DELETE = str.maketrans("", "", " \t\n\r-'\u00a0")


def _key(s: str) -> str:
    return s.translate(_KEY_DELETE)


def _expand(src: str, limit: int = 4000) -> list[str] | None:
    """All strings a simple pattern can match (literals, alternations, optional parts, tiny classes).

    Such patterns then join the prefix tree instead of being scanned on their own. None when the
    pattern is not that simple or has more than ``limit`` forms.
    """
    try:
        parsed = _PARSER.parse(src)
    except Exception:  # noqa: BLE001
        return None

    def seq(items: Any) -> list[str] | None:
        out = [""]
        for op, av in items:
            opts = one(op, av)
            if opts is None:
                return None
            out = [a + b for a in out for b in opts]
            if len(out) > limit:
                return None
        return out

    def one(op: Any, av: Any) -> list[str] | None:
        if op is _PARSER.LITERAL:
            return [chr(av)]
        if op is _PARSER.SUBPATTERN:
            return seq(av[-1])
        if op is _PARSER.BRANCH:
            res: list[str] = []
            for alt in av[1]:
                sub = seq(alt)
                if sub is None:
                    return None
                res += sub
            return res
        if op in (_PARSER.MAX_REPEAT, _PARSER.MIN_REPEAT) and av[0] in (0, 1) and av[1] == 1:
            sub = seq(av[2])
            return None if sub is None else ([""] if av[0] == 0 else []) + sub
        if op is _PARSER.IN and len(av) <= 3 and all(o is _PARSER.LITERAL for o, _ in av):
            return [chr(c) for _, c in av]
        return None

    forms = seq(parsed)
    return sorted(set(forms)) if forms and all(f.strip() for f in forms) else None


def _alternation(members: Sequence[tuple[re.Pattern[str], Term]]) -> tuple[re.Pattern[str], dict[int, Term]]:
    """One pattern for several, and which outer group names which term."""
    parts, index, g = [], {}, 1
    for rx, term in members:
        parts.append(f"({rx.pattern})")
        index[g] = term
        g += 1 + rx.groups
    return re.compile("|".join(parts)), index


def _start_literals(src: str, width: int = 8, limit: int = 64) -> tuple[str, ...] | None:
    """Literals (at most ``width`` characters) one of which starts every match of ``src``; None when unknown.

    Leading zero-width assertions are stepped over ("(?<![a-z])(?:sell|sold) ..." gives "sell", "sold").
    A scan can then try the expression only where one of them occurs, instead of at every position:
    Python's engine cannot skip ahead when a pattern starts with a look-behind or a capture group.
    """
    try:
        parsed = _PARSER.parse(src)
    except Exception:  # noqa: BLE001  any failure just disables the shortcut
        return None
    if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
        return None

    def seq(items: list[Any], room: int) -> list[str] | None:
        """Literal prefixes of the matches of ``items`` (truncated to ``room``); "" ends a prefix early."""
        if room == 0 or not items:
            return [""]
        op, av = items[0]
        if op is _PARSER.LITERAL:
            rest = seq(items[1:], room - 1)
            return None if rest is None else [chr(av) + r for r in rest]
        if op in (_PARSER.ASSERT, _PARSER.ASSERT_NOT, _PARSER.AT):
            return seq(items[1:], room)
        if op is _PARSER.SUBPATTERN:
            if av[1] & (re.IGNORECASE | re.LOCALE):
                return None
            return seq(list(av[-1]) + items[1:], room)
        if op is _PARSER.BRANCH:
            out: list[str] = []
            for alt in av[1]:
                sub = seq(list(alt) + items[1:], room)
                if sub is None or len(out) + len(sub) > limit:
                    return None
                out += sub
            return out
        return [""]

    found = seq(list(parsed), width)
    if not found or "" in found:
        return None
    return _fewest_prefixes(found)


def _fewest_prefixes(literals: Sequence[str], most: int = 8) -> tuple[str, ...]:
    """Prefixes of ``literals``, at most ``most`` of them if shortening to 3 characters allows it.

    Every string that starts with one of ``literals`` starts with one of the result. A literal that
    another one starts is dropped: the shorter one finds the same places.
    """
    out: tuple[str, ...] = ()
    longest = max(map(len, literals))
    for width in range(longest, min(longest, 3) - 1, -1):
        cut = {x[:width] for x in literals}
        out = tuple(sorted(x for x in cut if not any(y != x and x.startswith(y) for y in cut)))
        if len(out) <= most:
            break
    return out


_SPACE_CATEGORIES = {"CATEGORY_SPACE", "CATEGORY_NOT_DIGIT", "CATEGORY_NOT_WORD", "CATEGORY_NOT_LINEBREAK",
                     "CATEGORY_UNI_SPACE", "CATEGORY_UNI_NOT_DIGIT", "CATEGORY_UNI_NOT_WORD",
                     "CATEGORY_UNI_NOT_LINEBREAK", "CATEGORY_LOC_NOT_WORD"}
_SAFE_AT = {"AT_BOUNDARY", "AT_NON_BOUNDARY", "AT_UNI_BOUNDARY", "AT_UNI_NON_BOUNDARY"}


def _matches_space(item: tuple[Any, Any]) -> bool | None:
    """Does a one-character item of a parsed pattern match " "? None when it is not one character."""
    op, av = item
    if op is _PARSER.LITERAL:
        return bool(av == 32)
    if op is _PARSER.NOT_LITERAL:
        return bool(av != 32)
    if op is _PARSER.IN:
        hit, negate = False, False
        for sub_op, sub_av in av:
            if sub_op is _PARSER.NEGATE:
                negate = True
            elif sub_op is _PARSER.LITERAL:
                hit = hit or sub_av == 32
            elif sub_op is _PARSER.RANGE:
                hit = hit or sub_av[0] <= 32 <= sub_av[1]
            elif sub_op is _PARSER.CATEGORY:
                hit = hit or str(sub_av) in _SPACE_CATEGORIES
            else:
                return None
        return hit != negate
    return None


def _boundary_safe(src: str) -> bool:
    """True when ``src`` reads the end (start) of a text exactly as it reads a space after (before) it.

    Then scanning ``first + " | " + second`` finds what scanning each alone finds, except where a
    match touches the separator (checked at scan time). Allowed: ``\\b``/``\\B`` and look-arounds of
    one character that cannot be a space ("(?<![a-z])", "(?![0-9a-z])", "(?=\\d)"); ``^``, ``$`` and
    wider look-arounds are not.
    """
    try:
        parsed = _PARSER.parse(src)
    except Exception:  # noqa: BLE001
        return False

    def ok(items: Any) -> bool:
        for op, av in items:
            if op is _PARSER.AT:
                if str(av) not in _SAFE_AT:
                    return False
            elif op in (_PARSER.ASSERT, _PARSER.ASSERT_NOT):
                body = list(av[1])
                if len(body) != 1 or _matches_space(body[0]) is not False:
                    return False
            elif op is _PARSER.SUBPATTERN:
                if not ok(av[-1]):
                    return False
            elif op is _PARSER.BRANCH:
                if not all(ok(alt) for alt in av[1]):
                    return False
            elif op in (_PARSER.MAX_REPEAT, _PARSER.MIN_REPEAT, _PARSER.POSSESSIVE_REPEAT):
                if not ok(av[2]):
                    return False
            elif op is _PARSER.ATOMIC_GROUP:
                if not ok(av):
                    return False
            elif op is _PARSER.GROUPREF_EXISTS:
                if not ok(av[1]) or (av[2] is not None and not ok(av[2])):
                    return False
        return True

    return ok(parsed)


def _regex_matches(rx: re.Pattern[str], starts: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """``list(rx.finditer(text))``, trying ``rx`` only where one of its start literals occurs
    (``starts``: their alternation; a single literal is searched as fast as ``str.find``).

    Same matches in the same order: every match begins with one of the literals (see
    :func:`_start_literals`), so the leftmost match from a position is at the first such place
    where ``rx`` matches; matches are never empty, so the next search starts at the match's end.
    """
    out: list[re.Match[str]] = []
    pos = 0
    search = starts.search
    while (t := search(text, pos)) is not None:
        i = t.start()
        m = rx.match(text, i)
        if m is None:
            pos = i + 1
        else:
            out.append(m)
            pos = max(m.end(), i + 1)
    return out


def _matches_at(rx: re.Pattern[str], positions: list[int], text: str) -> list[re.Match[str]]:
    """``list(rx.finditer(text))`` when every match starts at one of ``positions`` (ascending)."""
    out: list[re.Match[str]] = []
    pos = 0
    for i in positions:
        if i >= pos and (m := rx.match(text, i)) is not None:
            out.append(m)
            pos = max(m.end(), i + 1)
    return out


def _factored(lead: str, members: Sequence[tuple[list[str], str]]) -> str | None:
    """``lead(?:(rest1)|(rest2)|...)`` for members that all start with the literal atoms of ``lead``.

    Same matches as ``(m1)|(m2)|...`` and the same group numbers, but the expression starts with
    a literal, so the engine jumps from one occurrence of ``lead`` to the next at C speed.
    """
    head: str | None = None
    rests: list[str] = []
    for atoms, end in members:
        first = atoms[:len(lead)]
        if len(first) < len(lead) or any(len(a.replace("\\", "")) != 1 for a in first) or \
                "".join(a.replace("\\", "") for a in first) != lead:
            return None
        if head is None:
            head = "".join(first)
        elif "".join(first) != head:
            return None
        rests.append("(" + "".join(atoms[len(lead):]) + end + ")")
    return None if head is None else head + "(?:" + "|".join(rests) + ")"


def _starts_after_non_letter(src: str) -> bool:
    """Does ``src`` begin with "(?<![a-z])" (or a look-behind excluding more), so it matches only where no letter precedes?"""
    try:
        parsed = list(_PARSER.parse(src))
    except Exception:  # noqa: BLE001
        return False
    if not parsed or parsed[0][0] is not _PARSER.ASSERT_NOT or parsed[0][1][0] != -1:
        return False
    body = list(parsed[0][1][1])
    return len(body) == 1 and body[0][0] is _PARSER.IN and any(
        op is _PARSER.RANGE and av[0] <= ord("a") and av[1] >= ord("z") for op, av in body[0][1])


def _literal_trie(literals: Sequence[str]) -> str:
    """One pattern for several literals, as a prefix tree that prefers the longest at a position."""
    tree: dict[str, Any] = {}
    for lit in literals:
        node = tree
        for ch in lit:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if "" in node:
            alts.append("")  # the literal ends here: tried after every longer one
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(tree)


Hit = tuple[int, int, Term]


class TermSet:
    """Many terms in one regular expression: one pass over a text finds them all.

    Plain terms are compiled into a prefix tree without capture groups (groups make Python's
    engine slow with hundreds of terms); the matched words, separators removed, name the term
    through a dict (``*`` terms through their prefix). Latin-script terms must start after a
    non-letter, and the expression starts with that separator, so the engine skips mid-word
    positions at C speed. Terms in scripts without spaces (CJK) get their own tree, run only on
    such text. ``re:`` terms and terms with a ``$`` gap are run one by one, each behind a literal
    prefilter when one can be derived.

    Speed: a group of ``$``-gap terms shares its first letters, which are factored out of the
    alternation so that the engine can search for them; a group of ``re:`` terms is tried only
    where one of its start literals occurs (:func:`_regex_matches`). :meth:`finditer_fields` scans
    two fields in one pass where that provably finds the same hits (``joinable``).
    """

    __slots__ = ("cache", "cjk", "exact", "gap_groups", "gaps", "grouped", "inner", "joinable", "latin", "regexes",
                 "star", "star_lengths", "trigger", "trigger_units", "untriggered")

    def __init__(self, terms: Sequence[Term], sources: Sequence[str | list[str]]) -> None:
        self.regexes: list[tuple[str | None, re.Pattern[str], Term]] = []
        self.gaps: list[tuple[str, re.Pattern[str], Term]] = []
        gap_atoms: list[tuple[list[str], str]] = []   # each gap term's atoms and end, for factoring
        self.inner: list[tuple[str, re.Pattern[str], Term]] = []
        self.exact: dict[str, list[Term]] = {}
        self.star: dict[str, list[Term]] = {}
        plain: list[list[str]] = []      # prefix-tree terms, built into their trees last (see the end)
        expanded_terms: list[Term] = []
        expanded_srcs: list[str | list[str]] = []
        for term, src in zip(terms, sources, strict=True):
            forms = _expand(src) if isinstance(src, str) else None
            if forms is None:
                expanded_terms.append(term)
                expanded_srcs.append(src)
                continue
            for form in forms:
                atoms, _ = term_source(form.replace("*", ""))
                expanded_terms.append(term)
                expanded_srcs.append(atoms)
        for term, src in zip(expanded_terms, expanded_srcs, strict=True):
            if isinstance(src, str) and src.startswith(_INNER):
                body = src[len(_INNER):]
                lead = re.sub(r"\\(.)", r"\1", re.split(r"[\[(]", body)[0])
                self.inner.append((lead, re.compile(body), term))
                continue
            if isinstance(src, str):
                self.regexes.append((_required_literal(src), re.compile(src), term))
                continue
            if not src:
                continue
            if _GAP in src:
                # starts with a literal (fast search); the left word boundary is checked after the match
                first = next(i for i, a in enumerate(src) if a in (_GAP, _SEP, _STAR, _OPT_HYPHEN, _APOS))
                lead = "".join(a.replace("\\", "") for a in src[:first])
                end = f"(?![{_LATIN}])" if src[-1] not in _SPECIAL and _LATIN_RE.fullmatch(src[-1]) else ""
                self.gaps.append((lead, re.compile("".join(src) + end), term))
                gap_atoms.append((src, end))
                continue
            if _STAR in src[:-1]:
                # "burn* cash": the prefix tree names a hit by its words, which a "*" inside the term
                # cannot give, so the term is a regex that starts after a non-letter, like a "re:" term
                end = f"(?![{_LATIN}])" if src[-1] not in _SPECIAL and _LATIN_RE.fullmatch(src[-1]) else ""
                pattern = f"(?<![{_LATIN}])" + "".join(src) + end
                self.regexes.append((_required_literal(pattern), re.compile(pattern), term))
                continue
            plain.append(src)
            literal = "".join(a.replace("\\", "") for a in src if a not in _SPECIAL)
            target = self.star if src[-1] == _STAR else self.exact
            bucket = target.setdefault(_key(literal), [])
            if not any((t.role, t.kind) == (term.role, term.kind) for t in bucket):
                bucket.append(term)
        self.star_lengths = sorted({len(k) for k in self.star}, reverse=True)
        self.cache: dict[str, list[Term]] = {}
        by_lead: dict[str, list[tuple[re.Pattern[str], Term]]] = {}
        atoms_by_lead: dict[str, list[tuple[list[str], str]]] = {}
        for (lead, rx, term), gap in zip(self.gaps, gap_atoms, strict=True):
            by_lead.setdefault(lead[:5], []).append((rx, term))
            atoms_by_lead.setdefault(lead[:5], []).append(gap)
        # (" " + lead: the prefilter, the pattern, group number -> term)
        self.gap_groups: list[tuple[str, re.Pattern[str], dict[int, Term]]] = []
        for lead, members in by_lead.items():
            rx, index = _alternation(members)
            factored = _factored(lead, atoms_by_lead[lead])
            self.gap_groups.append((" " + lead, re.compile(factored) if factored else rx, index))
        groups: dict[tuple[str, ...] | None, list[tuple[re.Pattern[str], Term]]] = {}
        for lit, rx, term in self.regexes:
            key: tuple[str, ...] | None
            if lit is not None:  # a shorter common core lets terms share one prefilter and one scan
                runs = re.findall(f"[{_LATIN}]{{3,}}", lit)
                key = (max(runs, key=len)[:6] if runs else lit.strip(),)
            else:
                key = _required_any(rx.pattern)
            groups.setdefault(key, []).append((rx, term))
        # (prefilter literals, the pattern, group number -> term, start literals or None)
        self.grouped: list[tuple[tuple[str, ...] | None, re.Pattern[str], dict[int, Term],
                                 re.Pattern[str] | None]] = []
        for gate, members in groups.items():
            rx, index = _alternation(members)
            starts: re.Pattern[str] | None = None
            found = [_start_literals(m.pattern) for m, _ in members]
            if all(found):
                union = _fewest_prefixes([x for f in found for x in f or ()])
                starts = re.compile("|".join(map(re.escape, union)))
            self.grouped.append((gate, rx, index, starts))
        self._build_trigger(list(by_lead), [
            (_fewest_prefixes([x for m, _ in members for x in _start_literals(m.pattern) or ()])
             if all(_starts_after_non_letter(m.pattern) and _start_literals(m.pattern) for m, _ in members) else None)
            for members in groups.values()])
        # trie terms (latin, cjk) are safe by construction: their only look-around is "(?![0-9a-z])"
        self.joinable = all(_boundary_safe(rx.pattern) for rx in
                            [r for _, r, _ in self.regexes] + [r for _, r, _ in self.gaps] + [r for _, r, _ in self.inner])
        # The prefix trees last: they and their compilation are most of the memory it takes to
        # build a term set (several MiB for a few thousand terms), all of it garbage afterwards.
        # Built after every object that stays, that memory goes back whole; built in between,
        # the long-lived objects allocated among it keep the allocator's arenas resident
        # (~1 MiB less for the daemon; docs/performance.md).
        latin: dict[Any, Any] = {}
        cjk: dict[Any, Any] = {}
        for src in plain:
            node = cjk if _CJK_RE.match(src[0]) else latin
            for atom in src:
                node = node.setdefault(atom, {})
            node[None] = f"(?![{_LATIN}])" if src[-1] not in _SPECIAL and _LATIN_RE.fullmatch(src[-1]) else ""
        self.latin = re.compile(f"[^{_LATIN}]" + self._emit(latin)) if latin else None
        self.cjk = re.compile(self._emit(cjk)) if cjk else None

    def _build_trigger(self, leads: list[str], word_starts: list[tuple[str, ...] | None]) -> None:
        """One pass over a text to find where the gap groups and most ``re:`` groups can begin.

        A gap group is read only in a field where some word starts with its lead (" inves"); a
        ``re:`` group whose patterns all begin with "(?<![a-z])" can only match after a non-letter,
        at one of its start literals. ``trigger`` finds, after each non-letter, the longest of all
        these literals; the units of the literals it starts with are triggered there too.
        ``trigger_units[literal]`` = (gap groups, ``re:`` groups); ``untriggered``: the other ``re:`` groups.
        """
        literals: dict[str, tuple[set[int], set[int]]] = {}
        for u, lead in enumerate(leads):
            literals.setdefault(lead, (set(), set()))[0].add(u)
        for u, starts in enumerate(word_starts):
            for lit in starts or ():
                literals.setdefault(lit, (set(), set()))[1].add(u)
        self.untriggered = [u for u, starts in enumerate(word_starts) if not starts]
        self.trigger = re.compile("[^a-z](?=(" + _literal_trie(list(literals)) + "))") if literals else None
        self.trigger_units: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        for lit in literals:
            opened = [units for other, units in literals.items() if lit.startswith(other)]
            self.trigger_units[lit] = (tuple(sorted(set().union(*(g for g, _ in opened)))),
                                       tuple(sorted(set().union(*(r for _, r in opened)))))

    def _emit(self, node: dict[Any, Any]) -> str:
        alts: list[str] = [str(atom) + self._emit(node[atom])
                for atom in sorted((k for k in node if k is not None), key=lambda a: a in _SPECIAL)]
        if None in node:
            alts.append(str(node[None]))
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    def _lookup(self, words: str) -> list[Term]:
        k = _key(words)
        found = self.exact.get(k)
        if found is None:
            found = []
            for n in self.star_lengths:
                if n <= len(k) and k[:n] in self.star:
                    found = self.star[k[:n]]
                    break
        if len(self.cache) < 50_000:
            self.cache[words] = found
        return found

    def finditer(self, text: str) -> list[Hit]:
        """Every hit as (start, end, term), ordered by start; one text position may carry several terms."""
        return self._scan(text, len(text) + 1, len(text) + 1)[0]

    def finditer_fields(self, first: str, second: str, sep: str) -> tuple[list[Hit], int]:
        """Hits in ``first + sep + second``, and how many of them are in ``first``.

        The same hits as :meth:`finditer` on each field alone (offsets in the joined text), in one
        pass: the per-call work is done once. ``sep`` must start and end with a space; when a
        match touches it, or a pattern could read across it (not ``joinable``), the fields are
        scanned one by one instead.
        """
        lo = len(first)
        hi = lo + len(sep)
        if self.joinable and sep[:1] == " " and sep[-1:] == " ":
            out, crossed = self._scan(first + sep + second, lo, hi)
            if not crossed:
                n = 0
                for h in out:
                    if h[0] >= lo:
                        break
                    n += 1
                return out, n
        head = self.finditer(first)
        return head + [(a + hi, b + hi, t) for a, b, t in self.finditer(second)], len(head)

    def _scan(self, text: str, lo: int, hi: int) -> tuple[list[Hit], bool]:
        """Hits of ``text``, and whether any match (even one not kept) overlaps ``text[lo:hi]``."""
        out: list[Hit] = []
        crossed = False
        spaced = " " + text   # the latin tree and the trigger start with the non-letter before a word
        if self.latin is not None:
            cache = self.cache
            for m in self.latin.finditer(spaced):
                a, b = m.span()
                b -= 1
                if b > lo and a < hi:
                    crossed = True
                found = cache.get(text[a:b])
                if found is None:
                    found = self._lookup(text[a:b])
                for t in found:
                    out.append((a, b, t))
        n_latin = len(out)
        if self.cjk is not None and not text.isascii() and _CJK_RE.search(text):
            for m in self.cjk.finditer(text):
                a, b = m.span()
                if b > lo and a < hi:
                    crossed = True
                out += [(a, b, t) for t in self._lookup(m.group())]
        if not (self.grouped or self.gap_groups or self.inner):  # prefix trees only (status words, say)
            if len(out) > n_latin:
                out.sort(key=_hit_order)
            return out, crossed
        gap_fields: dict[int, int] = {}        # gap group -> fields where a word starts with its lead
        positions: dict[int, list[int]] = {}   # triggered re: group -> where it may match
        if self.trigger is not None:
            units = self.trigger_units
            for g in self.trigger.finditer(spaced):
                q = g.start()  # where the literal starts in ``text`` (the non-letter is just before it)
                gap_units, rx_units = units[g.group(1)]
                if gap_units and spaced[q] == " ":
                    bit = 1 if q < lo else 2
                    for u in gap_units:
                        gap_fields[u] = gap_fields.get(u, 0) | bit
                for u in rx_units:
                    if u in positions:
                        positions[u].append(q)
                    else:
                        positions[u] = [q]
        matched: list[tuple[int, list[re.Match[str]]]] = [
            (u, _matches_at(self.grouped[u][1], at, text)) for u, at in positions.items()]
        for u in self.untriggered:
            lits, rx, _, starts = self.grouped[u]
            if lits is not None:
                for x in lits:
                    if x in text:
                        break
                else:
                    continue
            matched.append((u, list(rx.finditer(text)) if starts is None else _regex_matches(rx, starts, text)))
        if len(matched) > 1:
            matched.sort(key=_first)  # in the groups' order, as the order of equal hits depends on it
        for u, found_u in matched:
            index = self.grouped[u][2]
            for m in found_u:
                a, b = m.span()
                if b > lo and a < hi:
                    crossed = True
                if b > a:
                    out.append((a, b, index[m.lastindex]))  # type: ignore[index]
        # A gap group is read only in a field where some word starts with its lead: a condition of
        # the field, not of the match ("l'investimento" counts only where another word starts with
        # "invest"), so each side of a join is tested on its own: bit 1 for the first, 2 for the second.
        for u in sorted(gap_fields):
            _, rx, index = self.gap_groups[u]
            bits = gap_fields[u]
            for m in rx.finditer(text):
                a, b = m.span()
                if b > lo and a < hi:
                    crossed = True
                if not (a and text[a - 1].isalnum()) and bits & (1 if a < lo else 2):
                    out.append((a, b, index[m.lastindex]))  # type: ignore[index]
        for lead, rx, t in self.inner:
            if lead in text:
                for m in rx.finditer(text):
                    a, b = m.span()
                    if b > lo and a < hi:
                        crossed = True
                    if a and text[a - 1].isalpha():  # only inside a word: whole words are plain terms
                        out.append((a, b, t))
        if len(out) > n_latin:
            out.sort(key=_hit_order)  # (the latin hits alone are in this order already)
        return out, crossed


def _hit_order(h: Hit) -> tuple[int, int]:
    """By start, the longer first."""
    return h[0], h[0] - h[1]


def _first(item: tuple[int, Any]) -> int:
    return item[0]


def term_source(term: str) -> tuple[str | list[str], dict[str, bool]]:
    """Regex (``re:`` terms) or list of regex atoms (plain terms) on folded text, and the flags."""
    t = term.strip()
    flags = {"needs_amount": False, "entity_after": False, "backward": False}
    if t.startswith("<"):
        flags["backward"], t = True, t[1:].strip()
    while t.endswith((" $", " >")):
        flags["needs_amount" if t.endswith("$") else "entity_after"] = True
        t = t[:-2].rstrip()
    if t.startswith("re:"):
        return t[3:], flags
    if t.startswith("*") and len(t) > 1:  # inside a compound word: "*verlust" matches "Milliardenverlust"
        body, star = fold(t[1:]), t.endswith("*")
        src = re.escape(body.rstrip("*")) + (r"[\w\-]*" if star else f"(?![{_LATIN}])")
        return _INNER + src, flags
    atoms: list[str] = []
    for w in fold(t).split():
        if atoms:
            atoms.append(_SEP)
        if w == "$":
            flags["needs_amount"] = True
            atoms.append(_GAP)
            continue
        star = w.endswith("*") and len(w) > 1
        w = w.rstrip("*") if star else w
        w = w.rstrip("-") or w
        for ch in w:
            atoms.append(_OPT_HYPHEN if ch == "-" else _APOS if ch == "'" else re.escape(ch))
        if star:
            atoms.append(_STAR)
    return atoms, flags


@dataclass(frozen=True, slots=True)
class Literals:
    """Literals one of which every match of some terms contains (every name of the entity, say): a cheap first test.

    ``in`` per literal finds them several times faster than one regex of their alternation
    (which tries every position starting like one of them), and ASCII text is searched for the
    ASCII literals only, as it cannot hold the others.
    """

    all: tuple[str, ...]
    ascii: tuple[str, ...]

    @classmethod
    def of(cls, literals: Sequence[str] | set[str]) -> Literals:
        """The literals, without those that contain another (found wherever that one is), longest first."""
        kept = sorted((x for x in literals if not any(y != x and y in x for y in literals)), key=lambda x: (-len(x), x))
        return cls(tuple(kept), tuple(x for x in kept if x.isascii()))

    def found_in(self, text: str) -> bool:
        """Does ``text`` contain one of the literals?"""
        for lit in self.ascii if text.isascii() else self.all:
            if lit in text:
                return True
        return False


def _name_filter(entries: Sequence[tuple[str, str, str]]) -> Literals | None:
    """Literals such that every name of the entity contains one of them (None: no such set)."""
    lits: set[str] = set()
    for _, _, text in entries:
        src, _ = term_source(text)
        if isinstance(src, str):
            if src.startswith(_INNER):
                return None
            one = _required_literal(src)
            found: tuple[str, ...] | None = (one,) if one else _required_any(src)
            if not found:
                return None
            lits.update(found)
            continue
        lead = ""
        for atom in src:
            if atom in _SPECIAL:
                break
            lead += atom.replace("\\", "")
        if len(lead) < 2 and not _CJK_RE.search(lead):
            return None
        lits.add(lead)
    if not lits:
        return None
    return Literals.of(lits)


def _source_regex(src: str | list[str]) -> str:
    return src if isinstance(src, str) else "".join(src)


def _termset(entries: Sequence[tuple[str, str, str]], weak_terms: frozenset[str]) -> TermSet:
    terms: list[Term] = []
    srcs: list[str | list[str]] = []
    for role, kind, text in entries:
        src, fl = term_source(text)
        weak = role == "cue" and (text in weak_terms or fold(text) in weak_terms)
        terms.append(Term(role, kind, text, weak=weak, **fl))
        srcs.append(src)
    return TermSet(terms, srcs)
