"""A language for articles whose feed does not say: pure, no model file, no dependencies.

Digests show each source's language, and money figures depend on it ("1 billion" is 10^12 in
French and German news, 10^9 in English), so an untagged article gets the language of its text
when the text makes it clear, and None otherwise. Two kinds of evidence:

- **Script.** Hangul means Korean; kana Japanese; Han characters without kana Chinese;
  Greek, Hebrew and Thai script their one language. Scripts shared by several languages
  (Cyrillic, Arabic, Devanagari…) give None rather than a guess.
- **Function words** for the Latin-script languages the topic lexicons cover (en, fr, de, es, it,
  pt, nl): the articles, prepositions, pronouns and auxiliaries that make up a third of any
  sentence and that no headline avoids. A word several of these languages share ("de", "la", "in")
  counts for each of them with its weight split; a few letters only one of them writes (ñ, ß, ã)
  add to the score. The best language must lead the next one clearly, or the answer is None:
  a wrong language is worse than none.

``guess_language`` is linear in the text and reads at most :data:`MAX_CHARS` characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_CHARS = 800          # the title and the start of the summary are plenty; longer text costs nothing more
MIN_SCORE = 2.0          # at least two function words' worth of evidence, letters included
MIN_WORDS = 2            # from at least two different function words of two letters or more
MIN_SHARE = 8            # that are at least one word in MIN_SHARE
MIN_LEAD = 1.5           # the best language's score is at least this many times the runner-up's

# function words per language: frequent, short, and as distinctive as such words get
_FUNCTION_WORDS: Mapping[str, str] = {
    "en": "a the of and to in is for on with as its it at by from that this has have was are be will "
          "after says said an than over who which their they would could not but about into were had "
          "been his her up out",
    "fr": "le la les des du de un une et est pour dans sur avec par au aux qui que son sa ses ce cette "
          "pas plus selon après été ont sont d l qu lui leur leurs mais ou où aussi entre être à en ne "
          "il elle ils y se sera avait fait comme dont",
    "de": "der die das und ist für mit von den dem des ein eine einen einem auf im zu nicht sich bei "
          "nach auch wird hat über aus wie um noch sind werden soll will vor zum zur seit bis mehr",
    "es": "el la los las de del y en con por para una un es que se su sus al más según como tras ha "
          "sobre le lo pero este esta ya entre desde han fue muy sin hasta también a no o",
    "it": "il lo la gli le di del della dei delle degli e è un una per con che da nel nella al alla si "
          "sono ha dopo più secondo anche ma come dal dalla sul sulla questo questa tra fra ai l",
    "pt": "o a os as do da dos das de em no na nos nas um uma e é com para por que se seu sua mais após "
          "segundo ao pelo pela mas como foi são ser ainda entre já também sobre à",
    "nl": "de het een en van is op in met voor te dat die niet zijn aan bij door om ook naar heeft "
          "wordt nog maar als over dan er hij zij ze werd haar tot uit zich wel al",
}
# letters that only one of the Latin-script languages above writes (per occurrence, capped)
_LETTERS: Mapping[str, str] = {"es": "ñ¿¡", "de": "ßäöü", "pt": "ãõ", "fr": "œùûî", "it": "ì"}
_LETTER_WEIGHT = 0.5
_LETTER_CAP = 2.0

_WEIGHTS: dict[str, dict[str, float]] = {}   # word -> {language: weight}
for _lang, _words in _FUNCTION_WORDS.items():
    for _w in set(_words.split()):
        _WEIGHTS.setdefault(_w, {})[_lang] = 1.0
for _w, _langs in _WEIGHTS.items():
    for _lang in _langs:
        _langs[_lang] = 1.0 / len(_langs)

_WORD = re.compile(r"[^\W\d_]+")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_SCRIPTS: tuple[tuple[str | None, re.Pattern[str]], ...] = (
    ("el", re.compile("[\u0370-\u03ff\u1f00-\u1fff]")),
    ("he", re.compile("[\u0590-\u05ff]")),
    ("th", re.compile("[\u0e00-\u0e7f]")),
    (None, re.compile("[\u0400-\u052f\u0600-\u06ff\u0750-\u077f\u0900-\u0dff]")),   # shared scripts
)
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")


def guess_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` (cleaned text: title, then summary) is written
    in, or None when the evidence is thin or split."""
    text = text[:MAX_CHARS]
    if not text.isascii():
        latin = len(_LATIN_LETTER.findall(text))
        hangul = len(_HANGUL.findall(text))
        kana, han = len(_KANA.findall(text)), len(_HAN.findall(text))
        # CJK characters carry a word's meaning each: a few outweigh the Latin names among them
        if hangul > han and hangul > latin / 4:
            return "ko"
        if kana + han > latin / 4:
            if kana:
                return "ja"
            if han >= 2:
                return "zh"
        for lang, script in _SCRIPTS:
            if len(script.findall(text)) > latin:
                return lang
    return _latin_language(text)


def _latin_language(text: str) -> str | None:
    words = dict.fromkeys(_FUNCTION_WORDS, 0.0)
    distinct: dict[str, set[str]] = {lang: set() for lang in _FUNCTION_WORDS}
    lowered = text.lower()
    tokens = _WORD.findall(lowered)
    hits = 0
    for word in tokens:
        if (langs := _WEIGHTS.get(word)) is not None:
            hits += 1
            for lang, weight in langs.items():
                words[lang] += weight
                if len(word) > 1:   # "a", "e", "à", "y": too easily made by names and stray bytes
                    distinct[lang].add(word)
    if hits * MIN_SHARE < len(tokens):   # running text is a third function words; a list of names or garbage is not
        return None
    scores = dict(words)
    for lang, letters in _LETTERS.items():
        if words[lang]:   # letters back up words, never stand alone (mis-decoded text is full of them)
            found = sum(lowered.count(ch) for ch in letters)
            scores[lang] += min(_LETTER_CAP, found * _LETTER_WEIGHT)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if len(distinct[best]) >= MIN_WORDS and top >= MIN_SCORE and top >= MIN_LEAD * second:
        return best
    return None
