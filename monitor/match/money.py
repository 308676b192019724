"""Money amounts in local formats, normalized to numbers. Contains no business logic.

Works on *folded* text (see :func:`monitor.match.text.fold`): lower case, accents removed.

Handles "$6.6B", "$300 B", "6,6 milliards de dollars", "6,6 Mrd. US-Dollar", "157 Md$",
"1.000 millones", "100 mil milhões", "un billón" (10^12), "US$ 2 bi", "66億ドル", "66亿美元",
"約2300億円", "zehn Milliarden Dollar", "€15 million". An amount needs a currency or a scale
word (million and up); bare numbers are never money.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from monitor.match.text import printable

__all__ = ["Amount", "extract_amounts", "extract_amounts_fields", "has_vague_amount", "parse_number"]


class Amount(NamedTuple):
    """One amount found in a text. A named tuple: built several times faster than a frozen dataclass."""

    value: float
    currency: str | None   # ISO 4217, None when the text gives only a scale ("157.000 millones")
    start: int
    end: int
    text: str
    vague: bool = False    # "billions of dollars", "plusieurs milliards": magnitude without a figure


_SCALES: dict[str, float] = {
    # 10^12
    "trillions": 1e12, "trillion": 1e12, "trilhoes": 1e12, "trilhao": 1e12, "billones": 1e12, "billon": 1e12,
    "billionen": 1e12, "biljoen": 1e12, "biljoenen": 1e12, "bilioni": 1e12, "tn": 1e12, "tln": 1e12,
    "trilioni": 1e12, "trilione": 1e12,  # Italian press: the English trillion (strictly 10^18, never money)
    "万亿": 1e12, "兆": 1e12,
    # 10^9
    "mil millones": 1e9, "mil milhoes": 1e9, "mil milioni": 1e9, "miliardi": 1e9, "miliardo": 1e9,
    "milliarden": 1e9, "milliarde": 1e9, "milliards": 1e9, "milliard": 1e9, "miljarden": 1e9, "miljard": 1e9,
    "mrd.": 1e9, "mrd": 1e9, "mld": 1e9, "mds": 1e9, "md": 1e9, "bilhoes": 1e9, "bilhao": 1e9,
    "billions": 1e9, "billion": 1e9, "bn": 1e9, "bln": 1e9, "bi": 1e9, "b": 1e9, "亿": 1e8,
    # 10^6
    "millions": 1e6, "million": 1e6, "millones": 1e6, "millon": 1e6, "milioni": 1e6, "milione": 1e6,
    "milhoes": 1e6, "milhao": 1e6, "millionen": 1e6, "miljoen": 1e6, "miljoenen": 1e6, "mio.": 1e6,
    "mio": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6, "百万": 1e6,
    # 10^3
    "thousand": 1e3, "mille": 1e3, "mil": 1e3, "tausend": 1e3, "duizend": 1e3, "k": 1e3, "万": 1e4, "千": 1e3,
}
_LATIN_SCALES = sorted((k for k in _SCALES if k.isascii()), key=len, reverse=True)
_CJK_SCALES = sorted((k for k in _SCALES if not k.isascii()), key=len, reverse=True)

_CURRENCIES: list[tuple[str, str]] = [
    # (folded pattern, ISO code); longest first within the regex
    (r"us\s?\$|u\.s\.\s?\$|usd|\$", "USD"),
    (r"us[- ]?dollars?|dollars?|dolares|dolar|dollari|dollaro|ドル|米ドル|美元|美金", "USD"),
    (r"€|eur|euros?|欧元|ユーロ", "EUR"),
    (r"£|gbp|pounds?(?: sterling)?|sterling", "GBP"),
    (r"¥|円|yen|日元", "JPY"),
    (r"人民币|元|yuan|rmb|cny", "CNY"),
    (r"₹|rupees?|inr", "INR"),
    (r"r\$|reais|brl", "BRL"),
    (r"chf|francs? suisses?|franken", "CHF"),
]


_CURRENCY_RES = [(re.compile(pat), code) for pat, code in _CURRENCIES]


def _currency_code(token: str) -> str | None:
    token = token.strip()
    for rx, code in _CURRENCY_RES:
        if rx.fullmatch(token):
            return code
    return None


_NUMBER_WORDS: dict[str, float] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "a": 1, "un": 1, "une": 1, "uno": 1, "una": 1, "um": 1, "uma": 1, "ein": 1, "eine": 1,
    "een": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
    "zehn": 10, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7,
    "otto": 8, "nove": 9, "dieci": 10, "dois": 2, "duas": 2, "quatro": 4, "oito": 8, "dez": 10,
    "twee": 2, "drie": 3, "vijf": 5, "zes": 6, "zeven": 7, "negen": 9, "tien": 10, "twenty": 20,
    "hundred": 100, "hundreds": 100, "cent": 100, "hundert": 100, "cien": 100, "cento": 100,
    # halves, before a singular scale word: "a half billion", "eine halbe Billion", "medio billon",
    # "mezzo miliardo", "meio bilhao", "un demi-milliard", "een half miljard" ("half a trillion": see _amount)
    "half": 0.5, "halbe": 0.5, "halben": 0.5, "medio": 0.5, "mezzo": 0.5, "meio": 0.5, "demi": 0.5,
}
_SINGULAR_SCALES = frozenset({"trillion", "billion", "million", "milliard", "milliarde", "billon", "millon",
                              "trilhao", "bilhao", "milhao", "trilione", "miliardo", "milione", "biljoen",
                              "miljard", "miljoen"})
# half words of long-scale languages only: the "billion" after them is 10^12 ("eine halbe Billion")
_LONG_SCALE_HALVES = frozenset({"halbe", "halben", "demi"})

_NUM = r"(?:\d{1,3}(?:[ .,']\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?!\d)"
_CUR_AFTER = (
    r"(?:(?:de |d'|di |of |van |do |da )?(?:us[- ]?dollars?|dollars?|dolares|dolar|dollari|dollaro|usd|"
    r"euros?|eur|yen|pounds?|sterling|rupees?|reais|yuan|rmb|chf|franken|\$))"
)
_CJK_CUR = r"(?:米ドル|ドル|美元|美金|円|日元|人民币|欧元|ユーロ|元)"
_LATIN_SCALE = "(?:" + "|".join(re.escape(s) for s in _LATIN_SCALES) + r")(?![a-z])"
_LONG_SCALE = "(?:" + "|".join(re.escape(s) for s in _LATIN_SCALES if len(s) > 3) + r")(?![a-z])"
_CJK_SCALE = "(?:" + "|".join(re.escape(s) for s in _CJK_SCALES) + ")"
_WORDNUM = r"(?<![a-z])(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_SYMBOL_CUR = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_PREFIXED_DOLLAR = {"r": "BRL", "c": "CAD", "a": "AUD", "s": "USD", "hk": "HKD", "nt": "TWD"}

# Number words: "zehn milliarden dollar", "un billon de dolares" (run only when a scale word is present)
# or joined by hyphens: "a half-billion-dollar deal", "un demi-milliard"
_WORD_RE = re.compile(rf"(?P<w6>{_WORDNUM})[\s-](?P<s6>{_LONG_SCALE})(?:(?:\s?|-(?=[a-z]))(?P<c6>{_CUR_AFTER})(?![a-z]))?")
_VAGUE_RE = re.compile(  # run on " " + text: the leading non-letter replaces a look-behind
    r"[^a-z](?:multi-?billion|multi-?million|multimilliard\w*|milliarden-|"
    r"(?:several|multiple|many|tens of|hundreds of|a few|plusieurs|des|quelques|dizaines de|centaines de|"
    r"mehrere|einige|etliche|varios|varias|decenas de|cientos de|miles de|diversi|decine di|centinaia di|"
    r"dezenas de|centenas de|meerdere|enkele|tientallen)\s(?:milliarden|milliards?|millones|millions?|"
    r"billions?|trillions?|miliardi|bilhoes|mil milhoes|miljard|miljoen|millionen)|"
    r"(?:billions|trillions|milliards|milliarden|miliardi|bilhoes|miljarden) (?:of |de |di |d')?"
    r"(?:dollars|dolares|dollari|euros?|us-dollar|dollar)|"
    r"(?:billions|trillions|milliards|milliarden|miliardi|bilhoes|miljarden|miles de millones)(?![a-z])|"
    r"数十亿|数百亿|数千亿|数十億|数百億|数千億|巨额|巨額)"
)
_SCALE_WORD = re.compile(r"illion|illiar|illon|ilhoe|iljard|iliard|trilh|billon|mil mil|rilion|bilion|bilhao")
_VAGUE_HINT = re.compile(r"illion|illiar|iliardi|ilhoes|iljard|millones|数|巨|multi")


def parse_number(s: str) -> float | None:
    """Parse "6.6", "6,6", "1.000", "157.000", "1 000", "10,300.5" into a float.

    A separator followed by exactly three digits is a thousands separator; otherwise it is
    the decimal mark. Returns None for text that is not a number.
    """
    s = s.strip().replace("'", " ")
    if not s:
        return None
    seps = [c for c in s if not c.isdigit()]
    if not seps:
        return float(s)
    if len(set(seps)) > 1:  # "10,300.5" / "10.300,5": the last separator is the decimal mark
        dec = seps[-1]
        intpart, _, frac = s.rpartition(dec)
        digits = "".join(c for c in intpart if c.isdigit())
        return float(f"{digits}.{frac}") if frac.isdigit() else None
    sep = seps[0]
    parts = s.split(sep)
    if len(parts) > 2 or (len(parts[-1]) == 3 and sep != " " and len(parts[0]) <= 3) or sep == " ":
        if all(len(p) == 3 for p in parts[1:]):
            return float("".join(parts))
    if len(parts) == 2:
        return float(f"{parts[0]}.{parts[1]}")
    return None


_NUM_RE = re.compile(_NUM)
# a hyphen joins a number and a scale word of three letters or more, or bn/mn/tn ("$100-billion",
# "100-milliarden-dollar-investition", "$5-bn"), never a letter ("phase 2-b")
_SCALE_TOK = re.compile(r"(?: |-(?=[a-z]{3}|[bmt]n(?![a-z])))?(mil (?:millones|milhoes|milioni)|[a-z]+\.?|万亿|百万|[亿万兆千])")
# _NUM_RE then _SCALE_TOK in one match: group 1 is the number, group 2 the word after it (the
# optional group comes last, so the number is the one _NUM_RE alone would read)
_NUM_TOK = re.compile(f"({_NUM})(?:{_SCALE_TOK.pattern})?")
_CUR_TOK = re.compile(r" ?(?:de |d'|di |of |van |do |da )?(us[- ]?dollars?|[a-z]+(?:-dollar)?|[$€£¥₹]|米ドル|ドル|美元|"
                      r"美金|円|日元|人民币|欧元|ユーロ|元)")
_CUR_WORDS: dict[str, str] = {}
for _pat, _code in _CURRENCIES:
    for _w in re.findall(r"[a-z$€£¥₹\u3040-\u9fff\-]+", _pat.replace("s?", "").replace("(?: sterling)?", "")):
        _CUR_WORDS.setdefault(_w, _code)
_CUR_WORDS.update({"dollars": "USD", "us-dollar": "USD", "us-dollars": "USD", "usdollar": "USD", "pounds": "GBP",
                   "euros": "EUR", "rupees": "INR", "francs": "CHF", "reais": "BRL", "dolares": "USD"})
_START_RE = re.compile(r"[$€£¥₹\d]")
# The same starts in ASCII text ("$" and the digits 0-9 are all it can hold of them): a plain character
# set, which the engine tests several times faster than \d (a Unicode digit lookup per character)
_ASCII_START_RE = re.compile(r"[$0-9]")


def has_vague_amount(folded: str, start: int = 0, end: int | None = None) -> bool:
    """True when ``folded[start:end]`` names a magnitude without a figure ("billions of dollars")."""
    end = len(folded) if end is None else end
    return _VAGUE_HINT.search(folded, start, end) is not None and _VAGUE_RE.search(" " + folded[start:end]) is not None


# A space after a letter and before what may be a long scale word ("zehn milliarden"): where an
# amount written in words may have its space. Every long scale word starts like one of these
# (checked below), and a literal first character lets the engine skip to the next space at C speed.
_SCALE_STARTS = ("tri", "bil", "mil", "mrd.", "mio.", "thousand", "tausend", "duizend")
assert all(s.startswith(_SCALE_STARTS) for s in _LATIN_SCALES if len(s) > 3)
_SPACE_BEFORE_SCALE = re.compile(" (?=" + "|".join(map(re.escape, _SCALE_STARTS)) + ")(?<=[a-z] )")
_WS_BEFORE_SCALE = re.compile(r"\s(?=" + "|".join(map(re.escape, _SCALE_STARTS)) + r")(?<=[a-z]\s)")  # tabs etc.
_HYPHEN_BEFORE_SCALE = re.compile("-(?=" + "|".join(map(re.escape, _SCALE_STARTS)) + ")(?<=[a-z]-)")
# The letters just before it, when they are a whole word of at most 8 letters (the longest number word)
_WORD_BEFORE = re.compile(r"(?<![a-z])[a-z]{1,8}\Z")
assert all(w.isascii() and w.isalpha() and w.islower() and len(w) <= 8 for w in _NUMBER_WORDS)


def extract_amounts(folded: str, *, vague: bool = True, offset: int = 0) -> list[Amount]:
    """Every money amount in folded text, in order of appearance (vague magnitudes too, unless ``vague=False``).

    Positions are offsets in ``folded``, plus ``offset`` (where the text sits in a longer one).
    """
    out: list[Amount] = []
    if vague and _VAGUE_HINT.search(folded):
        out += [Amount(0.0, None, m.start() + offset, m.end() - 1 + offset, m.group(0)[1:], vague=True)
                for m in _VAGUE_RE.finditer(" " + folded)]
    pos = 0
    search = _ASCII_START_RE.search if folded.isascii() else _START_RE.search
    while (c := search(folded, pos)) is not None:
        a = _read_amount(folded, c.start(), offset)
        if a is None:
            n = _NUM_RE.match(folded, c.start())
            pos = n.end() if n else c.start() + 1
            continue
        out.append(a)
        pos = a.end - offset
    words = _word_amounts(folded)
    if words and _SCALE_WORD.search(folded):  # (the condition on the text, tested second: it is the slower)
        for m in words:
            a = _amount(m, folded, offset)
            if a is not None:
                out.append(a)
    if len(out) > 1:
        out.sort(key=lambda a: a.start)
        exact = [a for a in out if not a.vague]
        out = [a for a in out if not a.vague or not any(e.start < a.end and e.end > a.start for e in exact)]
    return out


def extract_amounts_fields(first: str, second: str, sep: str = " | ") -> tuple[list[Amount], int]:
    """The amounts of two fields (no vague ones), read in one pass over ``first + sep + second``.

    Returns them placed in the joined text, and how many belong to ``first``: the same as
    ``extract_amounts(first, vague=False) + extract_amounts(second, vague=False, offset=...)``.
    An amount reads a sign, a number, then at most a space and a word or sign; " | " holds no
    letter, digit or sign and is spaced on both sides, so no amount reads across it and what is
    read next to it is read as at a field's edge. Any other separator: the fields one by one.
    """
    if sep != " | ":
        head = extract_amounts(first, vague=False)
        return head + extract_amounts(second, vague=False, offset=len(first) + len(sep)), len(head)
    text = first + sep + second
    lo = len(first)
    out: list[Amount] = []
    pos = 0
    search = _ASCII_START_RE.search if text.isascii() else _START_RE.search
    while (c := search(text, pos)) is not None:
        a = _read_amount(text, c.start())
        if a is None:
            n = _NUM_RE.match(text, c.start())
            pos = n.end() if n else c.start() + 1
            continue
        out.append(a)
        pos = a.end
    words = _word_amounts(text)
    if words:  # the scale-word condition is one of each field
        scaled = (_SCALE_WORD.search(first) is not None, _SCALE_WORD.search(second) is not None)
        for m in words:
            if scaled[m.start() >= lo] and (a := _amount(m, text)) is not None:
                out.append(a)
        if len(out) > 1:  # (the amounts of the loop above come in order already)
            out.sort(key=lambda a: a.start)
    n_first = 0
    for a in out:
        if a.start >= lo:
            break
        n_first += 1
    return out, n_first


def _word_amounts(f: str) -> list[re.Match[str]]:
    """``list(_WORD_RE.finditer(f))``, tried only where a match can start.

    A match is a number word, one space or hyphen and a long scale word, and number words are
    letters only: so it starts where the whole word before a space-or-hyphen-and-scale-word is a
    number word. Trying just there, left to right and never inside a previous match, finds the
    same matches.
    """
    out: list[re.Match[str]] = []
    pos = 0
    spaces = _SPACE_BEFORE_SCALE if printable(f) else _WS_BEFORE_SCALE  # printable: " " is the only space
    gaps = [sp.start() for sp in spaces.finditer(f)]
    if "-" in f:
        hyphens = [h.start() for h in _HYPHEN_BEFORE_SCALE.finditer(f)]
        if hyphens:
            gaps = sorted(gaps + hyphens)
    for q in gaps:
        w = _WORD_BEFORE.search(f, max(0, q - 8), q)
        if w is None or w.start() < pos or w.group() not in _NUMBER_WORDS:
            continue
        m = _WORD_RE.match(f, w.start())
        if m is not None:
            out.append(m)
            pos = m.end()
    return out


def _amount(m: re.Match[str], folded: str, offset: int = 0) -> Amount | None:
    """An amount written with a number word: "zehn milliarden dollar", "un billon de dolares",
    "half a trillion dollars", "eine halbe Billion Dollar" (10^12: "halbe" is German)."""
    word, scale_word = m.group("w6"), m.group("s6").strip()
    num = _NUMBER_WORDS.get(word)
    scale = _SCALES.get(scale_word)
    if num is None or scale is None:
        return None
    if num == 0.5 and scale_word not in _SINGULAR_SCALES:
        return None  # "the second half billions were..." is no amount
    if word in _LONG_SCALE_HALVES and scale_word == "billion":
        scale = 1e12
    cur = m.group("c6")
    start, end = m.start(), m.end()
    if word == "a":
        if folded.endswith("half ", 0, start) and (start == 5 or not folded[start - 6].isalpha()):
            num, start = 0.5, start - 5  # "half a trillion"
        elif cur is not None and folded[m.start("c6") - 1] == "-":
            cur, end = None, m.end("s6")  # "a billion-dollar company": a manner of speaking, read as before
    currency = _currency_code(_strip_prep(cur)) if cur else None
    return Amount(num * scale, currency, start + offset, end + offset, folded[start:end].strip())


_PREFIX_ENDS = frozenset(p[-1] for p in _PREFIXED_DOLLAR)


def _read_amount(f: str, st: int, offset: int = 0) -> Amount | None:
    """An amount starting at ``st`` (a currency symbol or the first digit of a number), or None."""
    currency: str | None = None
    i = st
    if not f[st].isdigit():
        currency = _SYMBOL_CUR[f[st]]
        if f[st] == "$":
            pre = f[max(0, st - 4):st]   # "r$", "c$", "a$", "us$", "u.s.$": written without a space
            if pre and pre[-1] in _PREFIX_ENDS:  # else no prefix can match
                for p, code in _PREFIXED_DOLLAR.items():
                    if pre.endswith(p) and (len(pre) == len(p) or not pre[-len(p) - 1].isalpha()):
                        currency = code
                        break
            if pre.endswith(("us", "u.s.")):
                currency = "USD"
        i = st + 1
        if i < len(f) and f[i] == " ":
            i += 1
    elif st and (f[st - 1] in ".," and st > 1 and f[st - 2].isdigit()):
        return None
    n = _NUM_TOK.match(f, i)
    if n is None:
        return None
    end = num_end = n.end(1)
    scale = 1.0
    tok = n.group(2)
    if tok is not None:
        val = _SCALES.get(tok) or _SCALES.get(tok.rstrip("."))
        if val is None and tok.endswith("$") is False and tok.startswith("md"):
            val = 1e9
        if val is not None:
            scale, end = val, n.end()
    if currency is None:
        if f.startswith("$", end):
            currency, end = "USD", end + 1
        else:
            cm = _CUR_TOK.match(f, end)
            if cm is None and scale > 1.0 and f.startswith("-", end) and "a" <= f[end + 1:end + 2] <= "z":
                cm = _CUR_TOK.match(f, end + 1)  # "100-billion-dollar deal", "100-milliarden-dollar-investition"
            if cm is not None:
                found = _CUR_WORDS.get(cm.group(1))
                if found is not None:
                    currency, end = found, cm.end()
    if currency is None and scale < 1e6:
        return None
    if currency is not None and scale == 1.0 and f[st].isdigit() and end == num_end:
        return None
    digits = n.group(1)  # parsed last: most numbers in news are no amount (a pure function, so same result)
    num = float(digits) if digits.isdigit() else parse_number(digits)
    if num is None:
        return None
    return Amount(num * scale, currency, st + offset, end + offset, f[st:end])


def _strip_prep(tok: str) -> str:
    for p in ("de ", "d'", "di ", "of ", "van ", "do ", "da "):
        if tok.startswith(p):
            return tok[len(p):]
    return tok
