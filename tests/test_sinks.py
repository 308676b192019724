from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime

import httpx
import pytest

from monitor.errors import DeliveryError
from monitor.sinks.email import EmailSink
from monitor.sinks.slack import SlackSink
from monitor.sinks.webhook import WebhookSink
from monitor.types import Digest, DigestStory, Event, Source

NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)


def make_digest(n=2, title="OpenAI closes $40B round"):
    stories = tuple(
        DigestStory(id=i, title=f"{title} #{i}", url=f"https://a.example/{i}", topic="openai-money",
                    event=Event(kind="funding", amount=40e9, currency="USD"),
                    sources=(Source(title="t", url=f"https://a.example/{i}", source="A", published=NOW, lang="en"),),
                    first_seen=NOW)
        for i in range(n))
    return Digest(id="3f1c0d", name="daily", created_at=NOW, stories=stories)


async def send(sink_factory, digest):
    async with httpx.AsyncClient() as client:
        return await sink_factory(client).send(digest, NOW)


def test_webhook_signature_verifies_with_independent_library(receiver):
    from standardwebhooks import Webhook

    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    sink = lambda c: WebhookSink("archive", receiver.url(), c, secret=secret)  # noqa: E731

    async def go():
        async with httpx.AsyncClient() as client:
            await sink(client).send(make_digest(), datetime.now(UTC))  # receivers check freshness

    asyncio.run(go())
    post = receiver.posts[0]
    headers = post["headers"]
    assert headers["webhook-id"] == "3f1c0d"
    payload = Webhook(secret).verify(post["body"], {k: headers[k] for k in
                                                    ("webhook-id", "webhook-timestamp", "webhook-signature")})
    assert payload["id"] == "3f1c0d" and len(payload["stories"]) == 2


def test_webhook_tampered_body_fails_verification(receiver):
    from standardwebhooks import Webhook, WebhookVerificationError

    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    asyncio.run(send(lambda c: WebhookSink("archive", receiver.url(), c, secret=secret), make_digest()))
    post = receiver.posts[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(post["body"] + b" ", post["headers"])


@pytest.mark.parametrize("status, headers, permanent, retry_after", [
    (500, {}, False, None),
    (503, {"Retry-After": "7"}, False, 7.0),
    (429, {"Retry-After": "30"}, False, 30.0),
    (404, {}, True, None),
    (410, {}, True, None),
    (400, {}, True, None),
])
def test_webhook_failures_are_classified(receiver, status, headers, permanent, retry_after):
    receiver.responses.append((status, headers, b"channel_is_archived"))
    url = receiver.url("/hook/secret-token-path")
    with pytest.raises(DeliveryError) as e:
        asyncio.run(send(lambda c: WebhookSink("archive", url, c), make_digest()))
    assert e.value.permanent is permanent
    assert e.value.retry_after == retry_after
    assert "secret-token-path" not in str(e.value) and "127.0.0.1" not in str(e.value)


def test_slack_posts_block_kit_with_fallback(receiver):
    n = asyncio.run(send(lambda c: SlackSink("team-slack", receiver.url(), c), make_digest(60)))
    assert n == len(receiver.posts) > 1
    for p in receiver.json_posts():
        assert p["text"] and len(p["blocks"]) <= 50


def test_timeout_is_transient_and_says_it_may_have_arrived(receiver):
    receiver.delay = 1.5
    with pytest.raises(DeliveryError) as e:
        asyncio.run(send(lambda c: WebhookSink("archive", receiver.url(), c, timeout=0.5), make_digest()))
    assert not e.value.permanent and "may" in str(e.value)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, codes=None):
        self.messages = []
        self.codes = list(codes or [])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.codes:
            return self.codes.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = _Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_email_is_multipart_with_stable_message_id(smtp_server):
    import email

    handler, port = smtp_server
    d = make_digest(2, title="Bad\r\nBcc: victim@example.com")
    sink = EmailSink("mail", host="127.0.0.1", port=port, security="none", sender="monitor@example.org",
                     to=["team@example.org"])
    asyncio.run(sink.send(d, NOW))
    msg = email.message_from_bytes(handler.messages[0])
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]
    assert msg["Message-ID"] == "<digest-3f1c0d@example.org>"
    assert msg["Bcc"] is None and msg["Date"]
    assert "victim" not in (msg["To"] or "")


def test_email_550_is_permanent_and_451_transient(smtp_server):
    handler, port = smtp_server
    sink = EmailSink("mail", host="127.0.0.1", port=port, security="none", sender="m@example.org",
                     to=["team@example.org"])
    handler.codes = ["550 No such user"]
    with pytest.raises(DeliveryError) as e:
        asyncio.run(sink.send(make_digest(), NOW))
    assert e.value.permanent
    handler.codes = ["451 Try again later"]
    with pytest.raises(DeliveryError) as e:
        asyncio.run(sink.send(make_digest(), NOW))
    assert not e.value.permanent
    asyncio.run(sink.send(make_digest(), NOW))
    assert len(handler.messages) == 1
