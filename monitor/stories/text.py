"""Text folding and similarity for story clustering. Contains no business logic.

``fold`` gives the comparison form of feed text: NFKC, lower case, accents stripped, common
mojibake repaired, "OpenAl"/"Open AI" unified, a few traditional Chinese characters mapped to
their simplified forms, wire tags and datelines removed. ``grams`` turns folded text into a set
of character n-grams (trigrams for alphabetic scripts, bigrams for CJK) so that similarity
works on syndicated copies, truncated bodies and headline updates without tokenising.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "strip_wire_tags", "grams", "dice", "repair_mojibake", "is_cjk"]

# ---- mojibake (UTF-8 read as Latin-1 / cp1252) -----------------------------------------------

_MOJIBAKE_HINT = re.compile("[ÃÂâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
                            "\u02dc\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022"
                            "\u2026\u2030\u2039\u203a\u20ac\u2122 ]")
_MOJIBAKE_RUN = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                           "\u02c6\u02dc\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022"
                           "\u2026\u2030\u2039\u203a\u20ac\u2122]{1,3}")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1/cp1252 ("engagÃ©" -> "engagé"); other text
    is returned unchanged."""
    if not _MOJIBAKE_HINT.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    text = text.replace("Ã ", "à ")  # "à" whose second byte (NBSP) was folded to a space
    return _MOJIBAKE_RUN.sub(_repair_run, text)


def _repair_run(m: re.Match[str]) -> str:
    for codec in ("cp1252", "latin-1"):
        try:
            return m.group(0).encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return m.group(0)


# ---- folding ---------------------------------------------------------------------------------

_T2S = str.maketrans(
    "億萬資與業國發開會對為這經濟幣價營額體後輪領區達將實際場東們個來於從員買賣預報導創軟銀輝間長門電腦網華計劃"
    "務灣產無時現稱據顯於總參獲籌募亞馬遜蘋圖師變權證險營虧損貸約雙點億區觀",
    "亿万资与业国发开会对为这经济币价营额体后轮领区达将实际场东们个来于从员买卖预报导创软银辉间长门电脑网华计划"
    "务湾产无时现称据显于总参获筹募亚马逊苹图师变权证险营亏损贷约双点亿区观",
)
_WS = re.compile(r"\s+")
_OPENAI = re.compile(r"\bopen[\s-]?a[il]\b")
# Leading wire tags and datelines: "SAN FRANCISCO (dpa-AFX) -", "(Teleborsa) -", "BREAKING:",
# "UPDATE 2-", "San Francisco (EE.UU.), 2 oct (EFE).-", "财联社9月3日电，".
_LEAD_TAGS = (
    re.compile(r"^(?:breaking(?: news)?|exclusive|update(?: \d+)?|urgent|eilmeldung|exclusif|exclusiva|"
               r"ultima hora|flash|video|analysis|opinion)\s*[:\-–—|]+\s*"),
    re.compile(r"^[^()\n]{0,60}?\([^()]{1,40}\)(?:[^()\n]{0,25}\([^()]{1,20}\))?\s*[.,]?\s*[-–—:]+\s*"),
    re.compile(r"^[\u4e00-\u9fff（）()]{0,12}\d{1,2}月\d{1,2}日(?:电|電|讯|訊)[，,：:\s]*"),
    re.compile(r"^【[^】]{1,30}】\s*"),
)
# Trailing outlet credits: " - Reuters", " | Bloomberg", " – FT", ": report", "(AFP)".
_TRAIL_TAGS = (
    re.compile(r"\s+[-–—|]\s+[^-–—|]{1,40}$"),
    re.compile(r"\s*[:\-–—]\s*(?:report|reports|source|sources|sources say|bericht|rapport)\s*$"),
    re.compile(r"\s*\((?:afp|ap|reuters|dpa|efe|ansa|bloomberg|awp|apa|sda|lusa)\)\s*$"),
)


_FIGURE_IN_TAIL = re.compile(r"\d[\d.,]*\s?(?:%|[$€£¥]|(?:milliard|billion|million|trillion|mrd|md|mds|bn|mil|bi)"
                             r"|億|亿|兆|万)")


def strip_wire_tags(text: str) -> str:
    """``text`` (already folded) without leading wire tags/datelines and trailing outlet credits."""
    for _ in range(2):
        before = text
        for pat in _LEAD_TAGS:
            stripped = pat.sub("", text, count=1)
            if stripped != text and len(stripped) >= 12:
                text = stripped
        if text == before:
            break
    for pat in _TRAIL_TAGS:
        stripped = pat.sub("", text, count=1)
        # an outlet's name states no figure: "… – Anteil rund 135 Milliarden Dollar wert" is the headline
        if stripped != text and len(stripped) >= 20 and not _FIGURE_IN_TAIL.search(text, len(stripped)):
            text = stripped
    return text.strip()


@lru_cache(maxsize=2048)    # strings of <= ~2 KB: at most a few MiB for the daemon's lifetime
def fold(text: str) -> str:
    """Comparison form of ``text`` (see module docstring). Pure and cached."""
    if not text:
        return ""
    text = repair_mojibake(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not "\u0300" <= ch <= "\u036f")
    text = unicodedata.normalize("NFC", text).translate(_T2S)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = _WS.sub(" ", text).strip()
    return _OPENAI.sub("openai", text)


# ---- similarity ------------------------------------------------------------------------------

def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xAC00 <= o <= 0xD7AF


_CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")   # is_cjk's ranges
_NON_WORD = re.compile(r"[^\w\u3040-\u30ff\u3400-\u9fff]+")


@lru_cache(maxsize=256)     # a set is ~10-35 KB: enough for a topic's recent story members, not a store
def grams(folded: str) -> frozenset[str]:
    """Character trigrams of the words in ``folded`` (spaces collapsed to one ``_``) plus
    bigrams of CJK runs. Empty for empty text."""
    text = _NON_WORD.sub(" ", folded).strip()
    if not text:
        return frozenset()
    if not _CJK_CHAR.search(text):   # the common case: trigrams only, no walk per character
        joined = "_" + "_".join(text.split()) + "_"
        return frozenset(joined[i:i + 3] for i in range(len(joined) - 2))
    out: set[str] = set()
    latin: list[str] = []
    cjk_run: list[str] = []
    for ch in text:
        if is_cjk(ch):
            cjk_run.append(ch)
            latin.append(" ")
        else:
            if cjk_run:
                _cjk_bigrams(cjk_run, out)
                cjk_run = []
            latin.append(ch)
    if cjk_run:
        _cjk_bigrams(cjk_run, out)
    joined = "_" + "_".join("".join(latin).split()) + "_"
    if len(joined) > 2:
        out.update(joined[i:i + 3] for i in range(len(joined) - 2))
    return frozenset(out)


def _cjk_bigrams(run: list[str], out: set[str]) -> None:
    if len(run) == 1:
        out.add(run[0])
    out.update(run[i] + run[i + 1] for i in range(len(run) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two gram sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))
