"""OPML import/export. Reading never fetches anything (no DTDs, no entities)."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from monitor.errors import ConfigError


def read_opml(path: Path) -> list[tuple[str, str]]:
    """``[(url, title)]`` of every outline with an http(s) ``xmlUrl``."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    if b"<!DOCTYPE" in raw[:4096].upper() or b"<!ENTITY" in raw.upper():
        raise ConfigError(f"{path}: OPML with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        raise ConfigError(f"{path}: not valid OPML: {e}") from None
    out = []
    for el in root.iter("outline"):
        url = (el.get("xmlUrl") or el.get("xmlurl") or "").strip()
        if re.match(r"^https?://\S+$", url, re.I):
            out.append((url, (el.get("title") or el.get("text") or "").strip()))
    return out


def write_opml(feeds: list[tuple[str, str]]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             "  <head><title>monitor feeds</title></head>", "  <body>"]
    for url, title in feeds:
        lines.append(f'    <outline type="rss" text={quoteattr(title or url)} xmlUrl={quoteattr(url)}/>')
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
