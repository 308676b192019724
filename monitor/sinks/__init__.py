"""Sinks deliver a rendered digest to one destination. Registered by ``type``: adding one
means one module plus one entry in :data:`SINKS`.

A sink's ``send`` does the network calls for one digest and returns the number of messages
sent, or raises :class:`~monitor.errors.DeliveryError` (``permanent`` when retrying the same
payload cannot help; ``retry_after`` when the destination asked us to wait). Error messages
never contain the destination URL or credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import httpx

from monitor.errors import DeliveryError
from monitor.fetch import parse_retry_after
from monitor.types import Digest


class Sink(Protocol):
    name: str

    async def send(self, digest: Digest, now: datetime) -> int: ...


def classify_http(sink: str, resp: httpx.Response) -> None:
    """Raise the right :class:`DeliveryError` for a non-2xx answer (body quoted, URL never)."""
    if 200 <= resp.status_code < 300:
        return
    body = resp.text[:120].replace("\n", " ") if resp.content else ""
    detail = f"HTTP {resp.status_code}" + (f" {body!r}" if body else "")
    if resp.status_code == 429:
        raise DeliveryError(sink, f"rate limited: {detail}",
                            retry_after=parse_retry_after(resp.headers.get("retry-after")) or 1.0)
    if resp.status_code >= 500 or resp.status_code == 408:
        raise DeliveryError(sink, f"server error: {detail}",
                            retry_after=parse_retry_after(resp.headers.get("retry-after")))
    raise DeliveryError(sink, f"rejected: {detail}", permanent=True)


async def post_json(client: httpx.AsyncClient, sink: str, url: str, body: bytes,
                    headers: dict[str, str] | None = None, timeout: float = 10.0) -> httpx.Response:
    """POST ``body``; transport failures become transient ``DeliveryError`` without the URL."""
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    try:
        resp = await client.post(url, content=body, headers=h, timeout=timeout)
    except httpx.TimeoutException:
        raise DeliveryError(sink, "timed out (the message may or may not have arrived)") from None
    except httpx.HTTPError as e:
        raise DeliveryError(sink, f"network error: {e.__class__.__name__}") from None
    classify_http(sink, resp)
    return resp


SinkFactory = Callable[[str, Any, httpx.AsyncClient], Sink]


def _registry() -> dict[str, SinkFactory]:
    from monitor.sinks.email import EmailSink
    from monitor.sinks.slack import SlackSink
    from monitor.sinks.webhook import WebhookSink

    return {"slack": SlackSink.from_config, "webhook": WebhookSink.from_config,
            "email": EmailSink.from_config}


def build_sink(name: str, config: Any, client: httpx.AsyncClient) -> Sink:
    """Build the sink of ``config.type``. Raises ``DeliveryError`` if its settings are missing."""
    if config.missing_env:
        raise DeliveryError(name, "environment variable " + ", ".join(config.missing_env) + " is not set")
    return _registry()[config.type](name, config, client)
