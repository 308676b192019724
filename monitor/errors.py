"""The exception tree. Every error the project raises on purpose is a ``MonitorError``.

    MonitorError
    ├── ConfigError (ValueError)       bad config file or CLI input; message names the key path
    ├── FetchError                     one feed could not be fetched; carries url and a reason code
    │   └── FetchTimeout
    ├── ParseError                     the body is not a usable feed
    ├── StoreError                     the database failed
    └── DeliveryError                  a sink did not accept a message; carries the sink name
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class for every error raised by monitor on purpose."""


class ConfigError(MonitorError, ValueError):
    """Invalid configuration or command-line input. ``str()`` is one human line."""


class FetchError(MonitorError):
    """A feed could not be fetched.

    ``reason`` is a stable code (``timeout``, ``too_large``, ``http_status``,
    ``redirect_refused``, ``too_many_redirects``, ``decode_error``, ``protocol_error``,
    ``network_error``, ``dns_error``, ``tls_error``); ``url`` is safe to log (redacted).
    """

    def __init__(self, url: str, reason: str, message: str = "", *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.message = message
        super().__init__(f"{reason}: {message}" if message else reason)

    def __reduce__(self) -> tuple[object, ...]:  # picklable across the parse pool
        return (_rebuild_fetch_error, (self.url, self.reason, self.message, self.status, self.retry_after))


def _rebuild_fetch_error(url: str, reason: str, message: str, status: int | None,
                         retry_after: float | None) -> FetchError:
    return FetchError(url, reason, message, status=status, retry_after=retry_after)


class FetchTimeout(FetchError):
    def __init__(self, url: str, message: str = "") -> None:
        super().__init__(url, "timeout", message)

    def __reduce__(self) -> tuple[object, ...]:
        return (FetchTimeout, (self.url, self.message))


class ParseError(MonitorError):
    """The body is not a feed (``not_a_feed``, ``empty_body``, ``parse_error``)."""

    def __init__(self, url: str, reason: str, message: str = "") -> None:
        self.url = url
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}" if message else reason)

    def __reduce__(self) -> tuple[object, ...]:
        return (ParseError, (self.url, self.reason, self.message))


class StoreError(MonitorError):
    """The database failed or is not usable."""


class DeliveryError(MonitorError):
    """A sink did not accept a message.

    ``permanent`` failures (invalid payload, 404, 410, SMTP 5xx) are not retried as is;
    the message never contains the sink's URL or credentials.
    """

    def __init__(self, sink: str, message: str, *, permanent: bool = False,
                 retry_after: float | None = None) -> None:
        self.sink = sink
        self.permanent = permanent
        self.retry_after = retry_after
        super().__init__(f"sink {sink}: {message}")
