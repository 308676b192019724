"""E-mail over SMTP: STARTTLS or implicit TLS with a verified certificate (the system's CAs, or
``ca_file`` for a private CA), optional auth, multipart/alternative (text first, HTML last).

The whole message (headers included) is rendered once and stored by the outbox, so a retry or
a re-send after a crash carries the same ``Message-ID`` (derived from the digest id) and Date.
Reply classes: 4xx and connection failures are transient, 5xx and refused auth permanent; a
timeout after the message data was sent is ambiguous (it may have been accepted) and retried.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Any

import httpx

from monitor.digest.render import one_line, render_email
from monitor.errors import DeliveryError
from monitor.sinks import protect_secrets
from monitor.types import Digest

log = logging.getLogger(__name__)


class EmailSink:
    for_people = True   # lists at most digests[].max_stories stories (monitor.digest.cap)

    def __init__(self, name: str, *, host: str, port: int, security: str, sender: str, to: list[str],
                 username: str | None = None, password: str | None = None, timeout: float = 20.0,
                 ssl_context: ssl.SSLContext | None = None, ca_file: str | None = None,
                 list_unsubscribe: str = "") -> None:
        self.name = name
        self.host, self.port, self.security = host, port, security
        self.sender, self.to = sender, to
        self._username, self._password = username, password
        self.timeout = timeout
        self._ssl = ssl_context
        self._ca_file = ca_file
        self.list_unsubscribe = list_unsubscribe
        protect_secrets(password)

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> EmailSink:
        if not config.host or not config.from_ or not config.to:
            raise DeliveryError(name, "host, from and to are required")
        return cls(name, host=config.host, port=config.port, security=config.security, sender=config.from_,
                   to=list(config.to), username=config.username,
                   password=config.password.get_secret_value() if config.password else None,
                   timeout=config.timeout_seconds, ca_file=config.ca_file or None,
                   list_unsubscribe=config.list_unsubscribe)

    @property
    def _domain(self) -> str:
        return self.sender.rsplit("@", 1)[-1] if "@" in self.sender else "monitor.local"

    def build_message(self, digest: Digest, now: datetime) -> EmailMessage:
        subject, text, page = render_email(digest)
        msg = self._headers(subject, now, f"<digest-{digest.id}@{self._domain}>")
        if self.list_unsubscribe:
            msg["List-Unsubscribe"] = f"<{one_line(self.list_unsubscribe)}>"
        msg.set_content(text)
        msg.add_alternative(page, subtype="html")
        return msg

    def _headers(self, subject: str, now: datetime, message_id: str) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = message_id
        return msg

    def render(self, digest: Digest, now: datetime) -> list[str]:
        return [self.build_message(digest, now).as_string(policy=SMTP_POLICY)]

    async def send(self, digest: Digest, now: datetime) -> int:
        from monitor.sinks import send_digest_now

        return await send_digest_now(self, digest, now)

    async def send_part(self, payload: str, *, digest_id: str, part_no: int, now: datetime) -> str:
        return await asyncio.to_thread(self._send_sync, payload.encode("utf-8"))

    async def send_notice(self, title: str, text: str, *, notice_id: str, now: datetime) -> str:
        msg = self._headers(one_line(title)[:200], now, f"<{notice_id}@{self._domain}>")
        msg.set_content(text)
        return await asyncio.to_thread(self._send_sync, msg.as_bytes(policy=SMTP_POLICY))

    def _context(self) -> ssl.SSLContext:
        if self._ssl is not None:
            return self._ssl
        return ssl.create_default_context(cafile=self._ca_file)  # verifies the certificate and host name

    def _send_sync(self, data: bytes) -> str:
        """One SMTP transaction; returns the server's answer to the message data."""
        try:
            return self._transaction(data)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as e:
            raise DeliveryError(self.name, f"authentication refused (SMTP {e.smtp_code})", permanent=True) from None
        except smtplib.SMTPResponseException as e:
            raise _reply_error(self.name, e.smtp_code, e.smtp_error, "") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(self.name, "server does not support a required extension", permanent=True) from None
        except ssl.SSLCertVerificationError as e:
            raise DeliveryError(self.name, f"TLS certificate not trusted: {e.verify_message}") from None
        except ssl.SSLError as e:
            raise DeliveryError(self.name, f"TLS error: {e.reason or e.__class__.__name__}") from None
        except (TimeoutError, smtplib.SMTPServerDisconnected) as e:
            raise DeliveryError(self.name, f"SMTP connection lost ({e.__class__.__name__}; the message may or "
                                "may not have been accepted)") from None
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(self.name, f"SMTP error: {e.__class__.__name__}") from None

    def _transaction(self, data: bytes) -> str:
        ctx = self._context()
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ctx)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):  # never fall back to cleartext (downgrade attack)
                    raise DeliveryError(self.name, "server does not offer STARTTLS", permanent=True)
                code, reply = smtp.starttls(context=ctx)
                if code != 220:
                    raise _reply_error(self.name, code, reply, "STARTTLS ")
                smtp.ehlo()
            if self._username and self._password:
                smtp.login(self._username, self._password)
            code, reply = smtp.mail(self.sender)
            if code != 250:
                raise _reply_error(self.name, code, reply, "MAIL FROM ")
            refused: dict[str, tuple[int, str]] = {}
            for rcpt in self.to:
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused[rcpt] = (code, one_line(reply.decode("utf-8", "replace"))[:200])
            if len(refused) == len(self.to):
                smtp.rset()
                answers = sorted({f"SMTP {c} {text}".strip() for c, text in refused.values()})
                raise DeliveryError(self.name, f"every recipient refused ({'; '.join(answers)})",
                                    permanent=all(500 <= c < 600 for c, _ in refused.values()))
            code, reply = smtp.data(data)
            if code != 250:
                raise _reply_error(self.name, code, reply, "DATA ")
        for rcpt, (c, text) in refused.items():  # partial delivery: the accepted ones must not get it twice
            log.error("recipient refused, not retried sink=%s recipient=%s code=%d answer=%r", self.name, rcpt, c,
                      text)
        return f"SMTP {code} {reply.decode('utf-8', 'replace').strip()}"

    def __repr__(self) -> str:
        return f"EmailSink({self.name!r})"


def _reply_error(sink: str, code: int, reply: bytes | str, stage: str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryError(sink, f"{stage}SMTP {code} {one_line(text)[:200]}", permanent=500 <= code < 600)
