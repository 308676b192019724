"""Clean text and canonical URLs. Pure: no network, no clock.

``clean_text`` turns feed HTML into one plain line of display-safe text; ``canonical_url``
gives the form used for identity and dedupe (never for display).
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TAG = re.compile(r"<[^>]{0,2000}>")
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_WS = re.compile(r"\s+")
# C0 (except TAB/LF/CR, folded to spaces later), DEL, C1, bidi embeddings/overrides/isolates,
# zero-width and other format characters that only hide or reorder text.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ufffe\uffff\U000e0000-\U000e007f\ud800-\udfff]"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_LINE_BREAKS = re.compile("[\r\n\u2028\u2029\u0085\t\v\f]")


def clean_text(value: str | None, *, max_chars: int = 0) -> str:
    """Return ``value`` as plain display text.

    Strips tags (script/style with their content), decodes entities, removes control,
    bidi-override and invisible format characters, folds all whitespace and line breaks
    to single spaces, caps combining marks at two per base character, and truncates to
    ``max_chars`` (0: no cap) at a character boundary with an ellipsis.
    """
    if not value:
        return ""
    text = value
    if "<" in text:
        text = _SCRIPT.sub(" ", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
        if "<" in text:  # entity-encoded markup (&lt;b&gt;) becomes tags after unescaping
            text = _TAG.sub(" ", text)
    text = _ANSI.sub("", text)
    text = _LINE_BREAKS.sub(" ", text)
    text = _CONTROL.sub("", text)
    text = _cap_combining(text)
    text = _WS.sub(" ", text).strip()
    if max_chars and len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def _cap_combining(text: str, limit: int = 2) -> str:
    if not _has_combining(text):
        return text
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.combining(ch):
            run += 1
            if run > limit:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


_COMBINING_PROBE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _has_combining(text: str) -> bool:
    return _COMBINING_PROBE.search(text) is not None


# ---- URLs -------------------------------------------------------------------------------------

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
    "guccounter", "guce_referrer", "guce_referrer_sig", "smid", "smtyp", "cmpid", "ocid",
    "ref", "ref_src", "ref_url", "referrer", "src", "source", "via", "igshid", "_ga", "_gl",
    "mkt_tok", "trk", "sr_share", "taid", "soc_src", "soc_trk", "ito", "icid", "ns_mchannel",
    "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "cid", "s_cid", "at_medium", "at_campaign",
    "output", "outputtype", "amp", "amp_js_v", "usqp", "partner", "tpcc", "ftag", "xtor",
})
_DROP_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def safe_http_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL without userinfo problems, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(c in url for c in "\r\n\t \x00<>\"") or len(url) > 2048:
        return None
    if parts.username is not None or parts.password is not None:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme.lower(), host, parts.path, parts.query, parts.fragment))
    return url


def canonical_url(url: str | None) -> str | None:
    """Identity form of ``url``: lower-case host without www./m./amp., http≡https, no tracking
    parameters (``utm_*`` and friends), no fragment, no trailing slash or ``/amp`` suffix,
    sorted query. Returns None for anything that is not an http(s) URL.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    for prefix in _DROP_HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = path.rstrip("/")
    path = re.sub(r"(/amp(\.html)?|\.amp(\.html)?)$", "", path, flags=re.I)
    path = path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(("utm_", "at_", "hsa_", "pk_")) and k.lower() not in TRACKING_PARAMS]
    query.sort()
    return urlunsplit(("https", host, path, urlencode(query), ""))


def redact_url(url: str) -> str:
    """``url`` safe for logs: userinfo removed, query values replaced by ``…``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        query = "&".join(f"{k}=…" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
        return urlunsplit((parts.scheme, host, parts.path, query, ""))
    except ValueError:
        return "<invalid url>"
