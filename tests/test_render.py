from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.digest import format_event, format_money, render_email, render_json, render_slack, render_text
from monitor.types import Digest, DigestStory, Event, Source

NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)


def story(i: int, title: str = "OpenAI raises $40B", url: str | None = "https://a.example/x", n_sources: int = 2):
    sources = tuple(Source(title=f"{title} ({j})", url=f"https://outlet{j}.example/{i}", source=f"Outlet {j}",
                           published=NOW, lang="en" if j % 2 else "fr") for j in range(n_sources))
    return DigestStory(id=i, title=title, url=url, topic="openai-money",
                       event=Event(kind="funding", amount=40e9, currency="USD", valuation=300e9, status="completed"),
                       sources=sources, first_seen=NOW)


def digest(*stories):
    return Digest(id="run-1", name="daily", created_at=NOW, stories=tuple(stories))


def test_money_and_event_formatting():
    assert format_money(6.6e9, "USD") == "$6.6B"
    assert format_money(2e9, "EUR") == "€2B"
    assert format_money(1.5e12, "USD") == "$1.5T"
    assert format_money(660e6, "JPY") == "¥660M"
    assert format_event(Event(kind="funding", amount=40e9, currency="USD", valuation=300e9, status="completed")) \
        == "Funding · $40B · valuation $300B · completed"


def test_json_payload_follows_the_contract():
    p = render_json(digest(story(1), story(2)), NOW)
    assert p["type"] == "digest" and p["id"] == "run-1" and p["digest"] == "daily"
    assert p["sent_at"] == NOW.isoformat()
    s = p["stories"][0]
    assert set(s) == {"id", "title", "url", "topic", "event", "sources"}
    assert set(s["sources"][0]) == {"title", "url", "source", "published", "lang"}
    assert s["event"]["amount"] == 40e9


def test_slack_escapes_mentions_and_fake_links():
    evil = story(1, title="<!channel> <@U123> <https://evil.example|openai.com> & co")
    msgs = render_slack(digest(evil))
    text = json.dumps(msgs)
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil.example|" not in text
    assert "&lt;!channel&gt;" in text
    assert "run-1" in msgs[0]["text"]


def test_slack_splits_long_digests_within_limits():
    msgs = render_slack(digest(*[story(i, title="OpenAI " + "x" * 280, n_sources=12) for i in range(60)]))
    assert len(msgs) > 1
    for m in msgs:
        assert len(m["blocks"]) <= 50
        assert m["text"]
        assert len(m["blocks"][0]["text"]["text"]) <= 150
        for b in m["blocks"]:
            if "text" in b:
                assert len(b["text"]["text"]) <= 3000
            for e in b.get("elements", ()):
                assert len(e["text"]) <= 3000
    covered = sum(1 for m in msgs for b in m["blocks"] if b["type"] == "section")
    assert covered == 60


def test_slack_context_holds_whole_links_then_says_how_many_more():
    sources = tuple(Source(title="t", url=f"https://outlet.example/{'p' * 400}/{j}", source=f"Outlet {j}",
                           published=NOW, lang="en") for j in range(40))
    long = DigestStory(id=1, title="OpenAI raises $40B", url="https://a.example/x", topic="openai-money",
                       event=None, sources=sources, first_seen=NOW)
    for m in render_slack(digest(long)):
        for b in m["blocks"]:
            for e in b.get("elements", ()):
                text = e["text"]
                assert len(text) <= 2900 and text.count("<") == text.count(">")
                assert re.fullmatch(r"40 sources: (<https://outlet\.example/p+/\d+\|Outlet \d+ \(en\)> · )+"
                                    r"…and (\d+) more", text)
                shown = text.count("<")
                assert shown + int(re.search(r"and (\d+) more", text).group(1)) == 40 and shown > 1


def test_links_only_from_http_urls():
    msgs = render_slack(digest(story(1, url="javascript:alert(1)")))
    assert "javascript:" not in json.dumps(msgs)
    _, text, page = render_email(digest(story(1, url="javascript:alert(1)")))
    assert "javascript:" not in page and "javascript:" not in text


def test_email_subject_is_one_line_and_html_escaped():
    s = story(1, title="Hello\u2028Bcc: victim@example.com <script>alert(1)</script>")
    subject, text, page = render_email(digest(s))
    assert "\n" not in subject and "\r" not in subject and "\u2028" not in subject
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_text_lists_every_source():
    out = render_text(digest(story(1, n_sources=3)))
    assert out.count("Outlet") == 3 and "[fr]" in out and "[en]" in out


@settings(max_examples=200, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text()), st.text())
def test_rendering_never_raises(title, url, source):
    s = DigestStory(id=1, title=title, url=url, topic="t", event=None,
                    sources=(Source(title=title, url=url, source=source, published=None, lang=None),), first_seen=NOW)
    d = digest(s)
    render_slack(d)
    render_email(d)
    json.dumps(render_json(d, NOW))


def test_more_coverage_is_listed_after_the_stories_in_every_format():
    late = DigestStory(id=7, title="OpenAI closes $8.2B round", url="https://wire.example/7", topic="openai-money",
                       event=None, first_seen=NOW,
                       sources=(Source(title="OpenAI lève 8,2 milliards", url="https://lemonde.example/7",
                                       source="Le Monde", published=NOW, lang="fr"),))
    d = Digest(id="run-2", name="daily", created_at=NOW, stories=(story(1),), coverage=(late,))
    text = render_text(d)
    assert text.index("1. OpenAI raises $40B") < text.index("More coverage") < text.index(
        "- OpenAI closes $8.2B round\n  - Le Monde [fr]: OpenAI lève 8,2 milliards <https://lemonde.example/7>")
    assert text.startswith("daily: 1 story")                       # coverage is not counted as a story
    subject, _, page = render_email(d)
    assert "More coverage" in page and "Le Monde [fr]" in page and subject.startswith("daily: 1 story")
    slack = json.dumps(render_slack(d))
    assert "More coverage" in slack and "<https://lemonde.example/7|Le Monde (fr)>" in slack
    payload = render_json(d, NOW)
    assert [s["id"] for s in payload["stories"]] == [1]
    [more] = payload["more_coverage"]
    assert (more["id"], [s["source"] for s in more["sources"]]) == (7, ["Le Monde"])
    assert "more_coverage" not in render_json(digest(story(1)), NOW)   # absent when there is none
    assert "More coverage" not in render_text(digest(story(1)))
