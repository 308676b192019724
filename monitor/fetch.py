"""The feed fetcher: one connection pool, conditional GET, caps on size, time and redirects.

httpx errors are translated to :class:`~monitor.errors.FetchError` here and nowhere else.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from monitor import __version__
from monitor.errors import FetchError, FetchTimeout
from monitor.normalize import clean_text, redact_url

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str                      # the URL finally fetched (after redirects)
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    timeout_seconds: float = 20.0         # overall deadline: connect + headers + whole body
    connect_timeout: float = 10.0
    read_timeout: float = 15.0            # per chunk
    max_bytes: int = 10 * 1024 * 1024     # decoded bytes (gzip bombs count after inflating)
    max_redirects: int = 5
    user_agent: str = f"monitor/{__version__} (feed poller)"   # see user_agent()
    # resolve the host of a redirect to another origin and refuse it when any of its
    # addresses is private, loopback or link-local (off for tests on fake host names)
    resolve_redirect_hosts: bool = True


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def user_agent(contact: str = "") -> str:
    """``monitor/<version> (feed poller; +<contact>)``: this project by name, and the operator's
    contact (``polling.user_agent_contact``: a URL or ``mailto:``) when one is configured."""
    return f"monitor/{__version__} (feed poller; +{contact})" if contact else f"monitor/{__version__} (feed poller)"


_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
           "text/xml;q=0.9, */*;q=0.5")


def make_transport(*, concurrency: int = 16) -> httpx.AsyncHTTPTransport:
    """The feed fetcher's connection pool (one per process). No proxy or certificate settings
    are taken from the environment."""
    return httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency), trust_env=False)


class Fetcher:
    """Fetches one feed URL at a time under :class:`FetchPolicy`; safe to share between tasks.

    Requests go straight to the transport (httpx's connection pool), not through an
    ``httpx.AsyncClient``: redirects are followed here so that every hop is checked, feeds get no
    cookies (none kept, none sent, as in Miniflux, whose fetcher has no cookie jar), and there is
    no auth, proxy or hook. The client's layers would cost ~18 % of the CPU of a 304 poll for none
    of that (its cookie handling alone builds two ``urllib`` objects per response)."""

    def __init__(self, transport: httpx.AsyncBaseTransport, policy: FetchPolicy | None = None, *,
                 resolver: Resolver | None = None) -> None:
        self.transport = transport
        self.policy = policy or FetchPolicy()
        self.resolver = resolver or _resolve
        self._odd_304: set[str] = set()
        # gzip and deflate only: those are inflated with a bound on the output (_read_capped)
        self._headers = {"Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate", "Connection": "keep-alive",
                         "User-Agent": self.policy.user_agent}
        self._extensions = {"timeout": httpx.Timeout(self.policy.read_timeout,
                                                     connect=self.policy.connect_timeout).as_dict()}

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url`` with conditional headers. 304 -> ``not_modified``.

        Raises:
            FetchError: with a stable ``reason`` (timeout, too_large, http_status, ...).
        """
        safe = redact_url(url)
        try:
            async with asyncio.timeout(self.policy.timeout_seconds):
                return await self._fetch(url, safe, etag, last_modified)
        except TimeoutError:
            raise FetchTimeout(safe, f"no complete answer within {self.policy.timeout_seconds:g}s") from None

    async def _fetch(self, url: str, safe: str, etag: str | None, last_modified: str | None) -> FetchResult:
        headers = dict(self._headers)
        conditional = bool(etag or last_modified)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        origin = _origin(url)
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            try:
                async with self._send(current, headers) as resp:
                    if resp.status_code in (301, 302, 303, 307, 308):
                        target = resp.headers.get("location", "")
                        current = self._next_hop(current, target, origin, safe)
                        if _origin(current) != origin:
                            await self._check_resolved(current, safe)
                        continue
                    if resp.status_code == 304:
                        await resp.aread()  # no body; reading it returns the connection to the pool
                        if not conditional and safe not in self._odd_304:
                            self._odd_304.add(safe)
                            log.info("304 Not Modified to an unconditional request feed=%s", safe)
                        return FetchResult(url=current, status=304, not_modified=True,
                                           etag=resp.headers.get("etag") or etag,
                                           last_modified=resp.headers.get("last-modified") or last_modified,
                                           headers=_keep_headers(resp.headers))
                    if resp.status_code != 200:
                        raise FetchError(safe, "http_status", f"HTTP {resp.status_code}", status=resp.status_code,
                                         retry_after=parse_retry_after(resp.headers.get("retry-after")))
                    body = await self._read_capped(resp, safe)
                    return FetchResult(url=current, status=200, body=body,
                                       content_type=resp.headers.get("content-type", ""),
                                       etag=resp.headers.get("etag"),
                                       last_modified=resp.headers.get("last-modified"),
                                       headers=_keep_headers(resp.headers))
            except FetchError:
                raise
            except httpx.TimeoutException as e:
                raise FetchTimeout(safe, e.__class__.__name__) from e
            except httpx.DecodingError as e:
                raise FetchError(safe, "decode_error", "body could not be decoded") from e
            except (httpx.RemoteProtocolError, httpx.LocalProtocolError) as e:
                raise FetchError(safe, "protocol_error", _first_line(e)) from e
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
                # our URLs are checked http(s): httpx failed on a redirect's Location
                raise FetchError(safe, "redirect_refused", "redirect to an unusable URL") from e
            except httpx.ConnectError as e:
                raise FetchError(safe, _connect_reason(e), _first_line(e)) from e
            except zlib.error as e:
                raise FetchError(safe, "decode_error", "body could not be decoded") from e
            except httpx.TransportError as e:
                raise FetchError(safe, "network_error", e.__class__.__name__) from e
            except (UnicodeError, ValueError) as e:  # malformed headers, IDNA failures
                raise FetchError(safe, "protocol_error", e.__class__.__name__) from e
        raise FetchError(safe, "too_many_redirects", f"more than {self.policy.max_redirects} redirects")

    @asynccontextmanager
    async def _send(self, url: str, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        """One request, the response's body not read yet; closed (the connection back in the pool)
        on exit."""
        request = httpx.Request("GET", url, headers=headers, extensions=self._extensions)
        response = await self.transport.handle_async_request(request)
        response.request = request
        try:
            yield response
        finally:
            await response.aclose()

    def _next_hop(self, current: str, location: str, origin: tuple[str, str, int], safe: str) -> str:
        if not location:
            raise FetchError(safe, "protocol_error", "redirect without Location")
        target = urljoin(current, location.strip())
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(safe, "redirect_refused", f"redirect to a {parts.scheme or 'relative'}: URL")
        if _origin(target) != origin and _private_host(parts.hostname):
            raise FetchError(safe, "redirect_refused", "redirect to a private or loopback address")
        return target

    async def _check_resolved(self, url: str, safe: str) -> None:
        """The address policy for host names: a redirect to another origin whose name resolves to
        a private, loopback or link-local address is refused like the literal address would be.
        (The connection resolves again, so this narrows DNS rebinding rather than closing it.)"""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not self.policy.resolve_redirect_hosts or _is_ip(host):
            return
        try:
            addresses = await self.resolver(host, parts.port or (443 if parts.scheme == "https" else 80))
        except (OSError, UnicodeError) as e:
            raise FetchError(safe, "dns_error", "redirect target does not resolve") from e
        if any(_private_host(a) for a in addresses):
            raise FetchError(safe, "redirect_refused", "redirect to a host with a private or loopback address")

    async def _read_capped(self, resp: httpx.Response, safe: str) -> bytes:
        """The body, at most ``max_bytes`` *decoded* bytes. gzip and deflate are inflated here, a
        chunk at a time with a bound on the output, so a bomb never holds more than the cap in
        memory; other encodings go through httpx's decoders."""
        cap = self.policy.max_bytes
        declared = resp.headers.get("content-length")
        encoding = resp.headers.get("content-encoding", "").strip().lower()
        if declared and declared.isdigit() and int(declared) > cap and not encoding:
            raise FetchError(safe, "too_large", f"Content-Length {declared} exceeds {cap} bytes")
        chunks: list[bytes] = []
        size = 0
        # (a response built in memory, e.g. by a mock transport, is already decoded)
        inflater = None if resp.is_stream_consumed else _Inflater.for_encoding(encoding)
        stream = resp.aiter_raw() if inflater else resp.aiter_bytes()
        async for raw in stream:
            chunk = inflater.feed(raw, cap - size + 1) if inflater else raw
            size += len(chunk)
            if size > cap:
                raise FetchError(safe, "too_large", f"body exceeds {cap} bytes")
            chunks.append(chunk)
        if inflater:
            tail = inflater.flush(cap - size + 1)
            size += len(tail)
            if size > cap:
                raise FetchError(safe, "too_large", f"body exceeds {cap} bytes")
            chunks.append(tail)
        return b"".join(chunks)


class _Inflater:
    """Bounded gzip/deflate decoding: never produces more than ``limit`` bytes per call."""

    def __init__(self, wbits: int, deflate: bool) -> None:
        self._d = zlib.decompressobj(wbits)
        self._deflate = deflate
        self._started = False

    @classmethod
    def for_encoding(cls, encoding: str) -> _Inflater | None:
        if encoding in ("gzip", "x-gzip"):
            return cls(zlib.MAX_WBITS | 16, deflate=False)
        if encoding == "deflate":
            return cls(zlib.MAX_WBITS, deflate=True)
        return None

    def feed(self, data: bytes, limit: int) -> bytes:
        if not data:
            return b""
        try:
            out = self._d.decompress(data, limit)
        except zlib.error:
            if not (self._deflate and not self._started):
                raise
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
            out = self._d.decompress(data, limit)
        self._started = True
        return out

    def flush(self, limit: int) -> bytes:
        out = self._d.decompress(self._d.unconsumed_tail, limit) if self._d.unconsumed_tail else b""
        return out if len(out) >= limit else out + self._d.flush()


def _origin(url: str) -> tuple[str, str, int]:
    p = urlsplit(url)
    port = p.port or (443 if p.scheme == "https" else 80)
    return (p.scheme, (p.hostname or "").lower(), port)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _private_host(host: str) -> bool:
    host = host.strip("[]").lower().split("%", 1)[0]  # IPv6 zone ids
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not ip.is_global


def _keep_headers(h: httpx.Headers) -> dict[str, str]:
    return {k: h[k] for k in ("cache-control", "expires", "retry-after", "date") if k in h}


def _connect_reason(e: Exception) -> str:
    text = str(e).lower()
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "name resolution" in text:
        return "dns_error"
    if "certificate" in text or "ssl" in text or "tls" in text:
        return "tls_error"
    return "network_error"


def _first_line(e: Exception) -> str:
    """At most 200 characters of an exception's first line, control characters removed (it
    may quote bytes the server sent)."""
    s = str(e).splitlines()[0] if str(e) else e.__class__.__name__
    return clean_text(s[:400], max_chars=200) or e.__class__.__name__


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    ref = now or datetime.fromtimestamp(time.time(), UTC)
    return max(0.0, (when - ref).total_seconds())
