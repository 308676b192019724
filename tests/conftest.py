from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FixedClock
from tests.servers import FeedServer, WebhookReceiver

DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's monitor settings or proxies."""
    for key in list(os.environ):
        if (key.startswith("MONITOR_") and key != "MONITOR_TEST_POSTGRES_URL") or key.lower() in (
                "http_proxy", "https_proxy", "all_proxy", "no_proxy") or key in (
                "SLACK_WEBHOOK_URL", "SMTP_USER", "SMTP_PASSWORD", "SMTP_HOST"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("MONITOR_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need MONITOR_TEST_POSTGRES_URL (.ci/run sets it)")
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_server_url)
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    return str(request.getfixturevalue("postgres_url"))
