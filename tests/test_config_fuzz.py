"""Bad configuration and hostile input (issue 7): one clear line naming the key (and its line),
exit 2, nothing written; and property tests: the config loader, the URL canonicalizer and the
matcher let nothing but the project's own errors escape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config import load_settings, settings_from_dict
from monitor.errors import ConfigError, MonitorError
from monitor.match import match_article, preset
from monitor.normalize import canonical_url
from monitor.types import Article

GOOD = '''[database]
url = "sqlite:///m.db"

[polling]
interval_minutes = 15

[[feeds]]
url = "https://news.example/rss"

[[topics]]
name = "openai-money"
preset = "openai-funding-revenue"

[sinks.archive]
type = "webhook"
url = "http://127.0.0.1:9/hook"

[[digests]]
name = "daily"
schedule = "0 8 * * *"
timezone = "Europe/Paris"
sinks = ["archive"]
'''

# (replace this, with that) -> (key path named in the message, its line, words of the message)
BROKEN = [
    ("interval_minutes = 15", "intervall_minutes = 15", "polling.intervall_minutes", 5, "unknown key"),
    ("interval_minutes = 15", 'interval_minutes = "5m"', "polling.interval_minutes", 5, "number"),
    ('schedule = "0 8 * * *"', 'schedule = "61 * * * *"', "digests[0].schedule", 20, "cron"),
    ('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"', "digests[0].timezone", 21, "time zone"),
    ('sinks = ["archive"]', 'sinks = ["archiv"]', "digests[0].sinks", 22, "unknown sink"),
    ('type = "webhook"', 'type = "pager"', "sinks.archive.type", 15, "unknown sink type"),
    ('url = "https://news.example/rss"', 'url = "file:///etc/passwd"', "feeds[0].url", 8, "http(s)"),
    ('url = "https://news.example/rss"', 'url = "htps://x"', "feeds[0].url", 8, "http(s)"),
    ('preset = "openai-funding-revenue"', 'preset = "nope"', "topics[0].preset", 12, "unknown preset"),
    ('timezone = "Europe/Paris"', 'timezone = "Europe/Paris"\nbogus = 1', "digests[0].bogus", 22, "unknown key"),
    # wrong types: numbers and switches take only their TOML type (no "15" -> 15, no true -> 1)
    ("interval_minutes = 15", 'interval_minutes = "15"', "polling.interval_minutes", 5, "valid number (got '15')"),
    ("interval_minutes = 15", "interval_minutes = true", "polling.interval_minutes", 5, "valid number (got True)"),
    ("interval_minutes = 15", "interval_minutes = 15\nmax_body_mb = true", "polling.max_body_mb", 6,
     "valid number (got True)"),
    ("interval_minutes = 15", "interval_minutes = 15\nconcurrency = 8.5", "polling.concurrency", 6, "valid integer"),
    ('url = "https://news.example/rss"', 'url = "https://news.example/rss"\nenabled = "no"', "feeds[0].enabled", 9,
     "valid boolean"),
    ('type = "webhook"', 'type = "webhook"\ntimeout_seconds = "10"', "sinks.archive.timeout_seconds", 16,
     "valid number"),
]


@pytest.mark.parametrize("old, new, key, line, words", BROKEN, ids=[b[2] + ":" + b[1][:20] for b in BROKEN])
def test_broken_config_names_key_and_line(tmp_path, old, new, key, line, words):
    c = tmp_path / "c.toml"
    assert old in GOOD
    c.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as e:
        load_settings(c, environ={})
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{c}: {key}"), msg
    assert words in msg, msg
    assert f"(line {line})" in msg, msg


def test_good_config_loads(tmp_path):
    c = tmp_path / "c.toml"
    c.write_text(GOOD)
    assert load_settings(c, environ={}).digests[0].name == "daily"


def test_missing_environment_variable_outside_a_sink(tmp_path):
    c = tmp_path / "c.toml"
    c.write_text(GOOD.replace('url = "sqlite:///m.db"', 'url = "${MONITOR_FUZZ_DB}"'))
    with pytest.raises(ConfigError, match=r"database\.url: environment variable MONITOR_FUZZ_DB is not set \(line 2\)"):
        load_settings(c, environ={})


def test_unreadable_file(tmp_path):
    c = tmp_path / "c.toml"
    c.write_bytes(b"\xff\xfe[polling]\n")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(c, environ={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.toml", environ={})


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("old, new, key", [
    ("interval_minutes = 15", "intervall_minutes = 15", "polling.intervall_minutes"),
    ('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"', "digests[0].timezone"),
    ('sinks = ["archive"]', 'sinks = ["archiv"]', "digests[0].sinks"),
    ('url = "sqlite:///m.db"', 'url = "${MONITOR_FUZZ_UNSET}"', "database.url"),
    ("interval_minutes = 15", 'interval_minutes = "15"', "polling.interval_minutes"),
    ("interval_minutes = 15", "interval_minutes = true", "polling.interval_minutes"),
    ('schedule = "0 8 * * *"', 'schedule = "0 25 * * *"', "digests[0].schedule"),
    ('type = "webhook"', 'type = "pager"', "sinks.archive.type"),
])
def test_cli_bad_config_one_line_exit_2_nothing_written(tmp_path, old, new, key):
    c = tmp_path / "c.toml"
    c.write_text(GOOD.replace(old, new, 1))
    before = sorted(p.name for p in tmp_path.iterdir())
    p = cli(tmp_path, "--config", str(c), "poll")
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and "(line " in lines[0], p.stderr
    assert sorted(q.name for q in tmp_path.iterdir()) == before   # no database, no lock file


def test_cli_unreadable_config_exit_2(tmp_path):
    p = cli(tmp_path, "--config", str(tmp_path / "nope.toml"), "poll")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["match", "cluster"])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_cli_jsonl_that_is_not_utf8_one_line_exit_2(tmp_path, command, source):
    items = tmp_path / "items.jsonl"
    items.write_bytes(b'{"id": 1, "title": "OpenAI raises $6B"}\n\xff\xfe{"id": 2}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    args = [sys.executable, "-m", "monitor", command, "--jsonl"]
    if source == "file":
        p = subprocess.run([*args, str(items)], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    else:
        p = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, timeout=60, input=items.read_bytes())
    err = p.stderr.decode().strip().splitlines()
    name = str(items) if source == "file" else "stdin"
    assert p.returncode == 2 and err == [f"monitor: error: {name}: not UTF-8 text (byte 0xff: invalid start byte)"]
    assert sorted(q.name for q in tmp_path.iterdir()) == ["items.jsonl"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.example/rss", "not a url"])
def test_cli_feeds_add_bad_url_writes_nothing(tmp_path, url):
    c = tmp_path / "c.toml"
    c.write_text(GOOD)
    p = cli(tmp_path, "--config", str(c), "feeds", "add", url)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"monitor: error: feeds add: not an http(s) URL: {url!r}"]
    assert sorted(q.name for q in tmp_path.iterdir()) == ["c.toml"]   # no database opened


# ---- property tests ---------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)
KEYS = ["database", "polling", "server", "feeds", "topics", "sinks", "digests", "bogus"]
SUBKEYS = ["url", "interval_minutes", "timeout_seconds", "name", "schedule", "timezone", "sinks", "topics", "type",
           "preset", "webhook_url", "listen", "max_body_mb", "include", "exclude"]
structured = st.dictionaries(
    st.sampled_from(KEYS),
    st.one_of(values, st.dictionaries(st.sampled_from(SUBKEYS), values, max_size=5),
              st.lists(st.dictionaries(st.sampled_from(SUBKEYS), values, max_size=5), max_size=3)),
    max_size=5)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structured)
def test_config_loader_raises_only_config_errors(data):
    try:
        settings_from_dict(data, environ={})
    except ConfigError as e:
        assert "\n" not in str(e)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_config_file_text_raises_only_config_errors(tmp_path_factory, text):
    c = tmp_path_factory.mktemp("fuzz") / "c.toml"
    c.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_settings(c, environ={})
    except ConfigError:
        pass


url_parts = st.one_of(
    st.text(max_size=80),
    st.builds(lambda scheme, host, path, query: f"{scheme}://{host}{path}?{query}",
              st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
              st.text(max_size=30), st.text(max_size=30), st.text(max_size=40)),
    st.builds(lambda q: "https://news.google.com/rss/articles/" + q, st.text(max_size=60)),
    st.builds(lambda q: "https://www.google.com/url?q=" + q, st.text(max_size=60)),
)


@settings(max_examples=400, deadline=None)
@given(url_parts)
def test_canonical_url_never_raises_and_is_idempotent(url):
    out = canonical_url(url)
    assert out is None or out.startswith("https://")
    if out is not None:
        assert canonical_url(out) == out


TOPIC = preset("openai-funding-revenue")
words = st.sampled_from(["OpenAI", "openai", "raises", "$6.6B", "billion", "funding", "revenue", "round",
                         "valuation", "Anthropic", "€", "milliards", "Umsatz", "\u200b", "\u202e", "’s", "-", "#"])
titles = st.one_of(st.text(max_size=200), st.lists(words, max_size=15).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(titles, titles, st.one_of(st.none(), st.text(max_size=60)))
def test_matcher_raises_nothing_but_project_errors(title, summary, link):
    try:
        m = match_article(Article(title=title, summary=summary, link=link), TOPIC)
    except MonitorError:
        return
    assert isinstance(m.matched, bool)
