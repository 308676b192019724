"""Apprise: every other service (Teams, Telegram, ntfy, Matrix, …) through one sink. Discord has
its own sink (:mod:`monitor.sinks.discord`), which this one cannot replace: see below.

``urls`` are Apprise URLs (``discord://ID/TOKEN``, ``ntfys://topic``, ``json://host/path``…);
each is a secret. Each URL is one *part* of the digest, so when one service fails only that
service is retried. The body is plain text with mentions defused (``@everyone`` and Discord's
``<@id>`` get a zero-width space after the ``@``); Apprise splits or truncates it to each
service's size limit. Apprise only says "sent" or "not sent" (no status, no ``retry_after``),
so a failure is retried with back-off, never classified permanent.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

import httpx

from monitor.digest.render import count_line, render_text
from monitor.errors import DeliveryError
from monitor.sinks import protect_secrets, redact
from monitor.types import Digest

log = logging.getLogger(__name__)
MAX_BODY = 20_000


def defuse_mentions(text: str) -> str:
    return text.replace("@", "@\u200b")


class AppriseSink:
    for_people = True   # lists at most digests[].max_stories stories (monitor.digest.cap)

    def __init__(self, name: str, urls: list[str], *, title: str = "", timeout: float = 20.0) -> None:
        self.name = name
        self._urls = list(urls)
        self.title = title
        self.timeout = timeout
        protect_secrets(*urls)

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> AppriseSink:
        urls = [u.get_secret_value() for u in config.urls]
        if not urls:
            raise DeliveryError(name, "urls is empty")
        return cls(name, urls, timeout=config.timeout_seconds)

    def render(self, digest: Digest, now: datetime) -> list[str]:
        """One part per Apprise URL (the same message), so services are tracked separately."""
        title = count_line(self.title or digest.name, digest)
        body = render_text(digest, self.title).split("\n", 2)[-1][:MAX_BODY]
        payload = json.dumps({"title": defuse_mentions(title), "body": defuse_mentions(body)}, ensure_ascii=False)
        return [payload] * len(self._urls)

    async def send(self, digest: Digest, now: datetime) -> int:
        from monitor.sinks import send_digest_now

        return await send_digest_now(self, digest, now)

    async def send_part(self, payload: str, *, digest_id: str, part_no: int, now: datetime) -> str:
        if part_no >= len(self._urls):
            raise DeliveryError(self.name, f"service #{part_no + 1} is no longer configured", permanent=True)
        msg = json.loads(payload)
        return await asyncio.to_thread(self._notify, part_no, msg["title"], msg["body"])

    async def send_notice(self, title: str, text: str, *, notice_id: str, now: datetime) -> str:
        answers = []
        for i in range(len(self._urls)):
            answers.append(await asyncio.to_thread(self._notify, i, defuse_mentions(title),
                                                   defuse_mentions(f"{text} [{notice_id}]")))
        return "; ".join(answers)

    def _notify(self, index: int, title: str, body: str) -> str:
        import apprise

        service = f"service #{index + 1}"
        app = apprise.Apprise()
        if not app.add(self._urls[index]):
            raise DeliveryError(self.name, f"{service}: not a valid Apprise URL", permanent=True)
        lines: list[str] = []

        def capture(entry: Any, _plugin: Any = None) -> None:
            if str(getattr(entry, "level", "INFO")).upper() in ("INFO", "WARNING", "ERROR", "CRITICAL"):
                lines.append(redact(str(getattr(entry, "message", entry))))

        try:
            result = app.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT,
                                timeout=self.timeout, log_callback=capture, log_level=logging.INFO)
        except Exception as e:  # noqa: BLE001 - a plugin bug is this service's failure, not ours
            raise DeliveryError(self.name, f"{service}: {e.__class__.__name__}") from None
        schema = self._urls[index].split("://", 1)[0]
        answer = f"{schema} {service}: " + (" ".join(lines[-2:]) or ("sent" if result else "not sent"))
        if not result:
            raise DeliveryError(self.name, answer)
        return answer

    def __repr__(self) -> str:
        return f"AppriseSink({self.name!r})"
