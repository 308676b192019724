"""Clean text and canonical URLs. Pure: no network, no clock.

``clean_text`` turns feed HTML into one plain line of display-safe text; ``canonical_url``
gives the form used for identity and dedupe (never for display).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# A tag never contains "<": excluding it keeps the scan linear on "<<<<…" (each match attempt
# stops at the next "<"), where "[^>]" would rescan up to 2,000 characters per position.
_TAG = re.compile(r"<[^<>]{0,2000}>")
_RAW_TEXT_OPEN = re.compile(r"<(script|style)\b[^<>]*>", re.I)
# C0 (except TAB/LF/CR, folded to spaces later), DEL, C1, soft hyphen, Arabic letter mark,
# Mongolian vowel separator, bidi embeddings/overrides/isolates/marks, zero-width and other
# format characters that only hide or reorder text, noncharacters, TAG characters, and lone
# surrogates (which no UTF-8 encoder, database or sink accepts).
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufdd0-\ufdef\ufeff\ufff9-\ufffb\ufffe\uffff\U000e0000-\U000e007f\ud800-\udfff]"
)
# ANSI/VT escape sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ST), and two-byte ESC forms.
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)?|[@-_])")
# Line breaks and the other C0/C1 controls separate words: they become spaces, not nothing.
_LINE_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What the three passes above act on, less the whitespace the final fold handles alike
# (TAB, LF, VT, FF, CR, FS-US, NEL, LS, PS): when none is present they change nothing.
_ODD = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\xad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufdd0-\ufdef\ufeff\ufff9-\ufffb\ufffe\uffff\U000e0000-\U000e007f\ud800-\udfff]"
)
_RAW_TEXT_HINT = re.compile("<[sS][cCtT]")   # cheap test before the case-insensitive element scan


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
        if _RAW_TEXT_HINT.search(text):
            text = _strip_raw_text(text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
        if "<" in text:  # entity-encoded markup (&lt;b&gt;) becomes tags after unescaping
            text = _TAG.sub(" ", text)
    if _ODD.search(text):  # most text has none: one scan instead of three substitutions
        text = _ANSI.sub("", text)
        text = _LINE_BREAKS.sub(" ", text)
        text = _CONTROL.sub("", text)
    if not text.isascii():
        text = _cap_combining(text)
    # str.split() splits on exactly the characters \s matches (str.isspace) and drops them at
    # both ends: the same as re.sub(r"\s+", " ", text).strip(), at a third of the cost
    text = " ".join(text.split())
    if max_chars and len(text) > max_chars:
        text = _truncate(text, max_chars)
    return text


def _strip_raw_text(text: str) -> str:
    """Drop ``<script>``/``<style>`` elements with their content, in one linear pass (a lazy
    regex such as ``<script>.*?</script>`` is quadratic on thousands of unclosed openers).
    An opener without its closer drops the rest of the text."""
    if not _RAW_TEXT_OPEN.search(text):
        return text
    out: list[str] = []
    pos = 0
    lower = text.lower()
    while True:
        m = _RAW_TEXT_OPEN.search(text, pos)
        if m is None:
            out.append(text[pos:])
            break
        out.append(text[pos:m.start()])
        out.append(" ")
        end = lower.find("</" + m.group(1).lower(), m.end())
        if end < 0:
            break
        close = text.find(">", end)
        pos = len(text) if close < 0 else close + 1
    return "".join(out)


def _truncate(text: str, max_chars: int) -> str:
    """Cut to ``max_chars`` characters including the ellipsis, never inside a base character's
    run of combining marks (a grapheme boundary for the text ``clean_text`` produces)."""
    cut = max_chars - 1
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    return text[:cut].rstrip() + "…"


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

# Parameters that exist only to attribute a click or a share (click ids, campaign and newsletter
# tags, paywall and consent round-trips, AMP rendition flags): never part of an article's identity.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
    "guccounter", "guce_referrer", "guce_referrer_sig", "smid", "smtyp", "cmpid", "ocid",
    "ref_src", "ref_url", "igshid", "_ga", "_gl", "mkt_tok", "trk", "sr_share", "taid", "soc_src",
    "soc_trk", "ito", "icid", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "s_cid",
    "at_medium", "at_campaign", "amp", "amp_js_v", "usqp", "tpcc", "ftag", "xtor",
    "referringsource", "embedded-checkout", "sref", "ncid", "spm", "_hsenc", "_hsmi", "hsctatracking",
    "oly_enc_id", "oly_anon_id", "vero_id", "rb_clickid", "ck_subscriber_id", "__twitter_impression",
    "mbid", "ceid", "leadsource", "traffic_source", "intcmp", "int_source",
    # section and share tags of news sites: Bloomberg's section round (srnd=technology-vp), CNBC's
    # share-bar source (__source=sharebar|twitter), FT's campaign tag, Nikkei's campaign id, the
    # New York Times's gift-link code (the article is its path, the code only unlocks it)
    "srnd", "__source", "ftcamp", "n_cid", "unlocked_article_code",
})
# Generic names that sites also use for tracking ("?src=rss", "?cid=nl", "?share=x") but that a
# script may read to choose the article or its content ("article.php?cid=123"): dropped only where
# the path already names one article (see :func:`_path_names_article`), kept otherwise, so two
# articles are never collapsed into one (a missed merge is the lesser error).
AMBIGUOUS_PARAMS = frozenset({
    "cid", "source", "src", "ref", "referrer", "via", "output", "outputtype", "partner", "mod", "rss",
    "share", "shared", "sh", "si", "oc", "cmp", "assettype", "feedtype", "feedname",
    # FT gift links (accessToken=…&sharetype=gift) and CNBC's par=sharebar: generic names a page
    # could read, so only where the path names the article (FT's /content/<uuid> does)
    "accesstoken", "sharetype", "par",
})
_TRACKING_PREFIXES = ("utm_", "at_", "hsa_", "pk_", "mtm_", "wt.", "wt_", "ga_", "trk_")
_DROP_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
# AMP renditions that live in the path: a bare ``amp`` segment (cnbc.com/amp/...), Vox Media's
# ``platform/amp``, the Times Internet ``amp_articleshow`` form and ``.amp`` / ``.amp.html`` suffixes.
_AMP_SUFFIX = re.compile(r"\.amp(?=(\.html?)?$)", re.I)
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

# Aggregator and redirect links whose target sits in a query parameter (or, for Yahoo's search
# redirect, a path field). Decoded from the URL itself; never fetched.
_REDIRECT_PARAMS: dict[str, tuple[str, ...]] = {
    "news.google.com": ("url", "u", "q"),
    "google.com": ("url", "q", "u"),
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "facebook.com": ("u",),
    "l.instagram.com": ("u",),
    "out.reddit.com": ("url",),
    "bing.com": ("url", "u"),
    "linkedin.com": ("url",),
    "duckduckgo.com": ("uddg",),
    "t.umblr.com": ("z",),
    "slack-redir.net": ("url",),
    "href.li": ("url",),
    "safelinks.protection.outlook.com": ("url",),
    "news.url.google.com": ("url",),
    "feeds.feedblitz.com": ("url",),
    "flipboard.com": ("url",),
    "newsnow.co.uk": ("url",),
    "smartnews.com": ("url",),
}
_GENERIC_REDIRECT_PATH = re.compile(r"/(url|redirect|redir|l\.php|out|link|click|apiclick\.aspx|r)/?$", re.I)
_GENERIC_REDIRECT_PARAMS = ("url", "u", "q", "target", "dest", "destination", "redirect", "redirect_url",
                            "to", "link")
_GOOGLE_NEWS_ARTICLE = re.compile(r"^/(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]{8,})/?$")
# Google AMP cache: <sub>.cdn.ampproject.org/<type>/[s/]<host>/<path>, type c (document), v (viewer),
# i (image) or r (resource); "s/" when the origin is fetched over https, plain http without it
_AMP_CACHE_PATH = re.compile(r"^/[cvir]/(s/)?([^/]+\.[^/]+(?:/.*)?)$")


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
    """Identity form of ``url``: lower-case host without www./m./amp./mobile., http≡https, no
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``guccounter``, ``smid`` and friends), no
    fragment, no trailing slash, no AMP path form (``/amp/``, ``/amp``, ``.amp.html``,
    ``amp_articleshow``), sorted query, normalised percent-escapes. Aggregator redirect links
    (``google.com/url?q=``, ``news.google.com/...?url=``, ``l.facebook.com/l.php?u=`` and the like)
    and Google AMP cache links (``<sub>.cdn.ampproject.org/c/s/<host>/<path>``) become the canonical
    form of their target, decoded from the link itself, never fetched.
    Google News article ids that do not carry their target stay as
    ``https://news.google.com/articles/<id>`` (see :func:`is_opaque_aggregator_url`).

    Returns None for anything that is not an http(s) URL. Never raises; idempotent.
    """
    if not url or not isinstance(url, str):
        return None
    current: str | None = url
    seen: set[str] = set()
    for _ in range(8):  # a fixed point, so that canonical_url(canonical_url(u)) == canonical_url(u)
        assert current is not None
        if current in seen:
            break
        seen.add(current)
        try:
            nxt = _canonical_once(current)
        except (ValueError, UnicodeError, TypeError):
            return None
        if nxt is None or nxt == current:
            return nxt
        current = nxt
    return current


def resolve_aggregator_url(url: str | None) -> str | None:
    """The target of an aggregator or redirect link when it is encoded in the link itself
    (query parameters such as Google's ``url=``/``q=``, Facebook's ``u=``, Yahoo's ``RU=`` path
    field, the host and path after ``/c/s/`` of a Google AMP cache link, or an old-style Google
    News article id that embeds the URL); else None.
    Never fetches and never raises.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    bare = _strip_host_prefixes(host)
    path = parts.path or ""
    names = _REDIRECT_PARAMS.get(bare) or _REDIRECT_PARAMS.get(host)
    if _is_google(bare) and bare != "news.google.com":
        amp = re.match(r"^/amp/s/(.+)$", path)
        if amp:  # Google's AMP viewer: google.com/amp/s/<host>/<path>
            return _as_http_target("https://" + amp.group(1) + (f"?{parts.query}" if parts.query else ""))
        names = _REDIRECT_PARAMS["google.com"] if path.rstrip("/") in ("/url", "/news/url", "/imgres") else None
    if names is None and _GENERIC_REDIRECT_PATH.search(path):
        names = _GENERIC_REDIRECT_PARAMS
    if names:
        params = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        for name in names:
            target = _as_http_target(params.get(name))
            if target:
                return target
    if bare == "cdn.ampproject.org" or bare.endswith(".cdn.ampproject.org"):
        m = _AMP_CACHE_PATH.match(path)
        if m:  # the publisher's own URL: its host and path follow the content type
            scheme = "https" if m.group(1) else "http"
            return _as_http_target(f"{scheme}://{m.group(2)}" + (f"?{parts.query}" if parts.query else ""))
    if bare.endswith("search.yahoo.com"):
        m = re.search(r"/RU=([^/]+)/", parts.path or "")
        if m:
            return _as_http_target(unquote(m.group(1)))
    if bare == "news.google.com":
        m = _GOOGLE_NEWS_ARTICLE.match(parts.path or "")
        if m:
            return _decode_google_news_id(m.group(1))
    return None


def is_opaque_aggregator_url(url: str | None) -> bool:
    """True for aggregator links that name an article only by an opaque id (Google News RSS
    item links): equal links are the same article, but a different link proves nothing, so
    identity and clustering must rely on title, outlet and time.
    """
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
        host = _strip_host_prefixes((parts.hostname or "").lower())
    except ValueError:
        return False
    return host == "news.google.com" and bool(_GOOGLE_NEWS_ARTICLE.match(parts.path or "")) \
        and resolve_aggregator_url(url) is None


def _canonical_once(url: str) -> str | None:
    url = url.strip()
    parts = urlsplit(url)
    port = parts.port
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    target = resolve_aggregator_url(url)
    if target and target != url:
        return target
    host = _strip_host_prefixes(parts.hostname.lower().rstrip("."))
    if not host:
        return None
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        pass
    if ":" in host:
        host = f"[{host}]"
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    if host == "news.google.com":
        m = _GOOGLE_NEWS_ARTICLE.match(parts.path or "")
        if m:  # locale parameters (hl, gl, ceid, oc) do not change the article
            return f"https://news.google.com/articles/{m.group(1)}"
    path = _canonical_path(parts.path or "/")
    names_article = _path_names_article(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k, v, names_article)]
    query.sort()
    return urlunsplit(("https", host, path, urlencode(query), ""))


def _is_google(host: str) -> bool:
    return host.endswith(".google.com") or host == "google.com" or bool(re.match(r"^google\.[a-z.]{2,6}$", host))


def _strip_host_prefixes(host: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in _DROP_HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host[len(prefix):]
                changed = True
    return host


def _canonical_path(path: str) -> str:
    path = _PCT.sub(_normalise_escape, path)
    path = quote(path, safe="/:@!$&'()*+,;=-._~%")
    segments = [s for s in path.split("/") if s and s not in (".",)]
    out: list[str] = []
    for seg in segments:
        low = seg.lower()
        if low == "amp":
            if out and out[-1].lower() == "platform":
                out.pop()
            continue
        if low == "amp_articleshow":
            seg = "articleshow"
        seg = _AMP_SUFFIX.sub("", seg)
        if seg:
            out.append(seg)
    return "/" + "/".join(out)


def _normalise_escape(m: re.Match[str]) -> str:
    ch = chr(int(m.group(1), 16))
    return ch if ch in _UNRESERVED else "%" + m.group(1).upper()


def _is_tracking(key: str, value: str, path_names_article: bool) -> bool:
    k = key.lower()
    if k in TRACKING_PARAMS or k.startswith(_TRACKING_PREFIXES):
        return True
    if path_names_article and k in AMBIGUOUS_PARAMS:
        return True
    return not k and not value


def _path_names_article(path: str) -> bool:
    """True when the last path segment names one article by itself: a slug of three words or more
    (``/2025/03/31/openai-closes-round``) or a number of four digits or more (``/news/12345678``,
    ``…/articleshow/110123456.cms``), and it is not a script that reads its query (``article.php``,
    ``.asp(x)``, ``.jsp``, ``.cgi``…). Then a query can only add tracking or pick a rendition, and
    the generic names of :data:`AMBIGUOUS_PARAMS` are dropped; elsewhere (``/story?id=5&src=rss``,
    ``/article.php?cid=123``) they are kept."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if not last or _SCRIPT.search(last):
        return False
    stem = _PAGE_SUFFIX.sub("", last)
    return bool(_LONG_NUMBER.search(stem)) or len([w for w in re.split(r"[-_+]", stem) if w]) >= 3


_SCRIPT = re.compile(r"\.(php\d?|aspx?|jsp|jspx|cgi|pl|cfm|do|action|dll|exe)$", re.I)
_PAGE_SUFFIX = re.compile(r"\.(s?html?|cms|ece|xml)$", re.I)
_LONG_NUMBER = re.compile(r"\d{4,}")


def _as_http_target(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith(("http%3a", "https%3a")):
        value = unquote(value)
    return safe_http_url(value)


def _decode_google_news_id(article_id: str) -> str | None:
    """Old-style Google News ids are base64 protobufs that embed the target URL; newer ones
    are encrypted and stay opaque (None)."""
    try:
        raw = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (ValueError, binascii.Error):
        return None
    m = re.search(rb"https?://[\x21-\x7e]+", raw)
    if not m:
        return None
    start = m.start()
    found = m.group(0)
    if start >= 1 and 10 <= raw[start - 1] < len(found):  # protobuf length prefix bounds the string
        found = found[: raw[start - 1]]
    try:
        return safe_http_url(found.decode("ascii"))
    except UnicodeDecodeError:
        return None


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
