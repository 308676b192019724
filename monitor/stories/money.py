"""Money figures in news text, normalised for comparison across languages. Contains no
business logic.

Works on folded text (:func:`monitor.stories.text.fold`). A figure needs a currency (attached,
or inherited from an earlier figure of the same text: "6,6 milliards de dollars ... valorisation
de 157 milliards") and must come to at least one million; bare numbers, years, prices and user
counts are never figures. Ranges ("$5 trillion to $7 trillion") share a ``group``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Figure", "extract_figures", "vague_money", "to_usd", "close_amounts", "significant_digits"]

# Rough conversion rates to USD; comparisons across currencies use a wide tolerance.
_USD_RATE = {"USD": 1.0, "EUR": 1.09, "GBP": 1.27, "JPY": 1 / 150, "CNY": 1 / 7.2, "INR": 1 / 83,
             "BRL": 1 / 5.3, "CHF": 1.12, "CAD": 0.74, "AUD": 0.66, "HKD": 0.128, "KRW": 1 / 1350}


@dataclass(frozen=True, slots=True)
class Figure:
    value: float            # in ``currency`` units
    currency: str | None    # ISO 4217, None when no currency is known
    start: int
    end: int
    group: int              # figures of one range share a group
    role: str = "?"         # "v" a valuation, "a" an amount raised/invested/earned, "?" unknown


def to_usd(value: float, currency: str | None) -> float:
    return value * _USD_RATE.get(currency or "USD", 1.0)


def significant_digits(value: float) -> int:
    """1 for round figures ($80B, $100B, $6B), 2 for $6.6B or $86B, 3 for $157B."""
    mantissa = f"{value:.6e}".split("e")[0].replace(".", "").rstrip("0")
    return max(1, len(mantissa))


def close_amounts(a: float, ca: str | None, b: float, cb: str | None, ra: str = "?", rb: str = "?") -> bool:
    """True when two amounts are the same figure up to rounding: within 10% when either is a
    round figure ("$80B" for "$86B"), within 3.5% when both are precise ("$150B" is not
    "$157B"), within 16% across currencies, whose conversion is approximate. A valuation
    (role ``"v"``) is never the same figure as an amount raised (``"a"``)."""
    if {ra, rb} == {"v", "a"}:
        return False
    if (ca or "USD") != (cb or "USD"):
        a, b, tolerance = to_usd(a, ca), to_usd(b, cb), 0.16
    elif significant_digits(a) == 1 or significant_digits(b) == 1:
        tolerance = 0.10
    else:
        tolerance = 0.035
    hi = max(a, b)
    return hi > 0 and abs(a - b) <= tolerance * hi


_NUM = r"\d{1,3}(?:[ .,']\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_WORDS: dict[str, float] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "a": 1,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50,
    "ein": 1, "eine": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "zwolf": 12, "zwanzig": 20, "dreissig": 30, "vierzig": 40,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "cuarenta": 40,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "sete": 7, "oito": 8, "nove": 9, "dez": 10, "vinte": 20,
    "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7, "otto": 8, "dieci": 10,
    "venti": 20, "een": 1, "twee": 2, "drie": 3, "vijf": 5, "zes": 6, "zeven": 7, "negen": 9, "tien": 10,
    "twintig": 20,
    # halves: "half a trillion", "a half-billion", "eine halbe Billion", "medio billon", "mezzo miliardo",
    # "meio trilhao", "un demi-milliard", "een half miljard" (only before a singular scale word)
    "half a": 0.5, "half": 0.5, "halbe": 0.5, "halben": 0.5, "medio": 0.5, "mezzo": 0.5, "meio": 0.5,
    "demi": 0.5,
}
_HALVES = frozenset(w for w, v in _WORDS.items() if v == 0.5)
# the singular scale words a half may come before ("half billions" is no figure)
_SINGULAR_SCALES = frozenset({"trillion", "billion", "million", "milliard", "milliarde", "billon", "millon",
                              "trilhao", "bilhao", "biliao", "milhao", "trilione", "miliardo", "milione",
                              "biljoen", "miljard", "miljoen"})
# words that give "billion" its long-scale meaning (10^12) whatever the article's language
_LONG_SCALE_HALVES = frozenset({"halbe", "halben", "demi"})
# Latin scale words, longest first; "billion" is 10^9 in English and 10^12 in most of Europe.
_SCALES: list[tuple[str, float]] = sorted([
    ("mil millones", 1e9), ("mil milhoes", 1e9), ("mille milliards", 1e12), ("miles de millones", 1e9),
    ("trillions", 1e12), ("trillion", 1e12), ("trilioni", 1e12), ("trilione", 1e12), ("trilhoes", 1e12),
    ("trilhao", 1e12), ("billones", 1e12),
    ("billon", 1e12), ("billionen", 1e12), ("biljoen", 1e12), ("bilioes", 1e12), ("biliao", 1e12),
    ("tn", 1e12), ("trn", 1e12), ("tln", 1e12),
    ("billions", 1e9), ("billion", 1e9), ("bn", 1e9), ("bln", 1e9), ("milliards", 1e9), ("milliard", 1e9),
    ("milliarden", 1e9), ("milliarde", 1e9), ("mrd", 1e9), ("mrds", 1e9), ("mds", 1e9), ("md", 1e9),
    ("miliardi", 1e9), ("miliardo", 1e9), ("mld", 1e9), ("mlrd", 1e9), ("miljard", 1e9), ("miljarden", 1e9),
    ("bilhoes", 1e9), ("bilhao", 1e9), ("bi", 1e9), ("millardos", 1e9),
    ("millions", 1e6), ("million", 1e6), ("millionen", 1e6), ("millones", 1e6), ("millon", 1e6),
    ("milhoes", 1e6), ("milhao", 1e6), ("milioni", 1e6), ("milione", 1e6), ("miljoen", 1e6),
    ("miljoenen", 1e6), ("mio", 1e6), ("mln", 1e6), ("mn", 1e6), ("mi", 1e6),
    ("thousand", 1e3), ("mille", 1e3), ("tausend", 1e3), ("mil", 1e3),
], key=lambda kv: len(kv[0]), reverse=True)
_SCALE_VALUE = dict(_SCALES)
_EURO_BILLION = frozenset({"fr", "de", "es", "it", "nl", "pt", "pl", "sv", "da", "no", "fi"})
_LETTER_SCALES = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}

_PRE_CUR = r"us\s?\$|u\$s|usd|r\$|a\$|c\$|hk\$|\$|€|eur|£|gbp|¥|jpy|₹|inr|cny|rmb|chf"
_POST_CUR = (r"(?:de |d'|di |of |en )?(?:us[- ]?)?(?:dollars?|dollari|dolares|dolar|usd|\$|euros?|eur|€|"
             r"yens?|yenes|pounds?|£|¥|reais|yuan|rupees?|chf|franken)")
_LATIN = re.compile(
    rf"(?<![\w$€£¥₹])(?P<pre>{_PRE_CUR})?\s?"
    rf"(?P<num>{_NUM}|\b(?:{'|'.join(sorted(_WORDS, key=len, reverse=True))})\b)"
    rf"(?:(?:(?P<hyphen>-)|\s)?(?P<scale>{'|'.join(re.escape(s) for s, _ in _SCALES)})\b\.?"
    rf"|\s?(?P<letter>[kmbt])\b)?"
    rf"(?:(?(scale)(?:\s|-(?=[a-z]))?|\s?)(?P<post>{_POST_CUR})(?![a-z]))?"
)
_CJK_CUR = {"美元": "USD", "美金": "USD", "ドル": "USD", "米ドル": "USD", "円": "JPY", "日元": "JPY",
            "日圆": "JPY", "欧元": "EUR", "ユーロ": "EUR", "人民币": "CNY", "元": "CNY", "英镑": "GBP",
            "港元": "HKD", "港币": "HKD", "韩元": "KRW", "ウォン": "KRW"}
_CJK = re.compile(
    r"(?P<pre>us\$|\$|¥|￥)?(?P<num>\d+(?:[.,]\d+)?)\s?(?P<big>兆|万亿|亿|万|千)?(?P<small>\d+(?:[.,]\d+)?\s?(?:亿|万))?"
    r"\s?(?P<cur>米ドル|ドル|美元|美金|日元|日圆|円|欧元|ユーロ|人民币|港元|港币|英镑|韩元|ウォン|元)?"
)
_CJK_SCALE = {"兆": 1e12, "万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}
_RANGE_GAP = re.compile(r"^\s*(?:to|-|–|—|a|à|au|bis|tot|~|～|〜|到|至|から)\s*$")
_CURRENCY_WORDS = {"$": "USD", "usd": "USD", "dollar": "USD", "dolar": "USD", "euro": "EUR", "eur": "EUR",
                   "€": "EUR", "£": "GBP", "pound": "GBP", "gbp": "GBP", "¥": "JPY", "yen": "JPY",
                   "jpy": "JPY", "₹": "INR", "rupee": "INR", "inr": "INR", "cny": "CNY", "rmb": "CNY",
                   "yuan": "CNY", "r$": "BRL", "reais": "BRL", "a$": "AUD", "c$": "CAD", "hk$": "HKD",
                   "chf": "CHF", "franken": "CHF", "u$s": "USD"}

_SENTENCE_END = re.compile(r"[.!?;][\s]|[。！？；]")
_COUNTED = re.compile(
    r"\s?(?:de |d'|di |of |van )?(?:users?|utilisateurs?|usuarios?|utenti|utilizadores|nutzer\w*|gebruikers|"
    r"people|personnes|personas|pessoas|persone|menschen|subscribers?|abonnes|abonnenten|suscriptores|"
    r"assinantes|abbonati|customers?|clients?|clientes|kunden|downloads?|telechargements|parameters?|"
    r"parametres|parametros|tokens?|messages?|visits?|visites|views|vues|weekly|hebdomadaires|semanales|"
    r"wochentlich|employees|salaries|mitarbeiter|empleados|devices|appareils|geraete|actions|shares|aktien)\b"
    r"|\s?(?:人|用户|用戶|ユーザー|名|台|件|次)"
)
_VAGUE = re.compile(
    r"\b(?:multi-?billion|multibillion|multi-?milliard\w*|billions|trillions|milliards|milliarden|"
    r"miles de millones|bilhoes|miliardi|miljarden|mrd\.?\b|billones|trilhoes|hundreds of millions)\b"
    r"|数十億|数百億|数千億|数兆|数十亿|数百亿|数千亿|上百亿|上千亿"
)


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    t = token.strip()
    for prefix in ("de ", "d'", "di ", "of ", "en "):
        if t.startswith(prefix):
            t = t[len(prefix):]
    t = re.sub(r"^us[- ]?(?=dol)", "", t)
    t = re.sub(r"^us\s?\$$", "$", t)
    t = t.rstrip("s") if t not in ("$", "reais") and len(t) > 3 else t
    if t.startswith(("dolar", "dollar")):
        return "USD"
    return _CURRENCY_WORDS.get(t)


def _parse_number(num: str) -> float | None:
    num = num.strip()
    if num in _WORDS:
        return float(_WORDS[num])
    num = num.replace("'", " ")
    if " " in num:
        num = num.replace(" ", "")
    seps = [c for c in num if c in ".,"]
    if not seps:
        return float(num)
    if len(set(seps)) == 2:  # "1,234.5" or "1.234,5": the last separator is the decimal one
        dec = num[max(num.rfind("."), num.rfind(","))]
        thou = "," if dec == "." else "."
        return float(num.replace(thou, "").replace(dec, "."))
    sep = seps[0]
    groups = num.split(sep)
    if len(groups) > 2 or (len(groups[-1]) == 3 and groups[0] != "0"):  # thousands separator
        return float("".join(groups))
    return float(num.replace(sep, "."))


def extract_figures(folded: str, lang: str | None = None, inherit: str | None = None) -> list[Figure]:
    """Money figures in ``folded`` text, in order. ``inherit`` is the currency to assume for
    scale-only amounts before any currency was seen (e.g. from the title for the summary)."""
    found: list[tuple[int, int, float, str | None, bool]] = []  # start, end, value, currency, explicit
    for pattern, make in ((_LATIN, lambda m: _latin_figure(m, lang)), (_CJK, _cjk_figure)):
        pos = 0
        while pos < len(folded):
            m = pattern.search(folded, pos)
            if not m:
                break
            fig = make(m) if m.end() > m.start() else None
            if fig:
                found.append(fig)
                pos = m.end()
            else:  # a rejected match must not swallow the start of a real one ("a us$ 10 bi")
                pos = m.start() + 1
    found.sort()
    out: list[Figure] = []
    current = inherit
    group = -1
    prev_end = -10
    for start, end, value, cur, explicit in found:
        if out and start < out[-1].end:  # overlapping matches (CJK and Latin on "$1"): keep the first
            continue
        if not explicit:
            # a scale word alone borrows the currency of an earlier figure of the same sentence,
            # unless it counts something else ("2 billion users")
            if current is None or _COUNTED.match(folded, end):
                continue
            if out and _SENTENCE_END.search(folded, prev_end, start):
                continue
            cur = current
        if value < 1e6 and (cur or "USD") in ("USD", "EUR", "GBP", "CHF"):
            continue
        if value * _USD_RATE.get(cur or "USD", 1.0) < 1e6:
            continue
        if not (out and _RANGE_GAP.match(folded[prev_end:start])):
            group += 1
        out.append(Figure(value, cur, start, end, group))
        current = cur
        prev_end = end
    return [_with_role(folded, out, k) for k in range(len(out))]


# A valuation cue just before the figure ("valued at about", "valorisation de", "估值达") or right
# after it ("$157 billion valuation", "500 Mrd. Dollar Bewertung"); an amount cue just before it
# ("raises", "in talks to raise as much as", "lève", "融资"). Windows stop at the neighbouring figure.
_VAL_BEFORE = re.compile(
    r"(?:valuation|valued|valuing|values|worth|valorisation|valorisee?|valorise|valoriser|bewertung|bewertet"
    r"|valoracion|valora|valorada|avaliacao|avaliada|avaliaria|valutazione|valutata|waardering|gewaardeerd"
    r"|估值|企业价值|企業価値|評価額|市值"
    r"|企业価値|評価额|时価総额)[^.;,]{0,22}$")   # the Japanese words as text.fold leaves them
_VAL_AFTER = re.compile(
    r"^\s?(?:\(?[^)]{0,12}\)\s?)?(?:post-money |pre-money )?(?:valuation|valorisation|de valorisation|bewertung"
    r"|de valoracion|de avaliacao|di valutazione|waardering|估值|wert(?![a-z]))")   # "… Dollar wert": worth
_AMT_BEFORE = re.compile(
    r"(?:rais\w*|invest\w*|fund\w*|round of|tranche of|leve\w*|levee|recaud\w*|capt\w*|sammel\w*|einsammeln"
    r"|finanzierung\w*|financ\w*|raccol\w*|injects?|revenue\w*|sales of|loss of|lose|revenus|umsatz|ingresos"
    r"|faturamento|融资|融資|投资|投資|出資|出资|調達|調达|营收|收入|売上)[^.;,]{0,22}$")


def _with_role(folded: str, figs: list[Figure], k: int) -> Figure:
    f = figs[k]
    lo = figs[k - 1].end if k > 0 else 0
    hi = figs[k + 1].start if k + 1 < len(figs) else len(folded)
    before = folded[max(lo, f.start - 40):f.start]
    after = folded[f.end:min(hi, f.end + 30)]
    if _VAL_BEFORE.search(before) or _VAL_AFTER.match(after):
        role = "v"
    elif _AMT_BEFORE.search(before):
        role = "a"
    else:
        return f
    return Figure(f.value, f.currency, f.start, f.end, f.group, role)


def _latin_figure(m: re.Match[str], lang: str | None) -> tuple[int, int, float, str | None, bool] | None:
    num, scale, letter = m.group("num"), m.group("scale"), m.group("letter")
    pre, post = m.group("pre"), m.group("post")
    end = m.end()
    if num == "a" and post and m.string[m.start("post") - 1] == "-":
        post, end = None, m.end("scale")  # "a billion-dollar company" is a manner of speaking
    is_word = num in _WORDS
    if is_word and not scale:
        return None
    if letter and not pre:
        return None  # "40b" alone is not money; "$40b" is
    try:
        value = _parse_number(num)
    except ValueError:
        return None
    if value is None:
        return None
    if scale:
        if m.group("hyphen") and len(scale) < 3 and scale not in ("bn", "mn", "tn"):
            return None  # "phase 2-bi", "10-md": a hyphen joins only a real scale word ("$100-billion")
        if num in _HALVES and scale not in _SINGULAR_SCALES:
            return None
        mult = _SCALE_VALUE[scale]
        if scale in ("billion", "billions") and (lang in _EURO_BILLION or num in _LONG_SCALE_HALVES):
            mult = 1e12
        if scale == "mi" and not (pre or post):
            return None
        if scale in ("mil", "mille") and not (pre or post):
            return None
        value *= mult
    elif letter:
        value *= _LETTER_SCALES[letter]
    cur = _currency(pre) or _currency(post)
    if post and post.strip() in ("$",) and scale in ("md", "mds", "mrd"):
        cur = "USD"
    if not scale and not letter and not cur:
        return None
    if not scale and not letter and cur and re.fullmatch(r"(?:19|20)\d\d", num):
        return None
    return m.start(), end, value, cur, cur is not None


def _cjk_figure(m: re.Match[str]) -> tuple[int, int, float, str | None, bool] | None:
    big, small, cur = m.group("big"), m.group("small"), m.group("cur")
    if not big and not cur:
        return None
    try:
        value = float(m.group("num").replace(",", ""))
    except ValueError:
        return None
    value *= _CJK_SCALE.get(big or "", 1.0)
    if small:  # "1兆5000億"
        sm = re.match(r"(\d+(?:[.,]\d+)?)\s?(亿|万)", small)
        if sm:
            value += float(sm.group(1).replace(",", "")) * _CJK_SCALE[sm.group(2)]
    currency = _CJK_CUR.get(cur or "") or _currency(m.group("pre"))
    if currency is None and m.group("pre") in ("￥",):
        currency = "JPY"
    return m.start(), m.end(), value, currency, currency is not None


def vague_money(folded: str, figures: list[Figure]) -> bool:
    """True when the text speaks of money in magnitudes without a figure ("billions",
    "plusieurs milliards", "数十億"), outside the spans of ``figures``."""
    for m in _VAGUE.finditer(folded):
        if not any(f.start <= m.start() < f.end for f in figures):
            return True
    return False
