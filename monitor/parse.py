"""Feed bytes -> clean :class:`~monitor.types.Article` values. Pure: no network, no files.

feedparser is always handed a file object (``io.BytesIO``): given a ``str`` or ``bytes`` it may
open a local path or fetch a URL itself. Before parsing, the body is made safe and honest:

- DOCTYPE internal subsets and ``<!ENTITY>`` declarations are removed, and references to the
  entities they declared are dropped, so entity expansion attacks (billion laughs, quadratic
  blowup, XXE to files or URLs, parameter entities) have nothing to expand or fetch;
- characters XML forbids (raw C0 bytes, ANSI escape sequences, ``&#0;``, ``&#xD800;``,
  ``&#xFFFE;``) are removed, so the strict parser does not give up on the whole feed;
- a byte-order mark wins over the encoding declaration (XML 1.0 Appendix F), and a UTF-16/32
  declaration on single-byte content is read as UTF-8.

JSON Feed is parsed here (feedparser 6.0 does not read it), tolerating wrong types, NaN,
huge numbers and lone surrogates. Every string that leaves this module went through
:func:`~monitor.normalize.clean_text`: sanitized once, at the edge.
"""

from __future__ import annotations

import calendar
import html.entities
import io
import json
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree as ET  # noqa: N817

import feedparser
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252 as _CP1252

from monitor.errors import ParseError
from monitor.normalize import clean_text, safe_http_url
from monitor.types import Article

MAX_TITLE = 300
MAX_SUMMARY = 1500
MAX_ENTRIES = 20_000
MAX_SUMMARY_SOURCE = 200_000     # characters of summary HTML looked at before cleaning
MAX_ID = 2000
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE\s+[A-Za-z_:][^\[>]*\[.*?\]\s*>", re.S | re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE\s+[A-Za-z_:][^\[\]>]*>", re.I)
_ENTITY = re.compile(rb"<!ENTITY[^>]*>", re.I)
_ENTITY_NAME = re.compile(rb"<!ENTITY\s+(%\s*)?([A-Za-z_:][-A-Za-z0-9._:]*)", re.I)
_XINCLUDE = re.compile(rb"<(\w+:)?include\b[^>]*\bhref=[^>]*/?>", re.I)
_ANSI_BYTES = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)?|[@-_])")
_C0_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))
_CHAR_REF = re.compile(rb"&#(x[0-9A-Fa-f]{1,8}|[0-9]{1,10});")
_XML_DECL = re.compile(rb"^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*)([\"'])([A-Za-z0-9._:-]{1,40})\2")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_HTML_ENTITIES = frozenset(html.entities.name2codepoint) | {"amp", "lt", "gt", "quot", "apos"}
_UNSAFE_LINK = re.compile("[\x00-\x20\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    lang: str | None
    articles: tuple[Article, ...]
    skipped: int = 0
    ttl_minutes: float | None = None   # RSS <ttl>: how long the publisher says the feed stays fresh


SkipFn = Callable[[str | None, str | None], bool]   # (entry id, link) -> leave the entry out unread


def parse_feed(body: bytes, url: str, *, content_type: str = "", name: str = "",
               max_bytes: int = 10 * 1024 * 1024, skip: SkipFn | None = None) -> ParsedFeed:
    """Parse one feed body fetched from ``url`` (RSS, Atom, RDF or JSON Feed).

    Never opens files or network connections. Bad entries are skipped (counted in
    ``skipped``), never fatal. Entries for which ``skip(entry_id, link)`` is true (already
    stored, say) are left out before their text is cleaned, and not counted.

    Raises:
        ParseError: ``empty_body``, ``not_a_feed``, ``bad_encoding`` or ``parse_error``.
    """
    if not body or not body.strip():
        raise ParseError(url, "empty_body", "the server sent an empty body")
    if body[:2] == b"\x1f\x8b":  # gzip without Content-Encoding
        body = _gunzip(body, url, max_bytes)
        if not body.strip():
            raise ParseError(url, "empty_body", "gzip body inflates to nothing")
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url, content_type, name)
    body, content_type = _prepare_xml(body, content_type)
    fast = _fast_parse(body, url, content_type, skip)
    if fast is not None:   # (it applied skip itself)
        return _finish(fast[0], fast[1], url, name)
    feed, entries = _feedparser(body, url, content_type)
    return _finish(feed, entries, url, name, skip)


def parse_feed_fast(body: bytes, url: str, *, content_type: str = "", name: str = "",
                    skip: SkipFn | None = None) -> ParsedFeed | None:
    """:func:`parse_feed` for the common case only — a well-formed UTF-8 RSS 2.0 or Atom 1.0
    body of at most ``FAST_MAX_BYTES`` that the fast path reads exactly — or None (then call
    :func:`parse_feed`, in the sandboxed pool). Same result as :func:`parse_feed` when not None;
    bounded work (a linear expat parse of a small, defused body with at most ``FAST_MAX_TAGS`` tags),
    so it may run in the main process."""
    if len(body) > FAST_MAX_BYTES or not body.strip() or body[:2] == b"\x1f\x8b" or \
            _looks_like_json(body, content_type):
        return None
    body, content_type = _prepare_xml(body, content_type)
    fast = _fast_parse(body, url, content_type, skip)
    if fast is None or not fast[1]:  # no entries: nothing to gain, feedparser has the last word
        return None
    return _finish(fast[0], fast[1], url, name)   # (it applied skip itself)


def _feedparser(body: bytes, url: str, content_type: str) -> tuple[Any, Any]:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        d: Any = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False,
                                  resolve_relative_uris=False)
    except RecursionError:
        raise ParseError(url, "parse_error", "too deeply nested") from None
    except (ValueError, TypeError, UnicodeError, OverflowError, MemoryError, LookupError) as e:
        raise ParseError(url, "parse_error", e.__class__.__name__) from None
    entries = d.get("entries") or []
    feed = d.get("feed") or {}
    if not entries and not d.get("version"):
        raise ParseError(url, _failure_kind(body, d), _failure_message(d, content_type))
    return feed, entries


def _finish(feed: Any, entries: Any, url: str, name: str, skip: SkipFn | None = None) -> ParsedFeed:
    feed_title = clean_text(_text(feed.get("title")), max_chars=200)
    lang = _lang(feed.get("language"))
    source_default = clean_text(name, max_chars=200) or feed_title or (urlsplit(url).hostname or "")
    parsed = _collect(entries, feed_title, lang, lambda e: _article(e, url, source_default, lang, skip))
    ttl = _ttl(feed.get("ttl"))
    return replace(parsed, ttl_minutes=ttl) if ttl else parsed


def _ttl(value: Any) -> float | None:
    """RSS ``<ttl>`` in minutes, when it is a sane positive number (at most a week)."""
    try:
        minutes = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes if 0 < minutes <= 7 * 24 * 60 else None


def _collect(entries: Any, feed_title: str, lang: str | None, build: Any) -> ParsedFeed:
    articles = []
    skipped = 0
    for entry in entries[:MAX_ENTRIES]:
        art = build(entry)
        if art is None:
            skipped += 1
        elif art is not _LEFT_OUT:
            articles.append(art)
    return ParsedFeed(title=feed_title, lang=lang, articles=tuple(articles), skipped=skipped)


def _failure_kind(body: bytes, d: Any) -> str:
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<head" in head:
        return "not_a_feed"
    if not head.startswith(b"<"):
        return "not_a_feed"  # plain text: a path, a URL, an error message
    exc = d.get("bozo_exception")
    if exc is not None and exc.__class__.__name__ in ("CharacterEncodingUnknown", "CharacterEncodingOverride"):
        return "bad_encoding"
    return "parse_error"


def _failure_message(d: Any, content_type: str) -> str:
    exc = d.get("bozo_exception")
    msg = exc.__class__.__name__ if exc is not None else "no feed found"
    if content_type:
        msg += f" (Content-Type {clean_text(content_type, max_chars=80)})"
    return msg


_LEFT_OUT: Any = object()   # an entry ``skip`` left out: neither an article nor a bad entry


def _article(entry: Any, feed_url: str, source_default: str, lang: str | None,
             skip: SkipFn | None = None) -> Article | None:
    if entry is _LEFT_OUT:     # the fast path asked skip already
        return entry          # type: ignore[no-any-return]
    try:
        link = _link(entry, feed_url)
        entry_id = _entry_id(entry.get("id"))
        if skip is not None and skip(entry_id, link):
            return _LEFT_OUT   # type: ignore[no-any-return]
        title = clean_text(_text(entry.get("title")), max_chars=MAX_TITLE)
        summary_raw = _text(entry.get("summary"))
        if not summary_raw and entry.get("content"):
            summary_raw = _text(entry["content"][0].get("value"))
        summary = clean_text(summary_raw[:MAX_SUMMARY_SOURCE], max_chars=MAX_SUMMARY)
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
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, RecursionError, UnicodeError):
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _text(value.get("value", ""))
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    return ""  # lists, objects, NaN: not text


def _entry_id(value: Any) -> str | None:
    """A guid as an opaque string: numbers become their decimal form, whitespace-only is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = _text(value)
    return clean_text(_text(value))[:MAX_ID] or None


def _link(entry: Any, feed_url: str) -> str | None:
    candidates = [entry.get("link")]
    for lk in entry.get("links") or []:
        if isinstance(lk, dict) and lk.get("rel", "alternate") == "alternate":
            candidates.append(lk.get("href"))
    for c in candidates:
        ok = _http_link(c, feed_url)
        if ok:
            return ok
    return None


def _http_link(value: Any, base: str) -> str | None:
    """An absolute http(s) URL from ``value`` (relative ones resolved against ``base``), or None
    for any other scheme, control or invisible characters, or an unusable value."""
    if not isinstance(value, str) or not value.strip() or len(value) > 4096:
        return None
    c = value.strip()
    if _UNSAFE_LINK.search(c):
        return None
    try:
        absolute = urljoin(base, c)
    except ValueError:
        return None
    return safe_http_url(absolute)


def _date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = dict.get(entry, key)  # plain lookup: FeedParserDict maps missing keys with a warning
        if t:
            try:
                ts = calendar.timegm(t)
                if _plausible(ts):
                    return datetime.fromtimestamp(ts, UTC)
            except (TypeError, ValueError, OverflowError, OSError):
                continue
    for key in ("published", "updated"):
        raw = dict.get(entry, key)
        if isinstance(raw, str):
            found = _localized_date(raw)
            if found:
                return found
    return None


# RFC 822-style dates with month names in the feed's language ("Seg, 24 Set 2018 19:42:40 -0300")
_LOCAL_DATE = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]{3,10})\.?,?\s+(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                         r"\s*(?:([+-])(\d{2}):?(\d{2})|GMT|UTC|UT|Z)?")
_MONTHS = {name: i + 1 for names in (
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "jan fev mar abr mai jun jul ago set out nov dez",          # pt
    "ene feb mar abr may jun jul ago sep oct nov dic",          # es
    "janv févr mars avr mai juin juil août sept oct nov déc",   # fr
    "jan feb mär apr mai jun jul aug sep okt nov dez",          # de
    "gen feb mar apr mag giu lug ago set ott nov dic",          # it
) for i, name in enumerate(names.split())}
_MONTHS.update({"mrz": 3, "fév": 2, "fevr": 2, "aou": 8, "dec": 12, "sept": 9})


def _localized_date(raw: str) -> datetime | None:
    m = _LOCAL_DATE.search(raw[:100])
    if not m:
        return None
    month = _MONTHS.get(m.group(2).lower()) or _MONTHS.get(m.group(2).lower()[:3])
    if not month:
        return None
    try:
        dt = datetime(int(m.group(3)), month, int(m.group(1)), int(m.group(4)), int(m.group(5)),
                      int(m.group(6) or 0), tzinfo=UTC)
    except ValueError:
        return None
    if m.group(7):
        offset = (int(m.group(8)) * 60 + int(m.group(9))) * (1 if m.group(7) == "+" else -1)
        if abs(offset) > 14 * 60:
            return None
        dt = dt.replace(tzinfo=UTC) - timedelta(minutes=offset)
    return dt if _plausible(dt.timestamp()) else None


def _plausible(ts: float) -> bool:
    """Dates before 1970-01-02 (epoch zero is a common "no date" placeholder) or from 2100 on
    are not dates anyone published at: treat them as missing (first-seen time)."""
    return 86_400 <= ts < 4_102_444_800


def _lang(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"\s*([A-Za-z]{2,3})\b", value)
    return m.group(1).lower() if m else None


# ---- making XML safe to hand to feedparser ------------------------------------------------------


def _prepare_xml(body: bytes, content_type: str) -> tuple[bytes, str]:
    body, content_type = _fix_declared_encoding(body, content_type)
    body = _defuse(body)
    if not _is_wide(body):
        body = _strip_illegal(body)
    return body, content_type


def _is_wide(body: bytes) -> bool:
    """UTF-16/32 bodies, where NUL bytes are part of every character."""
    return body[:2] in (b"\xff\xfe", b"\xfe\xff") or body[:4] == b"\x00\x00\xfe\xff" or (
        len(body) > 3 and (body[0] == 0 or body[1] == 0))


def _fix_declared_encoding(body: bytes, content_type: str) -> tuple[bytes, str]:
    """A byte-order mark wins over the declaration and the HTTP charset (XML 1.0 Appendix F); a
    UTF-16/32 declaration on bytes that are plainly single-byte (``<?xml`` in ASCII) means UTF-8."""
    if body.startswith(b"\xef\xbb\xbf"):
        rest = body[3:]
        m = _XML_DECL.match(rest)
        if m and m.group(3).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            rest = rest[:m.start(3)] + b"utf-8" + rest[m.end(3):]
        return b"\xef\xbb\xbf" + rest, _without_charset(content_type)
    if body.startswith(_BOMS):
        return body, _without_charset(content_type)
    m = _XML_DECL.match(body)
    if m and m.group(3).lower().startswith((b"utf-16", b"utf16", b"utf-32", b"utf32", b"ucs-2", b"ucs-4",
                                            b"iso-10646-ucs")):
        return body[:m.start(3)] + b"utf-8" + body[m.end(3):], _without_charset(content_type)
    return body, content_type


def _without_charset(content_type: str) -> str:
    return re.sub(r";\s*charset\s*=\s*[^;]*", "", content_type, flags=re.I)


def _defuse(body: bytes) -> bytes:
    """Remove DTD internal subsets, entity declarations and XInclude elements, and drop the
    references to every entity the document declared itself (HTML entity names excepted: the
    loose parser knows those)."""
    head, tail = body[:65536], body[65536:]
    declared: set[bytes] = set()
    if b"<!" in head:
        m = _DOCTYPE_SUBSET.search(head)
        if m:
            declared.update(n.group(2) for n in _ENTITY_NAME.finditer(m.group(0)) if not n.group(1))
            head = head[:m.start()] + head[m.end():]
        head = _DOCTYPE.sub(b"", head, count=1)
    body = head + tail
    if _ENTITY.search(body):
        declared.update(n.group(2) for n in _ENTITY_NAME.finditer(body) if not n.group(1))
        body = _ENTITY.sub(b"", body)
    declared = {n for n in declared if n.decode("ascii", "replace") not in _HTML_ENTITIES}
    if declared:
        names = b"|".join(re.escape(n) for n in sorted(declared, key=len, reverse=True))
        body = re.sub(rb"&(?:" + names + rb");", b"", body)
    if b"include" in body and b"XInclude" in body:
        body = _XINCLUDE.sub(b"", body)
    return body


def _strip_illegal(body: bytes) -> bytes:
    """Remove what XML 1.0 forbids and expat rejects the whole document for: raw C0 control
    bytes (ANSI escape sequences whole) and character references to NUL, C0, surrogates,
    U+FFFE/U+FFFF or beyond U+10FFFF."""
    if b"\x1b" in body:
        body = _ANSI_BYTES.sub(b"", body)
    body = body.translate(None, _C0_BYTES)
    if b"&#" in body:
        body = _CHAR_REF.sub(_legal_ref, body)
    return body


def _legal_ref(m: re.Match[bytes]) -> bytes:
    ref = m.group(1)
    try:
        cp = int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)
    except ValueError:
        return b""
    if cp in (9, 10, 13) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF:
        return m.group(0)
    return b""


def _gunzip(body: bytes, url: str, max_bytes: int) -> bytes:
    try:
        d = zlib.decompressobj(31)
        out = d.decompress(body, max_bytes + 1)
    except zlib.error:
        raise ParseError(url, "not_a_feed", "gzip data that does not inflate") from None
    if len(out) > max_bytes:
        raise ParseError(url, "too_large", f"inflated body exceeds {max_bytes} bytes")
    return out


# ---- JSON Feed ----------------------------------------------------------------------------------


def _looks_like_json(body: bytes, content_type: str) -> bool:
    ct = content_type.split(";", 1)[0].strip().lower()
    if ct in ("application/json", "application/feed+json") or ct.endswith("+json"):
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _parse_json_feed(body: bytes, url: str, content_type: str, name: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1. Wrong types are skipped or coerced; a document that is JSON but not
    a JSON Feed (``{"error": ...}``) is ``not_a_feed``."""
    text = body.decode("utf-8-sig", "replace")
    try:
        data = json.loads(text)
    except RecursionError:
        raise ParseError(url, "parse_error", "JSON nested too deeply") from None
    except ValueError:
        head = body.lstrip()[:1]
        kind = "not_a_feed" if head not in (b"{", b"[") else "parse_error"
        raise ParseError(url, kind, "not valid JSON" + _ct_note(content_type)) from None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ParseError(url, "not_a_feed", "JSON without a JSON Feed \"items\" list" + _ct_note(content_type))
    feed_title = clean_text(_text(data.get("title")), max_chars=200)
    lang = _lang(data.get("language"))
    base = _http_link(data.get("feed_url"), url) or _http_link(data.get("home_page_url"), url) or url
    source_default = clean_text(name, max_chars=200) or feed_title or (urlsplit(url).hostname or "")
    return _collect(items, feed_title, lang, lambda it: _json_article(it, url, base, source_default, lang))


def _ct_note(content_type: str) -> str:
    return f" (Content-Type {clean_text(content_type, max_chars=80)})" if content_type else ""


def _json_article(item: Any, feed_url: str, base: str, source_default: str, lang: str | None) -> Article | None:
    if not isinstance(item, dict):
        return None
    try:
        title = clean_text(_text(item.get("title")), max_chars=MAX_TITLE)
        summary_raw = _text(item.get("summary")) or _text(item.get("content_text")) or _text(item.get("content_html"))
        summary = clean_text(summary_raw[:MAX_SUMMARY_SOURCE], max_chars=MAX_SUMMARY)
        link = _http_link(item.get("url"), base) or _http_link(item.get("external_url"), base)
        if not title and not summary:
            return None
        if not title:
            title = clean_text(summary, max_chars=120)
        published = _json_date(item.get("date_published")) or _json_date(item.get("date_modified"))
        return Article(title=title, summary=summary, link=link, published=published, source=source_default,
                       lang=_lang(item.get("language")) or lang, entry_id=_entry_id(item.get("id")),
                       feed_url=feed_url)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, RecursionError, UnicodeError):
        return None


def _json_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not 8 <= len(value) <= 64:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        dt = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return dt if _plausible(dt.timestamp()) else None


# ---- fast path: well-formed UTF-8 RSS 2.0 / Atom 1.0 with ElementTree -----------------------------
#
# feedparser costs ~0.2 ms of CPU per entry even without sanitizing; most of it is its SAX
# bookkeeping. Most real feeds are plain, well-formed UTF-8 RSS 2.0 or Atom 1.0 that use a
# handful of elements; for those, _fast_entries builds the same values feedparser's strict
# parser would (same precedence rules, URI resolution, date parsing and text fixes), from an
# ElementTree tree (the C accelerator over expat), about 4x faster with text cleaning included.
# Anything it does not know exactly — another encoding, a DTD, xml:base, XHTML or base64
# content, an unknown element inside an item, a comment or processing instruction inside a value,
# a body over FAST_MAX_BYTES or with more than FAST_MAX_TAGS tags — declines (None) and feedparser
# parses it as before. The body reaching it has already been
# defused (_prepare_xml) and has no DOCTYPE, so expat has no entity to expand and nothing to fetch.
# (ElementTree rather than lxml: same results on every corpus scripts/bench_fastparse.py reads,
# a little faster, and ≈ 5 MiB less in the main process, which never loads lxml's library.)

FAST_MAX_BYTES = 2 * 1024 * 1024
# the tree is built whole before it is read: at most this many '<' (tags, comments, CDATA and its
# markup), ≈ 6 MiB of elements, so a hostile body cannot grow the main process (real news feeds:
# ≤ 4,300); more goes to feedparser in the sandboxed pool
FAST_MAX_TAGS = 20_000
_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_FAST_DECL = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_FAST_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_FAST_DECLINE = (b"xml:base", b" base=", b"xhtml", b"base64", b"<!DOCTYPE", b"<!doctype", b"<!ENTITY")
_URIFIXER = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")
# RSS / Atom item children that set nothing this module reads (feedparser stores them under
# other keys): skipped whole, with their subtrees
_RSS_IGNORED = frozenset({"author", "category", "comments", "enclosure", _DC + "creator", _DC + "subject",
                          "{http://purl.org/rss/1.0/modules/slash/}comments",
                          "{http://wellformedweb.org/CommentAPI/}commentRss"})
_ATOM_IGNORED = frozenset({_ATOM + "author", _ATOM + "contributor", _ATOM + "category", _ATOM + "rights"})
_ATOM_PERSON = frozenset({_ATOM + "name", _ATOM + "email", _ATOM + "uri"})
_FAST_TEXT_TYPES = frozenset({"text", "html", "text/plain", "text/html"})


class _Decline(Exception):
    """The fast path does not know this document exactly: feedparser parses it."""


def _fast_candidate(body: bytes, content_type: str) -> bool:
    """Cheap checks before building a tree: size, UTF-8 (declared, HTTP charset), no constructs
    whose feedparser semantics the fast path does not replicate."""
    if len(body) > FAST_MAX_BYTES or _is_wide(body) or body.count(b"<") > FAST_MAX_TAGS:
        return False
    m = _FAST_DECL.match(body)
    if m and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return False
    if content_type:
        ct = content_type.lower()
        if "xml" not in ct and "rss" not in ct and "atom" not in ct:
            return False
        cs = _FAST_CT_CHARSET.search(content_type)
        if cs and cs.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
            return False
    return not any(marker in body for marker in _FAST_DECLINE)


def _fast_parse(body: bytes, url: str, content_type: str,
                skip: SkipFn | None = None) -> tuple[Any, Any, str | None] | None:
    """(feed dict, entry dicts, version) shaped like feedparser's, or None to use feedparser.
    An entry that ``skip`` leaves out keeps only what names it (id, link, links): its other values
    are never computed (every entry is still checked for what the fast path cannot replicate)."""
    if not _fast_candidate(body, content_type):
        return None
    # comments and processing instructions stay in the tree: a value with one inside is markup
    # that feedparser reads its own way, so the fast path declines it
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
    try:
        parser.feed(body)
        root = parser.close()
    except (ET.ParseError, ValueError):
        return None
    try:
        if root.tag == "rss":
            return _fast_rss(root, url, skip)
        if root.tag == _ATOM + "feed":
            return _fast_atom(root, url, skip)
    except (_Decline, RecursionError, UnicodeError):
        return None
    return None


def _fp_fix(text: str) -> str:
    """feedparser's last touches on every UTF-8 text value: undo UTF-8 read as Latin-1, map
    C1 controls to their windows-1252 characters."""
    if text.isascii():  # neither applies
        return text
    try:
        text = text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return text.translate(_CP1252)


def _fast_text(el: Any) -> str:
    if len(el):  # child elements, comments or PIs: feedparser keeps markup pieces
        raise _Decline
    return (el.text or "").strip()


def _fast_uri(base: str, uri: str) -> str:
    uri = _URIFIXER.sub(r"\1\3", uri)
    try:
        return urljoin(base, uri)
    except ValueError:
        return ""


def _fast_value(el: Any, base: str | None = None) -> str:
    out = _fast_text(el)
    if out and base is not None:
        out = _fast_uri(base, out)
    return _fp_fix(out)


def _fast_lang(root: Any) -> str | None:
    lang = root.get(_XML_LANG, root.get("lang"))
    return lang.replace("_", "-") if lang else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _fast_title(parent: Any, tag: str, entry_tag: str) -> str:
    """The feed's title; declines where feedparser would also read another element as the
    title (``dc:title``, ``<TITLE>``) or as an entry (``<item>`` in Atom, ``<entry>`` in RSS)."""
    for c in parent:
        if isinstance(c.tag, str) and c.tag not in (tag, entry_tag, "language") and _local(c.tag) in (
                "title", "item", "entry", "language"):
            raise _Decline
    titles = [c for c in parent if c.tag == tag]
    if len(titles) > 1:
        raise _Decline
    if titles and titles[0].get("type", "text").lower() not in _FAST_TEXT_TYPES:
        raise _Decline
    return _fast_value(titles[0]) if titles else ""


def _fast_rss(root: Any, url: str, skip: SkipFn | None = None) -> tuple[Any, Any, str | None]:
    channels = [c for c in root if isinstance(c.tag, str)]
    if len(channels) != 1 or channels[0].tag != "channel" or set(root.attrib.keys()) - {"version"}:
        raise _Decline
    channel = channels[0]
    feed: dict[str, Any] = {"title": _fast_title(channel, "title", "item")}
    lang = _fast_lang(root)
    for c in channel:
        if c.tag == "language":
            lang = _fast_value(c)
        elif c.tag == "ttl":
            feed["ttl"] = _fast_value(c)
    if lang is not None:
        feed["language"] = lang
    entries = [_fast_rss_item(item, url, skip) for item in channel if item.tag == "item"]
    return feed, entries, "rss20"


def _set_date(e: dict[str, Any], key: str, value: str) -> None:
    e[key] = value
    e[key + "_parsed"] = _parse_date(value)


# A value the fast path computes only for an entry that is not left out: (what to do, element, key).
# The values only an entry's name depends on (id, link, links) are computed at once; these others
# write disjoint keys, replayed in document order, so the entry is the same dict either way.
_Deferred = tuple[str, Any, str]


def _fast_checked(el: Any) -> Any:
    """``el`` if :func:`_fast_text` would read it, else decline now (as the eager reading would)."""
    if len(el):
        raise _Decline
    return el


def _fast_finish(e: dict[str, Any], later: list[_Deferred], base: str, skip: SkipFn | None) -> Any:
    """The entry, or ``_LEFT_OUT`` when ``skip`` leaves it out (asked once, with the id and link
    :func:`_article` would read)."""
    if skip is not None:
        try:
            left_out = skip(_entry_id(e.get("id")), _link(e, base))
        except (AttributeError, TypeError, ValueError, KeyError, IndexError, UnicodeError):
            left_out = False   # _article meets the same error and counts the entry as bad
        if left_out:
            return _LEFT_OUT
    for what, el, key in later:
        if what == "set":
            e[key] = _fast_value(el)
        elif what == "date":
            _set_date(e, key, _fast_value(el))
        elif what == "content":    # key: the content type
            value = _fast_value(el)
            e.setdefault("content", []).append({"type": key, "value": value})
            e.setdefault("summary", value)
        else:                      # "source"
            src = {"href": el.get("url")} if el.get("url") is not None else {}
            value = _fast_value(el)
            if value:
                src["title"] = value
            e["source"] = src
    return e


def _fast_rss_item(item: Any, base: str, skip: SkipFn | None = None) -> Any:   # an entry dict, or _LEFT_OUT
    if item.attrib:
        raise _Decline
    e: dict[str, Any] = {}
    later: list[_Deferred] = []
    title_locked = has_content = has_summary = False
    for c in item:
        tag = c.tag
        if not isinstance(tag, str):
            continue
        if tag[0] != "{":
            tag = tag.lower()  # feedparser reads element names case-insensitively
        if tag in _RSS_IGNORED:
            if len(c):  # e.g. an <image> with a <title> inside a <category>: feedparser reads it
                raise _Decline
            continue
        if tag == "title":
            if not title_locked:
                later.append(("set", _fast_checked(c), "title"))
                title_locked = bool((c.text or "").strip())
        elif tag == "link":
            if c.attrib:
                raise _Decline
            value = _fast_value(c, base)
            value = _LINK_ENTITY.sub(r"&\g<1>", value.replace("&amp;", "&"))
            link: dict[str, str] = {"rel": "alternate", "type": "text/html"}
            e.setdefault("links", []).append(link)
            e["link"] = value
            if value:
                link["href"] = value
        elif tag == "description":
            if has_summary and not has_content:
                raise _Decline
            later.append(("set", _fast_checked(c), "summary"))
            has_summary = True
        elif tag == _CONTENT_ENCODED:
            has_content = has_summary = True
            later.append(("content", _fast_checked(c), "text/html"))
        elif tag == "guid":
            is_link = {k.lower(): v for k, v in c.attrib.items()}.get("ispermalink", "true") == "true"
            value = _fast_value(c, base if is_link else None)
            e["id"] = value
            if is_link:
                e.setdefault("link", value)
        elif tag == "pubdate":
            later.append(("date", _fast_checked(c), "published"))
        elif tag == _DC + "date":
            later.append(("date", _fast_checked(c), "updated"))
        elif tag in ("language", _DC + "language"):
            later.append(("set", _fast_checked(c), "language"))
        elif tag == "source":
            later.append(("source", _fast_checked(c), "source"))
            title_locked = False
        else:
            raise _Decline
    return _fast_finish(e, later, base, skip)


def _fast_atom(root: Any, url: str, skip: SkipFn | None = None) -> tuple[Any, Any, str | None]:
    feed: dict[str, Any] = {"title": _fast_title(root, _ATOM + "title", _ATOM + "entry")}
    lang = _fast_lang(root)
    if lang is not None:
        feed["language"] = lang
    entries = [_fast_atom_entry(entry, url, skip) for entry in root if entry.tag == _ATOM + "entry"]
    return feed, entries, "atom10"


def _fast_atom_entry(entry: Any, base: str, skip: SkipFn | None = None) -> Any:   # an entry dict, or _LEFT_OUT
    if entry.attrib:
        raise _Decline
    e: dict[str, Any] = {}
    later: list[_Deferred] = []
    title_locked = has_content = has_summary = False
    for c in entry:
        tag = c.tag
        if not isinstance(tag, str):
            continue
        if tag in _ATOM_IGNORED:
            if any(not isinstance(g.tag, str) or len(g) or g.tag not in _ATOM_PERSON for g in c):
                raise _Decline
            continue
        if tag == _ATOM + "title":
            if c.get("type", "text").lower() not in _FAST_TEXT_TYPES:
                raise _Decline
            if not title_locked:
                later.append(("set", _fast_checked(c), "title"))
                title_locked = bool((c.text or "").strip())
        elif tag == _ATOM + "link":
            attrs = {k.lower(): (v.lower() if k.lower() in ("rel", "type") else v) for k, v in c.attrib.items()}
            if "href" not in attrs or not isinstance(attrs["href"], str) or any(":" in k for k in attrs):
                raise _Decline
            attrs.setdefault("rel", "alternate")
            attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
            attrs["href"] = _fast_uri(base, attrs["href"])
            e.setdefault("links", []).append(attrs)
            mapped = {"text": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}.get(
                attrs["type"], attrs["type"])
            if attrs["rel"] == "alternate" and mapped in ("text/html", "application/xhtml+xml"):
                e["link"] = attrs["href"]
        elif tag == _ATOM + "id":
            if c.attrib:
                raise _Decline
            value = _fast_value(c, base)
            e["id"] = value
            e.setdefault("link", value)
        elif tag == _ATOM + "summary":
            if has_summary and not has_content or c.get("type", "text").lower() not in _FAST_TEXT_TYPES:
                raise _Decline
            later.append(("set", _fast_checked(c), "summary"))
            has_summary = True
        elif tag == _ATOM + "content":
            kind = c.get("type", "text").lower()
            if kind not in _FAST_TEXT_TYPES or c.get("src") is not None or c.get("mode") is not None:
                raise _Decline
            has_content = has_summary = True
            later.append(("content", _fast_checked(c), "text/html" if "html" in kind else "text/plain"))
        elif tag == _ATOM + "published":
            later.append(("date", _fast_checked(c), "published"))
        elif tag == _ATOM + "updated":
            later.append(("date", _fast_checked(c), "updated"))
        else:
            raise _Decline
    return _fast_finish(e, later, base, skip)
