"""Slack incoming webhooks (Block Kit). The webhook URL is the credential: never logged.

- at most one message per second per webhook (Slack's documented rate), across digests;
- ``429`` -> ``retry_after`` from ``Retry-After``; ``5xx``, timeouts -> transient;
- ``invalid_blocks`` & co. (the payload, not the destination, is wrong) -> one reduced,
  text-only attempt of the same part; if that is refused too the part fails for good;
- ``channel_is_archived``, ``channel_not_found``, ``no_service``, 403/404/410 -> permanent.

Slack has no idempotency key: a part whose answer never came (timeout) is re-sent
(at-least-once); its fallback text carries the digest id so a duplicate is recognizable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from monitor.digest.render import SLACK_MAX_FALLBACK, json_body, render_slack, slack_escape
from monitor.errors import DeliveryError
from monitor.sinks import answer_of, classify_http, post, protect_secrets
from monitor.types import Digest

log = logging.getLogger(__name__)

# 400 answers that mean "this payload", not "this destination": one text-only retry
PAYLOAD_ERRORS = ("invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "invalid_payload",
                  "no_text", "too_many_attachments")


class SlackSink:
    for_people = True   # lists at most digests[].max_stories stories (monitor.digest.cap)

    def __init__(self, name: str, webhook_url: str, client: httpx.AsyncClient, title: str = "", *,
                 min_interval: float = 1.0, timeout: float = 10.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._url = webhook_url
        self._client = client
        self.title = title
        self.min_interval = min_interval
        self._timeout = timeout
        self._sleep, self._monotonic = sleep, monotonic
        self._last_post: float | None = None
        self._pace_lock = asyncio.Lock()
        protect_secrets(webhook_url)

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> SlackSink:
        if config.webhook_url is None:
            raise DeliveryError(name, "webhook_url is not set")
        return cls(name, config.webhook_url.get_secret_value(), client)

    def render(self, digest: Digest, now: datetime) -> list[str]:
        return [json_body(m).decode() for m in render_slack(digest, self.title)]

    async def send(self, digest: Digest, now: datetime) -> int:
        from monitor.sinks import send_digest_now

        return await send_digest_now(self, digest, now)

    async def send_part(self, payload: str, *, digest_id: str, part_no: int, now: datetime) -> str:
        resp = await self._post(payload.encode())
        code = resp.text.strip() if resp.status_code == 400 else ""
        if code in PAYLOAD_ERRORS:
            return await self._text_only(payload, code, digest_id=digest_id, part_no=part_no)
        _classify(self.name, resp)
        return answer_of(resp)

    async def send_notice(self, title: str, text: str, *, notice_id: str, now: datetime) -> str:
        body = slack_escape(f"{title}: {text}")[:SLACK_MAX_FALLBACK] + f" [{slack_escape(notice_id)}]"
        resp = await self._post(json_body({"text": body}))
        _classify(self.name, resp)
        return answer_of(resp)

    async def _text_only(self, payload: str, code: str, *, digest_id: str, part_no: int) -> str:
        message = json.loads(payload)
        blocks = message.get("blocks", [])
        log.error("slack rejected a digest part, sending it once as text only sink=%s digest_id=%s part=%d "
                  "answer=%s blocks=%d block_text_chars=%d fallback_chars=%d", self.name, digest_id, part_no,
                  code, len(blocks), sum(len(b.get("text", {}).get("text", "")) for b in blocks),
                  len(message.get("text", "")))
        resp = await self._post(json_body({"text": reduced_text(message)}))
        if 200 <= resp.status_code < 300:
            return answer_of(resp) + " (text-only fallback)"
        raise DeliveryError(self.name, f"rejected, text-only fallback rejected too: {answer_of(resp)}",
                            permanent=resp.status_code < 500 and resp.status_code != 429)

    async def _post(self, body: bytes) -> httpx.Response:
        async with self._pace_lock:
            if self._last_post is not None and self.min_interval > 0:
                wait = self._last_post + self.min_interval - self._monotonic()
                if wait > 0:
                    await self._sleep(wait)
            try:
                return await post(self._client, self.name, self._url, body, timeout=self._timeout)
            finally:
                self._last_post = self._monotonic()

    def __repr__(self) -> str:
        return f"SlackSink({self.name!r})"


def _classify(sink: str, resp: httpx.Response) -> None:
    classify_http(sink, resp)


def reduced_text(message: dict[str, Any]) -> str:
    """A text-only version of a Block Kit message: the header, then each story's first line
    (already escaped when rendered), then the fallback text's digest id; ≤ 3,000 chars."""
    lines = []
    for b in message.get("blocks", []):
        if b.get("type") in ("header", "section") and isinstance(b.get("text"), dict):
            first = str(b["text"].get("text", "")).split("\n", 1)[0]
            lines.append(first if b["type"] == "section" else slack_escape(first))
    fallback = str(message.get("text", ""))
    tail = fallback[fallback.rfind(" [digest "):] if " [digest " in fallback else ""
    out, used = [], len(tail) + 1
    for line in lines:
        if used + len(line) + 1 > SLACK_MAX_FALLBACK - 20:
            out.append("…")
            break
        out.append(line)
        used += len(line) + 1
    return ("\n".join(out) + ("\n" + tail.strip() if tail else "")) or fallback
