"""The real-world corpus (``../shared/feeds/realworld``, 2,156 files from feedparser's and reader's
test suites plus 20 news captures): parse -> normalize -> match, in process, nothing escapes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.dedupe import entry_key, url_key
from monitor.errors import MonitorError, ParseError
from monitor.match import match_article, preset
from monitor.normalize import canonical_url
from monitor.parse import parse_feed

REAL = Path(__file__).resolve().parents[2] / "shared" / "feeds" / "realworld"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is absent (the shared corpus is not checked out)")
HEADER = re.compile(rb"^Header:\s*Content-type:\s*(.+?)\s*$", re.M | re.I)
BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def corpus() -> list[Path]:
    return sorted(p for p in REAL.rglob("*") if p.is_file() and p.name not in ("README.md", "MANIFEST.tsv"))


def simulated_content_type(body: bytes) -> str:
    """feedparser's fixtures name the HTTP Content-Type they expect in a comment header."""
    m = HEADER.search(body[:2000])
    return m.group(1).decode("latin-1").strip().strip('"') if m else ""


def test_every_real_world_file_goes_through_parse_normalize_match():
    files = corpus()
    assert len(files) >= 2000
    topic = preset("openai-funding-revenue")
    outcomes = {"parsed": 0, "rejected": 0, "articles": 0}
    escaped = []
    for path in files:
        body = path.read_bytes()
        url = "https://realworld.example/" + path.relative_to(REAL).as_posix()
        try:
            parsed = parse_feed(body, url, content_type=simulated_content_type(body))
        except ParseError:
            outcomes["rejected"] += 1
            continue
        except Exception as e:  # noqa: BLE001 - the point of the test
            escaped.append((path.name, "parse", repr(e)[:200]))
            continue
        outcomes["parsed"] += 1
        for a in parsed.articles:
            outcomes["articles"] += 1
            try:
                for value in (a.title, a.summary, a.link or "", a.entry_id or "", a.source):
                    assert not BAD.search(value), (path.name, value[:80])
                    value.encode("utf-8")
                canonical_url(a.link)
                entry_key(a)
                url_key(a)
                match_article(a, topic)
            except MonitorError:
                pass
            except Exception as e:  # noqa: BLE001
                escaped.append((path.name, "normalize/match", repr(e)[:200]))
    assert not escaped, escaped[:10]
    assert outcomes["parsed"] > 2100 and outcomes["articles"] > 1200, outcomes


NEWS = REAL / "news"


def test_news_captures_yield_sane_articles_and_no_false_matches():
    topic = preset("openai-funding-revenue")
    files = sorted(NEWS.iterdir())
    assert len(files) == 20
    total = 0
    for path in files:
        parsed = parse_feed(path.read_bytes(), f"https://news.example/{path.name}")
        assert parsed.articles, path.name
        dated = 0
        for a in parsed.articles:
            total += 1
            assert a.title and len(a.title) <= 300 and not BAD.search(a.title), (path.name, a.title)
            assert "<" not in a.title or ">" not in a.title, (path.name, a.title)  # no markup left
            assert a.link is None or a.link.startswith(("http://", "https://")), (path.name, a.link)
            if a.published is not None:
                dated += 1
                assert a.published.tzinfo is not None
                assert datetime(1995, 1, 1, tzinfo=UTC) < a.published < datetime(2100, 1, 1, tzinfo=UTC)
            m = match_article(a, topic)
            assert not m.matched, (path.name, a.title)   # 2014 captures: nothing about OpenAI money
        assert sum(1 for a in parsed.articles if a.link) >= len(parsed.articles) // 2, path.name
        assert dated >= len(parsed.articles) // 2, path.name
    assert total > 500
