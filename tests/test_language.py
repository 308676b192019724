"""The language of articles whose feed does not say: table-driven per language, the cases that
must stay unknown, a property test, and end to end: an untagged feed's sources carry the
language of their text in the webhook payload."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.app import make_monitor
from monitor.language import guess_language
from monitor.stories.cli import article_from_json
from tests.helpers import settings

# written for these tests: headline + first sentence, the way feeds serve them
CASES = [
    ("en", "Chipmaker posts record quarterly sales as demand for servers keeps growing. "
           "The company said it would raise its dividend for the third year in a row."),
    ("fr", "Le constructeur annonce une hausse de ses ventes au troisième trimestre. "
           "Selon la direction, la demande reste forte dans les pays du nord de l'Europe."),
    ("de", "Der Konzern meldet für das dritte Quartal einen Gewinn von zwei Milliarden Euro. "
           "Die Nachfrage nach Servern sei weiterhin hoch, teilte das Unternehmen mit."),
    ("es", "La empresa registra ventas récord en el tercer trimestre. Según el consejero delegado, "
           "la demanda de servidores sigue creciendo en los mercados del sur de Europa."),
    ("it", "L'azienda registra vendite record nel terzo trimestre. Secondo l'amministratore delegato "
           "la domanda di server continua a crescere anche nei mercati del sud."),
    ("pt", "A empresa registra vendas recordes no terceiro trimestre. Segundo o presidente, "
           "a procura por servidores continua a crescer nos mercados do sul da Europa."),
    ("nl", "Het bedrijf meldt recordomzet in het derde kwartaal. Volgens de topman blijft de vraag "
           "naar servers groeien, ook in de landen van Zuid-Europa."),
    ("ja", "半導体大手、第3四半期の売上高が過去最高に。サーバー向けの需要が引き続き伸びている。"),
    ("zh", "芯片制造商第三季度销售额创历史新高，服务器需求持续增长。"),
    ("ko", "반도체 업체, 3분기 매출 사상 최대 기록… 서버 수요 계속 증가"),
    ("el", "Η εταιρεία ανακοίνωσε ρεκόρ πωλήσεων στο τρίτο τρίμηνο του έτους."),
    # Latin-script names in a CJK headline do not make it English
    ("ja", "OpenAI、SoftBankなどから400億ドルを調達へ"),
    ("zh", "OpenAI完成400亿美元融资，SoftBank领投"),
]


@pytest.mark.parametrize(("lang", "text"), CASES, ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(CASES)])
def test_the_language_of_running_text(lang, text):
    assert guess_language(text) == lang


@pytest.mark.parametrize("text", [
    "",
    "OpenAI",
    "Sam Altman, Satya Nadella, Masayoshi Son",                         # names, no sentence
    "GPT-5 — 2025 — $40B — 300B",
    "Новая модель компании вышла в четверг",                             # Cyrillic: several languages write it
    "ÊÓ¹Ñ¡§Ò¹Êè§àÊÃÔÁÍØµÊÒË¡ÃÃÁ«Í¿µì à é SIPA",                          # mis-decoded bytes, accented letters
    "la de en",                                                          # function words several languages share
])
def test_thin_or_split_evidence_gives_no_language(text):
    assert guess_language(text) is None


def test_mixed_text_never_gets_the_minority_language():
    # an English quote inside a French article: French, or unknown when the quote weighs as much
    quote = "« We are not for sale », a déclaré le patron de la société, qui a rejeté l'offre de rachat."
    assert guess_language(quote) in ("fr", None)
    assert guess_language(quote + " Selon lui, la valeur de l'entreprise est plus élevée que le prix proposé "
                          "par les deux fonds.") == "fr"


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
def test_never_raises_and_answers_a_code_or_none(text):
    lang = guess_language(text)
    assert lang is None or (len(lang) == 2 and lang.isalpha())


def test_cluster_input_without_lang_gets_the_text_language():
    art = article_from_json({"id": "1", "title": "OpenAI lève 6 milliards de dollars auprès de ses investisseurs",
                             "summary": "La société est désormais valorisée à 150 milliards."})
    assert art.lang == "fr"
    assert article_from_json({"id": "2", "title": "x", "lang": "de"}).lang == "de"


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>https://{host}/</link>{lang}
<item><title>{title}</title><link>https://{host}/a</link><guid>{host}-a</guid>
<description>{summary}</description><pubDate>{date}</pubDate></item>
</channel></rss>"""


def test_an_untagged_feeds_sources_carry_the_language_of_their_text(feed_server, receiver, db_url, clock):
    date = (clock.now() - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")

    def feed(name, host, lang, title, summary):
        tag = f"<language>{lang}</language>" if lang else ""
        return RSS.format(name=name, host=host, lang=tag, title=title, summary=summary, date=date).encode()

    untagged = feed_server.add("/untagged.xml", feed(
        "Blog", "blog.example", None, "OpenAI lève 8,2 milliards de dollars et vaut désormais 210 milliards",
        "Le fonds Thrive mène ce nouveau tour de table, selon la société."), content_type="application/rss+xml")
    tagged = feed_server.add("/tagged.xml", feed(
        "Wire", "wire.example", "en", "OpenAI closes $8.2 billion round at a $210 billion valuation",
        "Thrive leads the new equity round, the company said on Tuesday."), content_type="application/rss+xml")
    s = settings([untagged, tagged], receiver, db_url, polling={"timeout_seconds": 10})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            await m.send_digest("daily")

    asyncio.run(scenario())
    [post] = [p for i, p in enumerate(receiver.json_posts()) if receiver.posts[i]["path"] == "/hook"]
    [story] = post["stories"]
    assert sorted((src["source"], src["lang"]) for src in story["sources"]) == [("Blog", "fr"), ("Wire", "en")]
