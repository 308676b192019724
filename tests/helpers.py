"""Building blocks shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.config import settings_from_dict
from tests.servers import FeedServer, WebhookReceiver

FEEDS = Path(__file__).parent / "data" / "feeds"
FIXTURES = {
    "/en.xml": ("openai_en.xml", "application/rss+xml"),
    "/fr.xml": ("openai_fr.xml", "application/rss+xml"),
    "/de.atom": ("openai_de.atom", "application/atom+xml"),
    "/heise.atom": ("heise.atom", "application/atom+xml"),
    "/npr.rss": ("npr.org.rss", "application/rss+xml"),
    "/verge.rss": ("theverge.rss", "application/rss+xml"),
}
POSITIVE_TITLES = [
    "OpenAI closes $40 billion funding round",
    "OpenAI : les revenus annuels",
    "OpenAI verdoppelt Jahresumsatz",
]
NEGATIVE_TITLES = ["reasoning model", "Anthropic raises", "bike lanes", "Mistral AI", "météo", "Bahn kündigt"]


def serve_fixtures(server: FeedServer) -> list[str]:
    urls = []
    for path, (name, ctype) in FIXTURES.items():
        urls.append(server.add(path, (FEEDS / name).read_bytes(), content_type=ctype))
    return urls


def config_dict(feed_urls: list[str], receiver: WebhookReceiver | None, db_url: str, **over: Any) -> dict[str, Any]:
    sinks: dict[str, Any] = {
        "archive": {"type": "webhook", "url": receiver.url("/hook") if receiver else "${HOOK_URL}",
                    "secret": "whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQ="},
        "team-slack": {"type": "slack", "webhook_url": receiver.url("/slack") if receiver else "${SLACK_WEBHOOK_URL}"},
    }
    d: dict[str, Any] = {
        "database": {"url": db_url},
        "polling": {"max_age_days": 100_000, "timeout_seconds": 10},
        "server": {"listen": ""},
        "feeds": [{"url": u} for u in feed_urls],
        "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}],
        "sinks": sinks,
        "digests": [{"name": "daily", "schedule": "0 8 * * *", "timezone": "Europe/Paris",
                     "topics": ["openai-money"], "sinks": ["archive", "team-slack"]}],
    }
    d.update(over)
    return d


def settings(feed_urls, receiver, db_url, **over):
    return settings_from_dict(config_dict(feed_urls, receiver, db_url, **over), environ={})


def all_source_titles(payload: dict[str, Any]) -> list[str]:
    return [s["title"] for st in payload["stories"] for s in st["sources"]]


# ../shared/feeds/adversarial fixtures that are feeds: their CONTROL item must come through exactly once
ADVERSARIAL_FEEDS = [
    "billion_laughs.xml", "quadratic_blowup.xml", "xxe_file_passwd.xml", "xxe_http_loopback.xml",
    "xxe_parameter_entity.xml", "external_dtd_loopback.xml", "xinclude_file.xml", "deep_nesting_xml.xml",
    "deep_nesting_html.xml", "long_fields.xml", "invalid_utf8.xml", "wrong_encoding_utf8_decl_cp1252_bytes.xml",
    "wrong_encoding_latin1_decl_utf8_bytes.xml", "wrong_encoding_utf16_decl_utf8_bytes.xml",
    "wrong_encoding_bom_utf8_decl_cp1251.xml", "illegal_xml_chars.xml", "unicode_invisible_bidi.xml",
    "missing_fields.xml", "missing_fields.atom", "duplicate_ids.xml", "dates.xml", "slack_mrkdwn_injection.xml",
    "email_header_injection.xml", "html_injection.xml", "html_injection.atom", "gzip_lie_plain_body.xml",
    "jsonfeed_nul_and_types.json",
]
