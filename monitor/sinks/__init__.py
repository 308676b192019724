"""Sinks deliver a rendered digest to one destination. Registered by ``type``: adding one
means one module plus one entry in :func:`_registry`.

A sink renders a digest into one or more *parts* (serialized messages: a long Slack digest is
several) and sends one part at a time. The delivery orchestration stores the parts before the
first attempt and marks each one sent right after the destination accepted it, so a retry
re-sends the very same bytes, and only the parts not yet accepted.

A sink whose messages people read (chat, e-mail) sets the class attribute ``for_people = True``:
its digests list at most ``digests[].max_stories`` stories (:mod:`monitor.digest.cap`); a sink
without it (the JSON webhook) gets every story.

``send_part`` returns the destination's answer (``HTTP 200 'ok'``, ``SMTP 250 ...``) or raises
:class:`~monitor.errors.DeliveryError` (``permanent`` when retrying the same payload cannot
help; ``retry_after`` when the destination asked us to wait). Error messages never contain the
destination URL or credentials; third-party loggers that print URLs (httpx, urllib3, apprise)
get a :class:`SecretFilter`.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from monitor.errors import DeliveryError
from monitor.fetch import parse_retry_after
from monitor.types import Digest

log = logging.getLogger(__name__)


class Sink(Protocol):
    name: str

    def render(self, digest: Digest, now: datetime) -> list[str]:
        """The messages for ``digest``, serialized (stored as is, re-sent byte for byte)."""
        ...

    async def send_part(self, payload: str, *, digest_id: str, part_no: int, now: datetime) -> str:
        """Send one rendered message; return the destination's answer."""
        ...

    async def send_notice(self, title: str, text: str, *, notice_id: str, now: datetime) -> str:
        """Send a short plain message (alerts, ``monitor sinks test``); return the answer."""
        ...


async def send_digest_now(sink: Sink, digest: Digest, now: datetime) -> int:
    """Render and send every part at once, without the outbox (tests, previews of a sink)."""
    parts = sink.render(digest, now)
    for i, payload in enumerate(parts):
        await sink.send_part(payload, digest_id=digest.id, part_no=i, now=now)
    return len(parts)


# ---- HTTP ---------------------------------------------------------------------------------------


def answer_of(resp: httpx.Response) -> str:
    """``HTTP 404 'channel_not_found'``: status and the start of the body, never the URL."""
    body = resp.text[:200].replace("\n", " ").strip() if resp.content else ""
    return f"HTTP {resp.status_code}" + (f" {body!r}" if body else "")


def classify_http(sink: str, resp: httpx.Response) -> None:
    """Raise the right :class:`DeliveryError` for a non-2xx answer (body quoted, URL never)."""
    if 200 <= resp.status_code < 300:
        return
    detail = answer_of(resp)
    if resp.status_code == 429:
        raise DeliveryError(sink, f"rate limited: {detail}",
                            retry_after=parse_retry_after(resp.headers.get("retry-after")) or 1.0)
    if resp.status_code >= 500 or resp.status_code == 408:
        raise DeliveryError(sink, f"server error: {detail}",
                            retry_after=parse_retry_after(resp.headers.get("retry-after")))
    raise DeliveryError(sink, f"rejected: {detail}", permanent=True)


async def post(client: httpx.AsyncClient, sink: str, url: str, body: bytes,
               headers: dict[str, str] | None = None, timeout: float = 10.0) -> httpx.Response:
    """POST ``body`` without following redirects; transport failures become transient
    ``DeliveryError`` without the URL. The status is not checked."""
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    try:
        return await client.post(url, content=body, headers=h, timeout=timeout, follow_redirects=False)
    except httpx.TimeoutException:
        raise DeliveryError(sink, "timed out (the message may or may not have arrived)") from None
    except httpx.HTTPError as e:
        raise DeliveryError(sink, _transport_failure(e)) from None


def _transport_failure(e: httpx.HTTPError) -> str:
    """What went wrong, in words that hold no URL: a TLS failure (httpx wraps the ``ssl`` error
    in a ``ConnectError``) says so, with OpenSSL's reason; anything else is named by its class."""
    cause: BaseException | None = e
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {redact(cause.verify_message or 'verification failed')}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {redact(cause.reason or cause.__class__.__name__)}"
        cause = cause.__cause__ or cause.__context__
    return f"network error: {e.__class__.__name__}"


async def post_json(client: httpx.AsyncClient, sink: str, url: str, body: bytes,
                    headers: dict[str, str] | None = None, timeout: float = 10.0) -> httpx.Response:
    """:func:`post`, then :func:`classify_http`."""
    resp = await post(client, sink, url, body, headers, timeout)
    classify_http(sink, resp)
    return resp


# ---- secrets in third-party logs ----------------------------------------------------------------

# Loggers of libraries that print request URLs (httpx at INFO, urllib3 and apprise at DEBUG).
# A filter on a logger only sees records created on that very logger, so children are listed.
URL_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "apprise",
               "urllib3.connectionpool", "requests")
MIN_SECRET_LEN = 6


class SecretFilter(logging.Filter):
    """Replaces every registered secret in a record's message by ``[redacted]``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET_LEN)

    def redact(self, text: str) -> str:
        for s in sorted(self._secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the logging module's business
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = SecretFilter()  # logging is process-global, so is its redaction
_installed = False


def protect_secrets(*secrets: str | None) -> None:
    """Register secrets (whole URLs and their token-like parts) to be redacted from the logs of
    the HTTP libraries the sinks use."""
    global _installed
    values: list[str] = []
    for s in secrets:
        if s:
            values.append(s)
            values.extend(_url_parts(s))
    _FILTER.add(values)
    if not _installed:
        for name in URL_LOGGERS:
            logging.getLogger(name).addFilter(_FILTER)
        _installed = True


def redact(text: str) -> str:
    """``text`` with every registered secret replaced."""
    return _FILTER.redact(text)


def _url_parts(value: str) -> list[str]:
    """Token-like parts of a URL: password, long path segments and query values, and a host
    that is not a host name (Discord's ``discord://ID/TOKEN``)."""
    if "://" not in value:
        return []
    try:
        parts = urlsplit(value)
    except ValueError:
        return []
    out = [unquote(parts.password or ""), parts.path, parts.path.rstrip("/")]
    out += [unquote(seg) for seg in parts.path.split("/") if len(seg) >= 8]
    out += [v for _, v in parse_qsl(parts.query) if len(v) >= 8]
    host = parts.hostname or ""
    if "." not in host and len(host) >= 8:
        out.append(host)
    if parts.username and len(parts.username) >= 8:
        out.append(unquote(parts.username))
    return [o for o in out if len(o) >= 8]


# ---- registry -----------------------------------------------------------------------------------

SinkFactory = Callable[[str, Any, httpx.AsyncClient], Sink]


def _registry() -> dict[str, SinkFactory]:
    from monitor.sinks.apprise import AppriseSink
    from monitor.sinks.discord import DiscordSink
    from monitor.sinks.email import EmailSink
    from monitor.sinks.slack import SlackSink
    from monitor.sinks.webhook import WebhookSink

    return {"slack": SlackSink.from_config, "webhook": WebhookSink.from_config,
            "email": EmailSink.from_config, "apprise": AppriseSink.from_config,
            "discord": DiscordSink.from_config}


def http_client(transport: httpx.AsyncBaseTransport | None = None, *, user_agent: str,
                ca_file: str = "", name: str = "") -> httpx.AsyncClient:
    """The HTTP client of the HTTP sinks: no redirects followed, no proxy or certificate settings
    from the environment; certificates verified against the default CAs, or only against
    ``ca_file`` (a private CA's PEM bundle). An unreadable ``ca_file`` is a ``DeliveryError``."""
    verify: ssl.SSLContext | bool = True
    if ca_file:
        try:
            verify = ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as e:
            reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or e.__class__.__name__
            raise DeliveryError(name, f"ca_file {ca_file!r} cannot be used: {reason}") from None
    return httpx.AsyncClient(transport=transport, verify=verify, timeout=httpx.Timeout(15.0, connect=10.0),
                             follow_redirects=False, trust_env=False, headers={"User-Agent": user_agent})


def build_sink(name: str, config: Any, client: httpx.AsyncClient) -> Sink:
    """Build the sink of ``config.type``. Raises ``DeliveryError`` if its settings are missing."""
    if config.missing_env:
        raise DeliveryError(name, "environment variable " + ", ".join(config.missing_env) + " is not set")
    return _registry()[config.type](name, config, client)


async def send_test_message(name: str, config: Any, now: datetime, *,
                            transport: httpx.AsyncBaseTransport | None = None) -> str:
    """``monitor sinks test``: send one short test message through sink ``name``; return the
    destination's exact answer. Raises ``DeliveryError`` (a 404 included)."""
    ca_file = getattr(config, "ca_file", "") if config.type != "email" else ""   # e-mail: its own TLS
    async with http_client(transport, user_agent="monitor (sinks test)", ca_file=ca_file, name=name) as client:
        sink = build_sink(name, config, client)
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        return await sink.send_notice("monitor: test message",
                                      f"Test message from monitor for sink {name} ({now.isoformat()}).",
                                      notice_id=f"test-{stamp}", now=now)
