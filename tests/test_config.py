from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_settings, settings_from_dict
from monitor.errors import ConfigError

ROOT = Path(__file__).parent.parent


def base(**over):
    d = {
        "feeds": [{"url": "https://news.example/rss"}],
        "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}],
        "sinks": {"team-slack": {"type": "slack", "webhook_url": "${SLACK_WEBHOOK_URL}"},
                  "archive": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}},
        "digests": [{"name": "daily", "schedule": "0 8 * * *", "timezone": "Europe/Paris",
                     "topics": ["openai-money"], "sinks": ["team-slack", "archive"]}],
    }
    d.update(over)
    return d


def err(data, env=None) -> str:
    with pytest.raises(ConfigError) as e:
        settings_from_dict(data, environ=env or {})
    return str(e.value)


def test_shipped_config_loads_without_any_environment():
    s = load_settings(ROOT / "config.toml", environ={})
    assert len(s.feeds) >= 8
    assert [t.name for t in s.topics] == ["openai-money"]
    assert s.digest("daily").timezone == "Europe/Paris"
    assert s.sinks["team-slack"].missing_env == ("SLACK_WEBHOOK_URL",)
    assert s.database_url == f"sqlite:///{(ROOT / 'monitor.db').as_posix()}"


def test_env_expansion_and_secret_not_in_repr():
    s = settings_from_dict(base(), environ={"SLACK_WEBHOOK_URL": "https://hooks.slack.test/T/B/secret123"})
    sink = s.sinks["team-slack"]
    assert sink.missing_env == ()
    assert sink.webhook_url.get_secret_value().endswith("secret123")
    assert "secret123" not in repr(s) and "secret123" not in str(sink)


def test_default_value_syntax():
    data = base()
    data["sinks"]["archive"]["secret"] = "${HOOK_SECRET:-}"
    s = settings_from_dict(data, environ={})
    assert s.sinks["archive"].secret is None
    assert s.sinks["archive"].missing_env == ()


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["digests"][0].update(sinks=["slak"]),
     "digests[0].sinks: unknown sink 'slak' (known: team-slack, archive)"),
    (lambda d: d["digests"][0].update(topics=["nope"]), "digests[0].topics: unknown topic 'nope'"),
    (lambda d: d["digests"][0].update(schedule="61 * * * *"), "digests[0].schedule: invalid cron"),
    (lambda d: d["digests"][0].update(timezone="Europe/Pariss"), "digests[0].timezone: unknown time zone"),
    (lambda d: d.update(polling={"intervall_minutes": 5}), "polling.intervall_minutes: unknown key"),
    (lambda d: d.update(polling={"interval_minutes": "5m"}), "polling.interval_minutes:"),
    (lambda d: d["feeds"].append({"url": "file:///etc/passwd"}), "feeds[1].url: not an http(s) URL"),
    (lambda d: d["feeds"].append({"url": "https://news.example/rss"}), "feeds[1].url: duplicate feed"),
    (lambda d: d["sinks"].update(x={"type": "slak"}), "sinks.x.type: unknown sink type 'slak'"),
    (lambda d: d["sinks"]["archive"].update(urll="x"), "sinks.archive.urll: unknown key"),
    (lambda d: d.update(database={"url": "${DB_URL}"}), "database.url: environment variable DB_URL is not set"),
])
def test_errors_name_the_key(mutate, expected):
    data = base()
    mutate(data)
    assert expected in err(data)


def test_file_errors_are_one_line(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("[polling\ninterval = 3\n")
    with pytest.raises(ConfigError, match=r"c.toml: invalid TOML: .*line 1"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.toml")


def test_sink_secret_never_in_error(tmp_path):
    data = base()
    data["sinks"]["archive"]["timeout_seconds"] = "${HOOK}"
    msg = err(data, env={"HOOK": "supersecret-value"})
    assert "supersecret-value" not in msg and "sinks.archive.timeout_seconds" in msg
