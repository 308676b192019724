"""Generic JSON webhook: one POST per digest run, signed per Standard Webhooks when a secret
is set (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``).

The secret is either ``whsec_<base64>`` (the Standard Webhooks form: the key is the decoded
bytes) or any other string (the key is its UTF-8 bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime
from typing import Any

import httpx

from monitor.digest.render import json_body, render_json
from monitor.errors import DeliveryError
from monitor.sinks import post_json
from monitor.types import Digest


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body``."""
    mac = hmac.new(signing_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


class WebhookSink:
    def __init__(self, name: str, url: str, client: httpx.AsyncClient, *, secret: str | None = None,
                 timeout: float = 10.0) -> None:
        self.name = name
        self._url = url
        self._client = client
        self._secret = secret
        self._timeout = timeout

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> WebhookSink:
        if config.url is None:
            raise DeliveryError(name, "url is not set")
        secret = config.secret.get_secret_value() if config.secret else None
        return cls(name, config.url.get_secret_value(), client, secret=secret, timeout=config.timeout_seconds)

    async def send(self, digest: Digest, now: datetime) -> int:
        body = json_body(render_json(digest, now))
        ts = int(now.timestamp())
        headers = {"webhook-id": digest.id, "webhook-timestamp": str(ts)}
        if self._secret:
            headers["webhook-signature"] = sign(self._secret, digest.id, ts, body)
        await post_json(self._client, self.name, self._url, body, headers, timeout=self._timeout)
        return 1

    def __repr__(self) -> str:
        return f"WebhookSink({self.name!r})"
