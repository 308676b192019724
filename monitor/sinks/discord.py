"""Discord webhooks, natively (the Apprise path cannot see Discord's ``retry_after`` nor tell a
404 from a 5xx). The webhook URL is the credential: never logged.

- posted with ``?wait=true`` (without it Discord answers 204 even for a message it drops) and
  ``allowed_mentions: {"parse": []}``: nothing in a message can ping anyone;
- one embed per story; a message holds at most 10 embeds and 6,000 embed characters (Discord's
  limits), a longer digest is split, each message naming the digest id in its ``content``;
- ``429`` -> ``retry_after`` from the JSON body (else ``Retry-After``); ``X-RateLimit-Remaining:
  0`` -> the next post waits ``X-RateLimit-Reset-After``; ``5xx``, timeouts -> transient;
  ``401``/``403``/``404`` (webhook deleted), ``400`` (payload) -> permanent.

Discord has no idempotency key: a part whose answer never came is re-sent (at-least-once); its
``content`` carries the digest id so a duplicate is recognizable.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from monitor.digest.render import count_line, format_event, json_body, omitted_lines
from monitor.errors import DeliveryError
from monitor.fetch import parse_retry_after
from monitor.normalize import safe_http_url
from monitor.sinks import answer_of, classify_http, post, protect_secrets
from monitor.types import Digest, DigestStory

MAX_EMBEDS = 10
MAX_EMBED_CHARS = 6000      # title + description + footer of all embeds of one message
MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 1500      # Discord allows 4,096; a story never needs more
MAX_PACING_WAIT = 60.0

_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()<-])")


def discord_escape(text: str) -> str:
    """Feed text as literal Discord markdown: formatting characters backslash-escaped (no masked
    ``[label](url)`` links, no ``<@id>``), ``@`` followed by a zero-width space."""
    return _MARKDOWN.sub(r"\\\1", text).replace("@", "@\u200b")


def _cap(escaped: str, n: int) -> str:
    if len(escaped) <= n:
        return escaped
    cut = escaped[: n - 1]
    if (len(cut) - len(cut.rstrip("\\"))) % 2:  # never end on half of an escape
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _link(url: str | None, label: str) -> str:
    safe = safe_http_url(url)
    if not safe:
        return label
    return f"[{label}]({quote(safe, safe=':/?#[]@!$&*+,;=%~.-_')})"


def _links(links: list[str], budget: int) -> str:
    """Whole links joined by `` · `` within ``budget`` characters, then ``…and N more``."""
    out: list[str] = []
    used = 0
    for i, link in enumerate(links):
        tail = len(f" · …and {len(links) - i - 1} more") if i < len(links) - 1 else 0
        if used + len(link) + 3 + tail > budget:
            return " · ".join(out) + (" · " if out else "") + f"…and {len(links) - i} more"
        out.append(link)
        used += len(link) + 3
    return " · ".join(out)


def story_embed(story: DigestStory, *, coverage: bool = False) -> dict[str, Any]:
    """One story; ``coverage``: a story sent before, with only the sources that joined it since."""
    title = _cap(("More coverage: " if coverage else "") + discord_escape(story.title or "(untitled)"), MAX_TITLE)
    lines = []
    facts = format_event(story.event)
    if facts and not coverage:
        lines.append(discord_escape(facts))
    n = len(story.sources)
    head = f"{n}{' new' if coverage else ''} source{'s' if n != 1 else ''}: "
    links = [_link(s.url, _cap(discord_escape(f"{s.source or 'source'}" + (f" ({s.lang})" if s.lang else "")), 80))
             for s in story.sources]
    budget = MAX_DESCRIPTION - sum(len(x) + 1 for x in lines) - len(head)
    lines.append(head + _links(links, budget))
    embed: dict[str, Any] = {"title": title, "description": "\n".join(lines)}
    url = safe_http_url(story.url)
    if url:
        embed["url"] = url
    return embed


def _embed_chars(embed: dict[str, Any]) -> int:
    return len(embed.get("title", "")) + len(embed.get("description", "")) + len(embed.get("footer", {}).get("text", ""))


def render_discord(digest: Digest, title: str = "") -> list[dict[str, Any]]:
    """Discord webhook payloads: ≤ 10 embeds and ≤ 6,000 embed characters each; the ``content``
    names the digest, the part and the digest id. "More coverage" stories follow the new ones."""
    embeds = [story_embed(st) for st in digest.stories] + [story_embed(st, coverage=True) for st in digest.coverage]
    embeds += [{"description": discord_escape(line)} for line in omitted_lines(digest)]
    if digest.notes:
        notes = " · ".join(discord_escape(n) for n in digest.notes[:10])
        embeds.append({"title": "Source health", "description": _cap(notes, MAX_DESCRIPTION)})
    groups: list[list[dict[str, Any]]] = [[]]
    for embed in embeds:
        current = groups[-1]
        if current and (len(current) >= MAX_EMBEDS
                        or sum(map(_embed_chars, current)) + _embed_chars(embed) > MAX_EMBED_CHARS):
            groups.append([])
        groups[-1].append(embed)
    name = discord_escape(title or digest.name)
    messages = []
    for i, group in enumerate(groups, 1):
        part = f" (part {i}/{len(groups)})" if len(groups) > 1 else ""
        content = _cap(f"**{count_line(name, digest)}**{part}", MAX_CONTENT - 60)
        messages.append({"content": f"{content} [digest {digest.id}]", "embeds": group,
                         "allowed_mentions": {"parse": []}})
    return messages


class DiscordSink:
    for_people = True   # lists at most digests[].max_stories stories (monitor.digest.cap)

    def __init__(self, name: str, webhook_url: str, client: httpx.AsyncClient, title: str = "", *,
                 timeout: float = 10.0, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._url = webhook_url + ("&" if "?" in webhook_url else "?") + "wait=true"
        self._client = client
        self.title = title
        self._timeout = timeout
        self._sleep, self._monotonic = sleep, monotonic
        self._not_before = 0.0
        self._lock = asyncio.Lock()
        protect_secrets(webhook_url)

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> DiscordSink:
        if config.webhook_url is None:
            raise DeliveryError(name, "webhook_url is not set")
        return cls(name, config.webhook_url.get_secret_value(), client, timeout=config.timeout_seconds)

    def render(self, digest: Digest, now: datetime) -> list[str]:
        return [json_body(m).decode() for m in render_discord(digest, self.title)]

    async def send(self, digest: Digest, now: datetime) -> int:
        from monitor.sinks import send_digest_now

        return await send_digest_now(self, digest, now)

    async def send_part(self, payload: str, *, digest_id: str, part_no: int, now: datetime) -> str:
        return await self._post(payload.encode())

    async def send_notice(self, title: str, text: str, *, notice_id: str, now: datetime) -> str:
        content = _cap(discord_escape(f"{title}: {text}"), MAX_CONTENT - 80) + f" [{discord_escape(notice_id)}]"
        return await self._post(json_body({"content": content, "allowed_mentions": {"parse": []}}))

    async def _post(self, body: bytes) -> str:
        async with self._lock:
            wait = self._not_before - self._monotonic()
            if wait > 0:
                await self._sleep(wait)
            resp = await post(self._client, self.name, self._url, body, timeout=self._timeout)
            if resp.headers.get("x-ratelimit-remaining") == "0":
                reset = _seconds(resp.headers.get("x-ratelimit-reset-after")) or 1.0
                self._not_before = self._monotonic() + min(reset, MAX_PACING_WAIT)
        if resp.status_code == 429:
            retry = _retry_after(resp)
            raise DeliveryError(self.name, f"rate limited: {answer_of(resp)}", retry_after=retry)
        classify_http(self.name, resp)
        try:
            message_id = json.loads(resp.content or b"{}").get("id")
        except (ValueError, AttributeError):
            message_id = None
        return f"HTTP {resp.status_code}" + (f" message {message_id}" if message_id else "")

    def __repr__(self) -> str:
        return f"DiscordSink({self.name!r})"


def _retry_after(resp: httpx.Response) -> float:
    """Seconds to wait after a 429: the body's ``retry_after`` (Discord's own), else
    ``Retry-After``, else 1."""
    try:
        value = json.loads(resp.content).get("retry_after")
        if isinstance(value, int | float) and value >= 0:
            return max(float(value), 0.1)
    except (ValueError, AttributeError):
        pass
    return _seconds(resp.headers.get("retry-after")) or parse_retry_after(resp.headers.get("retry-after")) or 1.0


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
