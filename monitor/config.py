"""``config.toml`` + environment -> frozen, validated :class:`Settings`.

The only module that reads the config file or the environment. Errors are
:class:`~monitor.errors.ConfigError` with one line naming the key path, e.g.
``digests[0].sinks: unknown sink 'slak' (known: team-slack, archive)``.

``${VAR}`` in any string expands from the environment (``${VAR:-default}`` gives a default).
A missing variable is an error, except inside a sink: that sink is then *unavailable* (``Sink.missing_env``) so that
``run`` and ``poll`` keep working and keep its deliveries pending, while commands that
need the sink (``digest send``, ``sinks test``) fail with a clear message.
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError

DEFAULT_DB_URL = "sqlite:///monitor.db"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# Numbers and switches take only their TOML type: "15" is not 15 minutes and `true` is not 1 minute
# (pydantic's lax mode would convert both). A float field takes an integer, an int field no float.
_Num = Annotated[float, Strict()]
_Int = Annotated[int, Strict()]
_Bool = Annotated[bool, Strict()]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DatabaseConfig(_Model):
    url: str = DEFAULT_DB_URL


class PollingConfig(_Model):
    interval_minutes: _Num = Field(15, gt=0, le=7 * 24 * 60)
    concurrency: _Int = Field(16, ge=1, le=512)
    per_host_concurrency: _Int = Field(4, ge=1, le=64)
    timeout_seconds: _Num = Field(20, gt=0, le=600)
    max_age_days: _Num = Field(30, gt=0)
    max_body_mb: _Num = Field(10, gt=0, le=512)
    max_redirects: _Int = Field(5, ge=0, le=20)
    tick_seconds: _Num = Field(60, ge=1, le=3600)
    user_agent_contact: str = ""
    adaptive: _Bool = True
    min_interval_minutes: _Num = Field(5, gt=0)
    max_interval_minutes: _Num = Field(120, gt=0)
    dead_man_hours: _Num = Field(6, gt=0)
    lease_seconds: _Num | None = Field(None, gt=0)   # default: 2 × timeout_seconds + 30


class ServerConfig(_Model):
    listen: str = "127.0.0.1:8321"

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        if v and not re.fullmatch(r"[^\s:]+:\d{1,5}", v):
            raise ValueError(f"expected HOST:PORT or \"\", got {v!r}")
        return v


class FeedConfig(_Model):
    url: str
    name: str = ""
    interval_minutes: _Num | None = Field(None, gt=0)
    enabled: _Bool = True

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v, re.I) or any(c.isspace() for c in v):
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v


class _SinkBase(_Model):
    missing_env: tuple[str, ...] = ()   # filled by the loader, never by the user


class SlackSink(_SinkBase):
    type: Literal["slack"]
    webhook_url: SecretStr | None
    ca_file: str = ""                    # PEM bundle of a private CA to trust instead of the default CAs


class WebhookSink(_SinkBase):
    type: Literal["webhook"]
    url: SecretStr | None
    secret: SecretStr | None = None
    timeout_seconds: _Num = Field(10, gt=0, le=120)
    ca_file: str = ""                    # PEM bundle of a private CA to trust instead of the default CAs

    @field_validator("secret")
    @classmethod
    def _empty_is_none(cls, v: SecretStr | None) -> SecretStr | None:
        return v if v is not None and v.get_secret_value() else None


class EmailSink(_SinkBase):
    type: Literal["email"]
    host: str | None
    port: _Int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    from_: str | None = Field(None, alias="from")
    to: list[str] = Field(default_factory=list)
    timeout_seconds: _Num = Field(20, gt=0, le=120)
    list_unsubscribe: str = ""
    ca_file: str = ""                    # PEM bundle of a private CA; default: the system's CAs

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AppriseSink(_SinkBase):
    type: Literal["apprise"]
    urls: list[SecretStr] = Field(default_factory=list)     # Apprise URLs: each one is a secret
    timeout_seconds: _Num = Field(20, gt=0, le=120)


class DiscordSink(_SinkBase):
    type: Literal["discord"]
    webhook_url: SecretStr | None                            # https://discord.com/api/webhooks/ID/TOKEN
    timeout_seconds: float = Field(10, gt=0, le=120)
    ca_file: str = ""                    # PEM bundle of a private CA to trust instead of the default CAs


SinkConfig = Annotated[SlackSink | WebhookSink | EmailSink | AppriseSink | DiscordSink, Field(discriminator="type")]
AnySink = SlackSink | WebhookSink | EmailSink | AppriseSink | DiscordSink


class UrgentConfig(_Model):
    """New stories that match are sent at once (after the poll that found them) instead of at
    the digest's time; each condition given must hold."""

    kinds: list[str] = Field(default_factory=list)          # event kinds, e.g. ["funding"]
    status: list[str] = Field(default_factory=list)         # e.g. ["completed"]
    min_amount_usd: _Num | None = Field(None, ge=0)         # amount (other currencies converted roughly)


class DeliveryConfig(_Model):
    undelivered_alert_minutes: _Num = Field(360, gt=0)      # alert when a digest is still unsent after this
    alert_sink: str = ""                                    # optional sink that receives delivery alerts


class DigestConfig(_Model):
    name: str
    schedule: str
    timezone: str = "UTC"
    topics: list[str] = Field(default_factory=list)
    sinks: list[str] = Field(default_factory=list)
    grace_minutes: _Num = Field(60, ge=0)
    health_footer_hours: _Num = Field(24, ge=0)   # list feeds failing longer than this (0: no footer)
    max_stories: _Int = Field(50, ge=0, le=100_000)   # stories listed per digest for people (0: all): digest.cap
    urgent: UrgentConfig | None = None

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        from monitor.due import validate_cron

        validate_cron(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class _Root(_Model):
    database: DatabaseConfig = DatabaseConfig()
    polling: PollingConfig = PollingConfig()
    server: ServerConfig = ServerConfig()
    feeds: list[FeedConfig] = Field(default_factory=list)
    topics: list[dict[str, Any]] = Field(default_factory=list)
    sinks: dict[str, SinkConfig] = Field(default_factory=dict)
    digests: list[DigestConfig] = Field(default_factory=list)
    delivery: DeliveryConfig = DeliveryConfig()

    @model_validator(mode="after")
    def _references(self) -> _Root:
        topic_names = [str(t.get("name", "")) for t in self.topics]
        known_sinks = list(self.sinks)
        seen: set[str] = set()
        for i, feed in enumerate(self.feeds):
            if feed.url in seen:
                raise _KeyError(f"feeds[{i}].url", f"duplicate feed {feed.url!r}")
            seen.add(feed.url)
        if self.delivery.alert_sink and self.delivery.alert_sink not in known_sinks:
            raise _KeyError("delivery.alert_sink", f"unknown sink {self.delivery.alert_sink!r} "
                            f"(known: {', '.join(known_sinks) or 'none'})")
        names: set[str] = set()
        for i, d in enumerate(self.digests):
            if d.name in names:
                raise _KeyError(f"digests[{i}].name", f"duplicate digest {d.name!r}")
            names.add(d.name)
            for t in d.topics:
                if t not in topic_names:
                    raise _KeyError(f"digests[{i}].topics",
                                    f"unknown topic {t!r} (known: {', '.join(topic_names) or 'none'})")
            for s in d.sinks:
                if s not in known_sinks:
                    raise _KeyError(f"digests[{i}].sinks",
                                    f"unknown sink {s!r} (known: {', '.join(known_sinks) or 'none'})")
        return self


class _KeyError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class Settings:
    """Validated settings. ``topics`` are compiled :class:`monitor.match.Topic` objects."""

    path: Path | None
    database_url: str
    polling: PollingConfig
    server: ServerConfig
    feeds: tuple[FeedConfig, ...]
    topics: tuple[Any, ...]
    sinks: Mapping[str, AnySink]
    digests: tuple[DigestConfig, ...]
    raw_topics: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)

    def digest(self, name: str) -> DigestConfig:
        for d in self.digests:
            if d.name == name:
                return d
        known = ", ".join(d.name for d in self.digests) or "none"
        raise ConfigError(f"unknown digest {name!r} (known: {known})")

    def topic(self, name: str) -> Any:
        for t in self.topics:
            if t.name == name:
                return t
        raise ConfigError(f"unknown topic {name!r}")


def default_config_path() -> Path:
    env = os.environ.get("MONITOR_CONFIG")
    return Path(env) if env else Path("config.toml")


def load_settings(path: Path | str | None = None, *, environ: Mapping[str, str] | None = None,
                  database_url: str | None = None, must_exist: bool = True) -> Settings:
    """Read and validate the config file at ``path`` (default: ``$MONITOR_CONFIG``, ``./config.toml``).

    Raises:
        ConfigError: unreadable file, TOML syntax error, unknown key, wrong type, bad
            reference, missing environment variable outside a sink.
    """
    p = Path(path) if path is not None else default_config_path()
    env = os.environ if environ is None else environ
    if not p.exists():
        if must_exist:
            raise ConfigError(f"{p}: config file not found (use --config PATH or set MONITOR_CONFIG)")
        data: dict[str, Any] = {}
        base: Path | None = None
    else:
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p}: cannot read config: {e.__class__.__name__}: {e}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{p}: invalid TOML: {e}") from None
        base = p.resolve().parent
        try:
            return settings_from_dict(data, environ=env, base_dir=base, path=p, database_url=database_url)
        except ConfigError as e:
            raise ConfigError(_with_line(str(e), f"{p}: ", text)) from None
    return settings_from_dict(data, environ=env, base_dir=base, path=None, database_url=database_url)


def _with_line(message: str, prefix: str, text: str) -> str:
    """``PATH: key.path: problem`` -> ``PATH: key.path: problem (line N)`` when the key path (or
    its nearest enclosing table) can be found in the TOML text; tomllib gives no key lines."""
    if not message.startswith(prefix):
        return message
    rest = message[len(prefix):]
    keypath = rest.split(": ", 1)[0]
    line = _key_line(text, keypath) if re.fullmatch(r"[\w.\-\[\]]+", keypath) else None
    return f"{message} (line {line})" if line else message


def _key_line(text: str, keypath: str) -> int | None:
    """1-based line of ``keypath`` (``digests[0].schedule``, ``sinks.slack.type``) in ``text``."""
    found: dict[str, int] = {}
    current = ""
    counts: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        array = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line)
        table = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if array:
            name = array.group(1).replace('"', "")
            counts[name] = counts.get(name, 0) + 1
            current = f"{name}[{counts[name] - 1}]"
            found.setdefault(current, n)
        elif table:
            current = table.group(1).replace('"', "")
            found.setdefault(current, n)
        else:
            key = re.match(r'^("[^"]*"|[\w\-.]+)\s*=', line)
            if key:
                name = key.group(1).strip('"')
                found.setdefault(f"{current}.{name}" if current else name, n)
    path = keypath
    while path:
        if path in found:
            return found[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def settings_from_dict(data: Mapping[str, Any], *, environ: Mapping[str, str] | None = None,
                       base_dir: Path | None = None, path: Path | None = None,
                       database_url: str | None = None) -> Settings:
    """Validate an already-parsed config mapping (tests use this directly)."""
    env = os.environ if environ is None else environ
    prefix = f"{path}: " if path else ""
    data = _expand(dict(data), env, prefix)
    try:
        root = _Root.model_validate(data)
    except ValidationError as e:
        raise ConfigError(prefix + _describe(e)) from None
    except _KeyError as e:
        raise ConfigError(prefix + str(e)) from None
    topics = _build_topics(root.topics, prefix)
    all_topics = [t.name for t in topics]
    digests = tuple(d if d.topics else d.model_copy(update={"topics": all_topics}) for d in root.digests)
    db_url = database_url or root.database.url
    return Settings(
        path=path, database_url=_resolve_db_url(db_url, base_dir), polling=root.polling,
        server=root.server, feeds=tuple(root.feeds), topics=tuple(topics), sinks=dict(root.sinks),
        digests=digests, raw_topics=tuple(root.topics), delivery=root.delivery,
    )


def _build_topics(raw: list[dict[str, Any]], prefix: str) -> list[Any]:
    from monitor.match import build_topic

    topics = []
    names: set[str] = set()
    for i, t in enumerate(raw):
        try:
            topic = build_topic(t, path=f"topics[{i}]")
        except ConfigError as e:
            raise ConfigError(prefix + str(e)) from None
        if topic.name in names:
            raise ConfigError(f"{prefix}topics[{i}].name: duplicate topic {topic.name!r}")
        names.add(topic.name)
        topics.append(topic)
    return topics


def _resolve_db_url(url: str, base_dir: Path | None) -> str:
    """SQLite paths are relative to the config file's folder."""
    m = re.match(r"^sqlite(\+\w+)?:///(.*)$", url)
    if m and m.group(2) and not m.group(2).startswith("/") and m.group(2) != ":memory:" and base_dir:
        return f"sqlite{m.group(1) or ''}:///{(base_dir / m.group(2)).as_posix()}"
    return url


def _expand(data: dict[str, Any], env: Mapping[str, str], prefix: str) -> dict[str, Any]:
    def walk(value: Any, path: str, missing: list[str] | None) -> Any:
        if isinstance(value, str):
            return _expand_str(value, path, env, missing, prefix)
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]", missing) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{_key(k)}" if path else _key(k), missing) for k, v in value.items()}
        return value

    out = {k: walk(v, k, None) for k, v in data.items() if k != "sinks"}
    sinks = data.get("sinks")
    if isinstance(sinks, dict):
        expanded: dict[str, Any] = {}
        for name, sink in sinks.items():
            if not isinstance(sink, dict):
                raise ConfigError(f"{prefix}sinks.{_key(name)}: expected a table")
            if "missing_env" in sink:
                raise ConfigError(f"{prefix}sinks.{_key(name)}.missing_env: unknown key")
            missing: list[str] = []
            s = {k: walk(v, f"sinks.{_key(name)}.{_key(k)}", missing) for k, v in sink.items()}
            if missing:
                s["missing_env"] = tuple(dict.fromkeys(missing))
            expanded[name] = s
        out["sinks"] = expanded
    elif sinks is not None:
        out["sinks"] = sinks
    return out


def _expand_str(value: str, path: str, env: Mapping[str, str], missing: list[str] | None,
                prefix: str) -> str | None:
    if "$" not in value:
        return value
    absent: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        absent.append(name)
        return ""

    result = _VAR.sub(sub, value)
    if absent:
        if missing is None:
            raise ConfigError(f"{prefix}{path}: environment variable {absent[0]} is not set")
        missing.extend(absent)
        return None
    return result


def _key(part: object) -> str:
    """A key as it appears in an error: bare when plain, quoted when it holds odd characters."""
    text = str(part)
    return text if re.fullmatch(r"[A-Za-z0-9_\-]+", text) else repr(text)


def _describe(e: ValidationError) -> str:
    err = e.errors(include_url=False)[0]
    loc = err.get("loc", ())
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("slack", "webhook", "email", "apprise", "discord") and path.startswith("sinks."):
            continue  # discriminated-union branch name, not a key
        else:
            path += f".{_key(part)}" if path else _key(part)
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        msg = "unknown key"
    elif kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag")
        path += ".type"
        msg = f"unknown sink type {tag!r} (known: slack, webhook, email, apprise, discord)"
    elif kind == "union_tag_not_found":
        msg = "missing key 'type' (slack, webhook, email, apprise or discord)"
    elif kind == "missing":
        msg = "required key is missing"
    else:
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        shown = "input" in err and kind != "value_error" and not isinstance(err["input"], dict | list)
        if shown and not path.startswith("sinks."):  # sink values may be secrets
            msg += f" (got {err['input']!r})"
    return f"{path}: {msg}" if path else msg
