"""Text normalization for matching. Contains no business logic.

Two stages:

* :func:`clean` repairs what feeds do to text (HTML tags and entities, mojibake,
  format characters, one word per line, web-page leftovers) and keeps case, so
  that case-sensitive aliases ("Open AI" vs generic "open AI") can still be told apart.
* :func:`fold` turns cleaned text into the form every rule is matched against:
  NFKC, casefold, accents removed from Latin letters, typographic quotes and dashes
  unified, traditional Chinese characters mapped to simplified ones.

Both keep the text's length roughly stable but never promise offsets across stages:
the engine matches only on folded text and quotes snippets from it.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["clean", "fold", "is_caption", "nfkc", "printable", "sentence_spans", "split_sentences", "strip_junk"]

_TAG_RE = re.compile(r"<[^>]{0,400}>")
_WS_RE = re.compile(r"\s+")
_WS_NEEDED = re.compile(r"\s\s|[^\S ]")
# Runs that look like UTF-8 read as cp1252/Latin-1: a lead byte char followed by continuation chars.
_MOJIBAKE_RE = re.compile(
    "(?:[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{1,3})+"
)


def _fix_mojibake_run(m: re.Match[str]) -> str:
    s = m.group(0)
    for enc in ("cp1252", "latin-1"):
        try:
            return s.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return s


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)
        if len(base) > 1 and base[0].isascii() and all(unicodedata.combining(c) for c in base[1:]):
            table[cp] = base[0]
    extra = {
        "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ı": "i", "\u0130": "i",
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2039": '"', "\u203a": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u3000": " ", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    }
    for k, v in extra.items():
        table[ord(k)] = v
    # Traditional -> simplified for characters that occur in money and company vocabulary.
    trad = ("資億萬營價額輪虧損達將據報為與開發對業證貸際銷員賣買購權籌們個來這該後時國華創當舉預計數總兩"
            "圓幣東倫騰訊紐約聯彈淨現產傳負債務餘運稅場裡點處優勢體經濟費實戶")
    simp = ("资亿万营价额轮亏损达将据报为与开发对业证贷际销员卖买购权筹们个来这该后时国华创当举预计数总两"
            "圆币东伦腾讯纽约联弹净现产传负债务余运税场里点处优势体经济费实户")
    for t, s in zip(trad, simp, strict=True):
        table[ord(t)] = s
    assert all(len(v) == 1 for v in table.values())  # folding keeps offsets
    return table


_FOLD_TABLE = _build_fold_table()
# Characters that folding changes: replacing each one present is several times faster than
# translating a whole text that has a few (str.translate looks up every character in a dict). No
# character maps to one that is changed in turn, so the order of the replacements does not matter.
_FOLD_CHAR = re.compile("[" + re.escape("".join(sorted(map(chr, _FOLD_TABLE)))) + "]")
assert not {ord(v) for v in _FOLD_TABLE.values()} & _FOLD_TABLE.keys()


_CF_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\u00ad]")

# Lines or tails that are page furniture rather than article text.
_JUNK_RE = re.compile(
    r"(?im)^\s*(?:tags?\s*:|read (?:more|also)\b|related\s*:|see also\b|more from\b|sign up\b|subscribe\b|"
    r"share\s*[·|]|share on\b|advertisement\b|scroll to continue|listen to this article|"
    r"à lire aussi|lire aussi|partager sur|lesen sie auch|mehr zum thema|anzeige\s*$|"
    r"leggi anche|lee también|leia também|veja também|lees ook|関連記事|相关阅读|延伸阅读)[^\n]*$"
)
_CAPTION_RE = re.compile(
    r"(?i)(?:\bphoto(?:grapher)?\s*:|\bfoto\s*:|\bcredit\s*:|\bimage\s*:|©|\(photo\b|getty images|"
    r"\bshutterstock\b|/\s*afp\b|\(\s*afp\s*/|\bhandout\b|photo d'illustration|\bbildquelle\b|\bimago\b)"
)


# Compatibility characters common in feeds ("…" ends most truncated summaries) and their NFKC forms.
# Each form is the character's full compatibility decomposition, so replacing it first leaves
# NFKD (the decomposed sequence, then canonical order) unchanged, and so NFKC.
_NFKC_SIMPLE = {"\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " "}
assert all(unicodedata.normalize("NFKD", k) == v == unicodedata.normalize("NFKC", k) for k, v in _NFKC_SIMPLE.items())


def nfkc(s: str) -> str:
    """``unicodedata.normalize("NFKC", s)``. The full normalization costs ~30 ns a character even
    where a text only needs its "…" spelled out; when replacing those characters leaves a
    normalized text, that text is the result (checking costs a tenth)."""
    t = s
    for ch, form in _NFKC_SIMPLE.items():
        if ch in t:
            t = t.replace(ch, form)
    if t is not s and unicodedata.is_normalized("NFKC", t):
        return t
    return unicodedata.normalize("NFKC", s)


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def printable(s: str) -> bool:
    """``s.isprintable()``; ASCII text (printable: 0x20-0x7e) is tested as bytes, several times faster
    than a Unicode category lookup per character."""
    if s.isascii():
        return not s.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return s.isprintable()


def clean(text: str | None) -> str:
    """Plain, case-preserving text: tags and entities gone, mojibake repaired, whitespace collapsed."""
    if not text:
        return ""
    s = str(text)
    if "<" in s:
        s = _TAG_RE.sub(" ", s)
    if "&" in s:
        s = html.unescape(s)
    if "Ã" in s or "â" in s or "Â" in s:
        s = _MOJIBAKE_RE.sub(_fix_mojibake_run, s)
    if not s.isascii():
        s = _CF_RE.sub("", nfkc(s))
    if "\n" in s:
        s = strip_junk(s)
    # Every whitespace character but " " is non-printable, so a printable text without "  " needs
    # nothing (checked at C speed before the regex, which has no literal to search for)
    if ("  " in s or not printable(s)) and _WS_NEEDED.search(s):
        s = _WS_RE.sub(" ", s)
    return s.strip()


def strip_junk(s: str) -> str:
    """Drop web-page furniture lines (tags, related links, share buttons, ad labels)."""
    if "\n" not in s:
        return s
    return _JUNK_RE.sub(" ", s)


# One of them is in every match of _CAPTION_RE, lowered ("in" per word is faster than one regex of them)
_CAPTION_HINTS = ("photo", "foto", "credit", "image", "©", "getty", "shutterstock", "afp", "handout", "illustration",
                  "bildquelle", "imago")


def is_caption(s: str) -> bool:
    """True when the text reads like a photo caption or credit line (works on cleaned or folded text)."""
    low = s.lower()
    for hint in _CAPTION_HINTS:
        if hint in low:
            return _CAPTION_RE.search(s) is not None
    return False


def fold(s: str) -> str:
    """Lower-case, accent-free form of cleaned text (CJK kept, traditional mapped to simplified).

    Keeps the length, so offsets found in the folded text are offsets in the cleaned text.
    """
    if s.isascii():
        return s.lower()
    if "\u0130" in s:
        s = s.replace("\u0130", "I")
    s = s.lower()
    for ch in set(_FOLD_CHAR.findall(s)):
        s = s.replace(ch, _FOLD_TABLE[ord(ch)])
    return s


# ``[.!?]+["'»”)]?\s+(?=[A-Z...])|[。！？]+|[;；]\s*|[|•·]\s+`` written to start with one character class
# (the look-behinds tell which alternative it was), so the engine skips to the next mark at C speed
_SENT_RE = re.compile(r"[.!?。！？;；|•·](?:(?<=[.!?])[.!?]*[\"'»”)]?\s+(?=[\"'«“(]?[A-ZÀ-ÖØ-Þ0-9¿¡\u3040-\u9fff])|"
                      r"(?<=[。！？])[。！？]*|(?<=[;；])\s*|(?<=[|•·])\s+)")


_ABBREV = re.compile(r"(?:(?<![^\s(])[A-Z]|\b(?:[Mm]rd|[Mm]io|[Mm]ds?|[Bb]n|[Mm]n|[Tt]sd|Dr|Mr|Mrs|Ms|Prof|Inc|Corp|Co|"
                     r"Ltd|St|Nr|No|[Vv]s|etc|[Cc]a|[Bb]zw|[Ii]nkl|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|"
                     r"[Ee]\.g|[Ii]\.e|U\.S|U\.K))\.$")
_SENT_HINT = re.compile(r"[.!?。！？;；|•·](?:(?<=[.!?])\S*\s|(?<=[。！？;；|•·]))")  # [.!?]\S*\s|[。！？;；|•·]


def sentence_spans(s: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of cleaned text; CJK full stops count."""
    if not _SENT_HINT.search(s):
        return [(0, len(s))] if s else []
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_RE.finditer(s):
        if s[m.start()] == "." and _ABBREV.search(s, max(0, m.start() - 8), m.start() + 1):
            continue  # "500 Mrd. Dollar", "U.S. investors", "T. Rowe Price": not the end of a sentence
        if m.end() > pos:
            spans.append((pos, m.end()))
        pos = m.end()
    if pos < len(s):
        spans.append((pos, len(s)))
    return spans


def split_sentences(s: str) -> list[str]:
    """Split cleaned (case-preserving) text into sentences; CJK full stops count."""
    return [p for p in (s[a:b].strip() for a, b in sentence_spans(s)) if p]
