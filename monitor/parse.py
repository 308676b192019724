"""Feed bytes -> clean :class:`~monitor.types.Article` values. Pure: no network, no files.

feedparser is always handed a file object (``io.BytesIO``): given a ``str`` or ``bytes`` it may
open a local path or fetch a URL itself. DOCTYPE internal subsets are removed before parsing,
so entity expansion attacks (billion laughs, quadratic blowup, XXE) have nothing to expand.
"""

from __future__ import annotations

import calendar
import io
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from monitor.errors import ParseError
from monitor.normalize import clean_text, safe_http_url
from monitor.types import Article

MAX_TITLE = 300
MAX_SUMMARY = 1500
MAX_ENTRIES = 20_000
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.S | re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>", re.I)
_ENTITY = re.compile(rb"<!ENTITY[^>]*>", re.I)
_XINCLUDE = re.compile(rb"<(\w+:)?include\b[^>]*\bhref=[^>]*/?>", re.I)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    lang: str | None
    articles: tuple[Article, ...]
    skipped: int = 0


def parse_feed(body: bytes, url: str, *, content_type: str = "", name: str = "",
               max_bytes: int = 10 * 1024 * 1024) -> ParsedFeed:
    """Parse one feed body fetched from ``url``.

    Raises:
        ParseError: ``empty_body``, ``not_a_feed`` or ``parse_error``.
    """
    if not body or not body.strip():
        raise ParseError(url, "empty_body", "the server sent an empty body")
    if body[:2] == b"\x1f\x8b":  # gzip without Content-Encoding
        body = _gunzip(body, url, max_bytes)
    body = _defuse(body)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        d: Any = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False,
                                  resolve_relative_uris=False)
    except RecursionError:
        raise ParseError(url, "parse_error", "too deeply nested") from None
    except (ValueError, TypeError, UnicodeError, OverflowError, MemoryError) as e:
        raise ParseError(url, "parse_error", e.__class__.__name__) from None
    entries = d.get("entries") or []
    feed = d.get("feed") or {}
    if not entries and not d.get("version"):
        head = body[:512].lstrip().lower()
        kind = "not_a_feed" if head.startswith((b"<!doctype html", b"<html", b"{")) or b"<html" in head \
            else "parse_error"
        reason = d.get("bozo_exception")
        raise ParseError(url, kind, (reason.__class__.__name__ if reason else "no feed found")
                         + (f" (Content-Type {content_type})" if content_type else ""))
    feed_title = clean_text(_text(feed.get("title")), max_chars=200)
    lang = _lang(feed.get("language"))
    source_default = name or feed_title or (urlsplit(url).hostname or "")
    articles = []
    skipped = 0
    for entry in entries[:MAX_ENTRIES]:
        art = _article(entry, url, source_default, lang)
        if art is None:
            skipped += 1
        else:
            articles.append(art)
    return ParsedFeed(title=feed_title, lang=lang, articles=tuple(articles), skipped=skipped)


def _article(entry: Any, feed_url: str, source_default: str, lang: str | None) -> Article | None:
    try:
        title = clean_text(_text(entry.get("title")), max_chars=MAX_TITLE)
        summary_raw = _text(entry.get("summary"))
        if not summary_raw and entry.get("content"):
            summary_raw = _text(entry["content"][0].get("value"))
        summary = clean_text(summary_raw[:200_000], max_chars=MAX_SUMMARY)
        link = _link(entry, feed_url)
        entry_id = clean_text(_text(entry.get("id")))[:2000] or None
        source = source_default
        src = entry.get("source")
        if isinstance(src, dict) and src.get("title"):
            source = clean_text(_text(src.get("title")), max_chars=200) or source
            suffix = f" - {source}"
            if title.endswith(suffix) and len(title) > len(suffix):  # Google News "Headline - Outlet"
                title = title[: -len(suffix)].rstrip()
        if not title and not summary:
            return None
        if not title:
            title = clean_text(summary, max_chars=120)
        return Article(title=title, summary=summary, link=link, published=_date(entry), source=source,
                       lang=_lang(entry.get("language")) or lang, entry_id=entry_id, feed_url=feed_url)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, RecursionError):
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("value", ""))
    return str(value)


def _link(entry: Any, feed_url: str) -> str | None:
    candidates = [entry.get("link")]
    for lk in entry.get("links") or []:
        if isinstance(lk, dict) and lk.get("rel", "alternate") == "alternate":
            candidates.append(lk.get("href"))
    for c in candidates:
        if isinstance(c, str) and c.strip():
            absolute = urljoin(feed_url, c.strip())
            ok = safe_http_url(absolute)
            if ok:
                return ok
    return None


def _date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:
            try:
                ts = calendar.timegm(t)
                if -2_208_988_800 < ts < 32_503_680_000:  # 1900 .. 3000
                    return datetime.fromtimestamp(ts, UTC)
            except (TypeError, ValueError, OverflowError, OSError):
                continue
    return None


def _lang(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"\s*([A-Za-z]{2,3})\b", value)
    return m.group(1).lower() if m else None


def _defuse(body: bytes) -> bytes:
    head, tail = body[:65536], body[65536:]
    if b"<!" in head:
        head = _DOCTYPE_SUBSET.sub(b"", head, count=1)
        head = _DOCTYPE.sub(b"", head, count=1)
        head = _ENTITY.sub(b"", head)
    if b"include" in body[:1_000_000] and b"XInclude" in body[:1_000_000]:
        head = _XINCLUDE.sub(b"", head)
        tail = _XINCLUDE.sub(b"", tail)
    return head + tail


def _gunzip(body: bytes, url: str, max_bytes: int) -> bytes:
    try:
        d = zlib.decompressobj(31)
        out = d.decompress(body, max_bytes + 1)
    except zlib.error:
        raise ParseError(url, "not_a_feed", "gzip data that does not inflate") from None
    if len(out) > max_bytes:
        raise ParseError(url, "parse_error", f"inflated body exceeds {max_bytes} bytes")
    return out
