"""E-mail over SMTP: STARTTLS or implicit TLS with certificate verification, optional auth,
multipart/alternative (text first, HTML last). The Message-ID derives from the digest id, so
a re-send after a crash carries the same identity."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import httpx

from monitor.digest.render import render_email
from monitor.errors import DeliveryError
from monitor.types import Digest


class EmailSink:
    def __init__(self, name: str, *, host: str, port: int, security: str, sender: str, to: list[str],
                 username: str | None = None, password: str | None = None, timeout: float = 20.0,
                 ssl_context: ssl.SSLContext | None = None, list_unsubscribe: str = "") -> None:
        self.name = name
        self.host, self.port, self.security = host, port, security
        self.sender, self.to = sender, to
        self._username, self._password = username, password
        self.timeout = timeout
        self._ssl = ssl_context
        self.list_unsubscribe = list_unsubscribe

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> EmailSink:
        if not config.host or not config.from_ or not config.to:
            raise DeliveryError(name, "host, from and to are required")
        return cls(name, host=config.host, port=config.port, security=config.security, sender=config.from_,
                   to=list(config.to), username=config.username,
                   password=config.password.get_secret_value() if config.password else None,
                   timeout=config.timeout_seconds, list_unsubscribe=config.list_unsubscribe)

    def build_message(self, digest: Digest, now: datetime) -> EmailMessage:
        subject, text, page = render_email(digest)
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = format_datetime(now)
        domain = self.sender.rsplit("@", 1)[-1] if "@" in self.sender else "monitor.local"
        msg["Message-ID"] = f"<digest-{digest.id}@{domain}>"
        if self.list_unsubscribe:
            msg["List-Unsubscribe"] = f"<{self.list_unsubscribe}>"
        msg.set_content(text)
        msg.add_alternative(page, subtype="html")
        return msg

    async def send(self, digest: Digest, now: datetime) -> int:
        msg = self.build_message(digest, now)
        await asyncio.to_thread(self._send_sync, msg)
        return 1

    def _send_sync(self, msg: EmailMessage) -> None:
        ctx = self._ssl or ssl.create_default_context()
        try:
            if self.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ctx)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ctx)
                if self._username and self._password:
                    smtp.login(self._username, self._password)
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as e:
            code = e.smtp_code
            raise DeliveryError(self.name, f"SMTP {code}", permanent=500 <= code < 600) from None
        except smtplib.SMTPRecipientsRefused as e:
            codes = sorted({c for c, _ in e.recipients.values()})
            raise DeliveryError(self.name, f"recipients refused (SMTP {codes})",
                                permanent=all(500 <= c < 600 for c in codes)) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(self.name, "server does not offer STARTTLS", permanent=True) from None
        except ssl.SSLError as e:
            raise DeliveryError(self.name, f"TLS error: {e.__class__.__name__}") from None
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(self.name, f"SMTP error: {e.__class__.__name__}") from None

    def __repr__(self) -> str:
        return f"EmailSink({self.name!r})"
