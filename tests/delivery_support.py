"""Shared pieces of the delivery tests: a real SMTP server (aiosmtpd, optionally TLS with a
trustme CA, optionally AUTH), seeding stories into the outbox through the store's own API, and
store wrappers that simulate a crash at one exact line."""

from __future__ import annotations

import socket
import ssl
from datetime import datetime, timedelta
from typing import Any

from monitor.store import FetchMeta, NewItem
from monitor.types import Article, Event, Match

SEED_FEED = "http://127.0.0.1:9/seed.xml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpHandler:
    """Records accepted messages; ``rcpt_codes`` / ``data_codes`` are queues of replies to give
    instead of 250 (e.g. ``["451 4.3.0 try later"]``)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.rcpt_codes: list[str] = []
        self.data_codes: list[str] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.rcpt_codes:
            return self.rcpt_codes.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_codes:
            return self.data_codes.pop(0)
        self.messages.append(envelope.original_content or envelope.content)
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1. ``tls``: None, "starttls" or "implicit" (certificate from ``ca``)."""

    def __init__(self, *, tls: str | None = None, ca: Any = None, auth: tuple[str, str] | None = None,
                 offer_starttls: bool = True) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.handler = SmtpHandler()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        server_ctx = None
        if tls:
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
        if tls == "starttls" and offer_starttls:
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        if auth:
            user, password = auth

            def authenticator(server, session, envelope, mechanism, auth_data):
                self.handler.logins.append((auth_data.login, auth_data.password))
                ok = auth_data.login == user.encode() and auth_data.password == password.encode()
                return AuthResult(success=ok, handled=False)  # handled=False: a refusal gets its 535

            kwargs.update(authenticator=authenticator, auth_require_tls=tls == "starttls")
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     ssl_context=server_ctx if tls == "implicit" else None,
                                     server_kwargs=kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def seed_stories(store: Any, now: datetime, stories: list[tuple[str, Event | None]], routes: dict[str, Any],
                 *, n_sources: int = 1, topic: str = "openai-money", batch: str = "seed") -> None:
    """Store one story per ``(title, event)`` with its pending deliveries, through the store's
    own ``record_items`` (the same transaction a poll uses), independent of the matcher. Call
    again with another ``batch`` to add new stories."""
    store.add_feed(SEED_FEED, "seed", now)
    fid = next(f.id for f in store.list_feeds() if f.url == SEED_FEED)
    items = []
    for i, (title, event) in enumerate(stories):
        for j in range(n_sources):
            link = f"https://news.example/{i}/{j}" if batch == "seed" else f"https://news.example/{batch}/{i}/{j}"
            article = Article(title=title if j == 0 else f"{title} (outlet {j})",
                              link=link, published=now, source=f"Outlet {j}", lang="en")
            m = Match(matched=True, topic=topic, score=1.0, event=event)
            items.append(NewItem(article=article, entry_key=f"v1:{batch}-{i}-{j}", url_key=f"u:{batch}-{i}-{j}",
                                 matches=[(m, {"story": i if batch == "seed" else f"{batch}-{i}"})]))

    from tests.test_store import ByStoryLabel  # sources of story i join story i

    store.record_items(fid, FetchMeta(), items, now, now + timedelta(hours=1), stories=ByStoryLabel, routes=routes,
                       story_window=timedelta(days=7))
    store.remove_feed(SEED_FEED)  # never polled


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing in the project catches it)."""


class CrashingStore:
    """The real store, except that ``method`` dies (before doing anything) on the calls whose
    first argument is in ``runs_of`` (a set of run ids filled by ``claim_runs``), or on every
    call when ``sink`` is None."""

    def __init__(self, store: Any, method: str, sink: str | None = None) -> None:
        self._store = store
        self._method = method
        self._sink = sink
        self._runs: set[str] = set()
        self.crashed = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if name == "claim_runs":
            def claim(digest, sink, *a, **kw):
                runs = attr(digest, sink, *a, **kw)
                if self._sink is None or sink == self._sink:
                    self._runs.update(r.run_id for r in runs)
                return runs
            return claim
        if name == self._method:
            def crash(run_id, *a, **kw):
                if run_id in self._runs:
                    self.crashed += 1
                    raise Crash(name)
                return attr(run_id, *a, **kw)
            return crash
        return attr
