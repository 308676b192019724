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
from monitor.sinks import answer_of, post_json, protect_secrets
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
        protect_secrets(url, secret)

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> WebhookSink:
        if config.url is None:
            raise DeliveryError(name, "url is not set")
        secret = config.secret.get_secret_value() if config.secret else None
        return cls(name, config.url.get_secret_value(), client, secret=secret, timeout=config.timeout_seconds)

    def render(self, digest: Digest, now: datetime) -> list[str]:
        """One part whatever the size: the JSON payload of DESIGN.md."""
        return [json_body(render_json(digest, now)).decode()]

    async def send(self, digest: Digest, now: datetime) -> int:
        from monitor.sinks import send_digest_now

        return await send_digest_now(self, digest, now)

    async def send_part(self, payload: str, *, digest_id: str, part_no: int, now: datetime) -> str:
        msg_id = digest_id if part_no == 0 else f"{digest_id}_{part_no}"
        return await self._post(payload.encode(), msg_id, now)

    async def send_notice(self, title: str, text: str, *, notice_id: str, now: datetime) -> str:
        body = json_body({"type": "notice", "id": notice_id, "title": title, "text": text,
                          "sent_at": now.isoformat()})
        return await self._post(body, notice_id, now)

    async def _post(self, body: bytes, msg_id: str, now: datetime) -> str:
        """Signed per attempt (a fresh ``webhook-timestamp``), same ``webhook-id`` on every retry."""
        ts = int(now.timestamp())
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts)}
        if self._secret:
            headers["webhook-signature"] = sign(self._secret, msg_id, ts, body)
        resp = await post_json(self._client, self.name, self._url, body, headers, timeout=self._timeout)
        return answer_of(resp)

    def __repr__(self) -> str:
        return f"WebhookSink({self.name!r})"
