"""Feed discovery for ``monitor feeds add``: given a site's page, find its feed in
``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json" href="…">``. Only the
operator's command fetches (one page, capped); the poller itself never discovers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from monitor.errors import ConfigError
from monitor.normalize import safe_http_url

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
              "application/rdf+xml")
MAX_PAGE = 2 * 1024 * 1024


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        kind = a.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and a.get("href"):
            self.found.append((a["href"], a.get("title", "")))


def feed_links(html: str, base_url: str) -> list[tuple[str, str]]:
    """``[(absolute feed url, title)]`` declared by an HTML page, in page order. Pure."""
    parser = _Links()
    parser.feed(html)
    out: list[tuple[str, str]] = []
    for href, title in parser.found:
        url = safe_http_url(urljoin(base_url, href.strip()))
        if url and url not in [u for u, _ in out]:
            out.append((url, title))
    return out


def looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return bool(re.search(rb"<(rss|feed|rdf:rdf)\b", head)) or (head.startswith(b"{") and b"jsonfeed" in head)


def discover(url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 15.0) -> tuple[str, str]:
    """The feed URL for ``url``: itself when it serves a feed, else the first feed its page declares.

    Raises:
        ConfigError: the page cannot be fetched or declares no feed.
    """
    try:
        with httpx.Client(transport=transport, timeout=timeout, follow_redirects=True, max_redirects=5,
                          headers={"User-Agent": "monitor (feed discovery)"}) as client:
            with client.stream("GET", url) as resp:
                if resp.status_code != 200:
                    raise ConfigError(f"feeds add: {url} answered HTTP {resp.status_code}")
                body = b""
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > MAX_PAGE:
                        break
                final = str(resp.url)
                ctype = resp.headers.get("content-type", "").lower()
    except httpx.HTTPError as e:
        raise ConfigError(f"feeds add: cannot fetch {url}: {e.__class__.__name__}") from None
    if looks_like_feed(body) or any(t in ctype for t in ("rss", "atom", "feed+json")):
        return url, ""
    links = feed_links(body.decode("utf-8", "replace"), final)
    if not links:
        raise ConfigError(f"feeds add: {url} is not a feed and its page declares none "
                          "(<link rel=\"alternate\" type=\"application/rss+xml\">)")
    return links[0]
