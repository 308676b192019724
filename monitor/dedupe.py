"""Exact identity keys. Versioned, fixed-size hashes of normalized fields; the database
enforces uniqueness on them (insert-or-ignore). Pure.

- ``entry_key``: per feed. The entry's guid (trimmed; URL guids with scheme and host
  lower-cased), else its canonical link, else a hash of normalized title and summary.
- ``url_key``: across feeds. The canonical link (tracking parameters, AMP/mobile hosts,
  fragments and trailing slashes removed): one article however many feeds carry it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from monitor.normalize import canonical_url
from monitor.types import Article

VERSION = "v1"


def _h(basis: str) -> str:
    return f"{VERSION}:" + hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _norm_text(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    return re.sub(r"\W+", " ", s).strip()


def _norm_guid(guid: str) -> str:
    g = guid.strip()
    if re.match(r"^https?://", g, re.I):
        try:
            p = urlsplit(g)
            return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path, p.query, p.fragment))
        except ValueError:
            return g
    return g


def entry_key(article: Article) -> str:
    return id_key(article.entry_id, article.link) or \
        _h("txt:" + _norm_text(article.title) + "|" + _norm_text(article.summary))


def id_key(entry_id: str | None, link: str | None) -> str | None:
    """The entry key from the guid or the link alone, or None when it needs the text (an entry
    without either): what lets a parser leave out known entries before cleaning their text."""
    if entry_id and entry_id.strip():
        return _h("id:" + _norm_guid(entry_id))
    canon = canonical_url(link)
    return _h("url:" + canon) if canon else None


def url_key(article: Article) -> str | None:
    canon = canonical_url(article.link)
    return _h("url:" + canon) if canon else None
