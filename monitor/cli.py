"""The command line of DESIGN.md. Thin: every command calls the app or a pure function.

Exit codes: 0 done; 1 could not run (database, network, delivery); 2 bad input (config, usage).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from monitor import __version__
from monitor.config import Settings, load_settings
from monitor.errors import ConfigError, DeliveryError, MonitorError, StoreError

log = logging.getLogger("monitor.cli")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="monitor", description="Monitor news feeds for OpenAI funding and "
                                "revenue stories and send deduplicated digests.")
    p.add_argument("--config", metavar="PATH", help="config file (default: $MONITOR_CONFIG, then ./config.toml)")
    p.add_argument("--db", metavar="URL", help="database URL, overrides [database].url")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    p.add_argument("--log-format", choices=["text", "json"], default="text", help="log line format")
    p.add_argument("--version", action="version", version=f"monitor {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub.add_parser("run", help="run the daemon: poll, send digests on schedule, serve health/metrics")
    poll = sub.add_parser("poll", help="one pass over the due feeds, then exit")
    poll.add_argument("--all", action="store_true", help="every enabled feed, whatever its schedule")

    digest = sub.add_parser("digest", help="send or preview a digest")
    dsub = digest.add_subparsers(dest="digest_command", metavar="ACTION", required=True)
    send = dsub.add_parser("send", help="send digest NAME now (what its sinks have not received)")
    send.add_argument("name")
    prev = dsub.add_parser("preview", help="print what `digest send` would send; records nothing")
    prev.add_argument("name")
    prev.add_argument("--format", choices=["text", "html", "slack", "json"], default="text")

    sinks = sub.add_parser("sinks", help="check sinks")
    ssub = sinks.add_subparsers(dest="sinks_command", metavar="ACTION", required=True)
    stest = ssub.add_parser("test", help="send a test message through sink NAME, print its exact answer")
    stest.add_argument("name")
    sretry = ssub.add_parser("retry", help="re-queue what sink NAME refused for good (after fixing it); same digest ids")
    sretry.add_argument("name")

    match = sub.add_parser("match", help="classify JSON-lines items (no database needed)")
    match.add_argument("--jsonl", action="store_true", required=True, help="read and write JSON lines")
    match.add_argument("file", nargs="?", help="input file (default: stdin)")
    cluster = sub.add_parser("cluster", help="group JSON-lines items into stories (no database needed)")
    cluster.add_argument("--jsonl", action="store_true", required=True, help="read and write JSON lines")
    cluster.add_argument("file", nargs="?", help="input file (default: stdin)")

    explain = sub.add_parser("explain", help="explain the decision for one article (text or stored URL)")
    explain.add_argument("text", nargs="*", help="the article's title (and text), or its URL")
    explain.add_argument("--title", help="the title")
    explain.add_argument("--summary", default="", help="the summary")

    feeds = sub.add_parser("feeds", help="manage feeds")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    fsub.add_parser("list", help="list feeds with their health")
    add = fsub.add_parser("add", help="add a feed URL, or a site whose page declares its feed")
    add.add_argument("url")
    add.add_argument("--name", default="")
    rm = fsub.add_parser("remove", help="disable a feed (its history is kept)")
    rm.add_argument("url")
    imp = fsub.add_parser("import", help="import feeds from an OPML file (never fetches)")
    imp.add_argument("file")
    fsub.add_parser("export", help="print the enabled feeds as OPML")

    sub.add_parser("demo", help="offline demo: poll bundled sample feeds, print the digest, write it as HTML")

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    dbsub.add_parser("upgrade", help="apply schema migrations")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from monitor.logs import setup_logging

    setup_logging(-1 if args.quiet else args.verbose, args.log_format)
    try:
        return _dispatch(args)
    except ConfigError as e:
        print(f"monitor: error: {e}", file=sys.stderr)
        return 2
    except (StoreError, DeliveryError, MonitorError) as e:
        print(f"monitor: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "match":
        return _with_input(args.file, lambda f: _match(f, _optional_topics(args)))
    if cmd == "cluster":
        from monitor.stories import cli_cluster_jsonl

        return _with_input(args.file, lambda f: cli_cluster_jsonl(f, sys.stdout))
    if cmd == "explain":
        return _explain(args)
    if cmd == "demo":
        from monitor.demo import run_demo

        return run_demo(sys.stdout)
    settings = load_settings(args.config, database_url=args.db)
    if cmd == "db":
        from monitor.store import open_store

        store = open_store(settings.database_url)
        try:
            store.migrate()
            print(f"database at revision {store.current_revision()}: {store.safe_url}")
        finally:
            store.close()
        return 0
    if cmd == "feeds":
        return _feeds(args, settings)
    if cmd == "sinks":
        if args.sinks_command == "retry":
            return _sinks_retry(settings, args.name)
        return _sinks_test(settings, args.name)
    return asyncio.run(_async_command(args, settings))


def _with_input(path: str | None, fn: Any) -> int:
    """Run ``fn`` over the UTF-8 text of ``path`` (stdin when None or "-"), whatever the locale.

    Raises:
        ConfigError: the file cannot be read, or the input is not UTF-8 (one line, exit 2).
    """
    name = "stdin" if path is None or path == "-" else path
    try:
        if name == "stdin":
            raw = getattr(sys.stdin, "buffer", None)
            if raw is None:  # already text (a test's StringIO)
                return int(fn(sys.stdin))
            return int(fn(io.TextIOWrapper(raw, encoding="utf-8", errors="strict")))
        with open(name, encoding="utf-8", errors="strict") as f:
            return int(fn(f))
    except OSError as e:
        raise ConfigError(f"{name}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        bad = e.object[e.start:e.start + 1].hex()
        raise ConfigError(f"{name}: not UTF-8 text (byte 0x{bad}: {e.reason})") from None


def _optional_topics(args: argparse.Namespace) -> list[Any] | None:
    """Topics from the config when there is one (custom topics); else the shipped preset."""
    explicit = args.config is not None
    try:
        settings = load_settings(args.config, must_exist=explicit)
    except ConfigError:
        if explicit:
            raise
        return None
    return list(settings.topics) or None


def _match(stream: TextIO, topics: list[Any] | None) -> int:
    from monitor.match import cli_match_jsonl

    return int(cli_match_jsonl(stream, sys.stdout, topics) or 0)


def _explain(args: argparse.Namespace) -> int:
    from monitor.match import explain_text, match_article, preset
    from monitor.types import Article

    words = " ".join(args.text).strip()
    title = args.title or words
    if not title:
        raise ConfigError("explain: give the article's title (or --title/--summary)")
    topics = _optional_topics(args) or [preset("openai-funding-revenue", name="openai-money")]
    if not args.title and re.match(r"^https?://\S+$", words):
        article = _stored_article(args, words)  # a URL: the stored article it names (never fetched)
        print(f"{article.title}\n  {article.source or '-'} | {article.link}\n")
    else:
        article = Article(title=title, summary=args.summary)
    for topic in topics:
        print(explain_text(match_article(article, topic)))
    return 0


def _stored_article(args: argparse.Namespace, url: str) -> Any:
    from monitor.store import open_store

    settings = load_settings(args.config, database_url=args.db)
    store = open_store(settings.database_url)
    try:
        store.migrate()
        article = store.find_article(url)
    finally:
        store.close()
    if article is None:
        raise ConfigError(f"explain: no stored article has the link {url} (poll first, or give its title)")
    return article


def _feeds(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.store import open_store

    if args.feeds_command == "add":  # checked before the database is opened: bad input writes nothing
        from monitor.config import FeedConfig

        try:
            FeedConfig(url=args.url)
        except ValueError:
            raise ConfigError(f"feeds add: not an http(s) URL: {args.url!r}") from None
    store = open_store(settings.database_url)
    try:
        store.migrate()
        now = datetime.now(UTC)
        store.sync_config_feeds(settings.feeds, now)
        action = args.feeds_command
        if action == "list":
            _print_feeds(store.list_feeds())
        elif action == "add":
            from monitor.discover import discover

            url, title = discover(args.url)
            if url != args.url:
                print(f"{args.url} declares the feed {url}" + (f" ({title})" if title else ""))
            added = store.add_feed(url, args.name or title, now)
            print(("added " if added else "already present (enabled) ") + url)
        elif action == "remove":
            print(("disabled " if store.remove_feed(args.url) else "no enabled feed ") + args.url)
        elif action == "import":
            from monitor.opml import read_opml

            urls = read_opml(Path(args.file))
            n = sum(store.add_feed(u, name, now) for u, name in urls)
            print(f"imported {n} new feeds ({len(urls)} in the file)")
        elif action == "export":
            from monitor.opml import write_opml

            sys.stdout.write(write_opml([(f.url, f.name or f.title) for f in store.list_feeds() if f.enabled]))
    finally:
        store.close()
    return 0


def _sinks_test(settings: Settings, name: str) -> int:
    """``monitor sinks test NAME``: the sink's exact answer on stdout; exit 1 if it refused."""
    from monitor.sinks import send_test_message

    if name not in settings.sinks:
        raise ConfigError(f"unknown sink {name!r} (known: {', '.join(settings.sinks) or 'none'})")
    cfg = settings.sinks[name]
    if cfg.missing_env:
        raise ConfigError(f"sinks.{name}: environment variable {', '.join(cfg.missing_env)} is not set")
    try:
        answer = asyncio.run(send_test_message(name, cfg, datetime.now(UTC)))
    except DeliveryError as e:
        print(f"{name}: failed: {e}")
        return 1
    print(f"{name}: {answer}")
    return 0


def _sinks_retry(settings: Settings, name: str) -> int:
    """``monitor sinks retry NAME``: put the deliveries sink NAME refused for good back in the
    outbox, with their digest ids; the next send (or the daemon's retry) sends them."""
    from monitor.store import open_store

    if name not in settings.sinks:
        raise ConfigError(f"unknown sink {name!r} (known: {', '.join(settings.sinks) or 'none'})")
    store = open_store(settings.database_url)
    try:
        store.migrate()
        stories, runs = store.requeue_failed(name)
    finally:
        store.close()
    if not stories:
        print(f"{name}: nothing failed")
    else:
        print(f"{name}: {stories} stories re-queued in {runs} digest run(s), with their digest ids; "
              "the next `monitor digest send` (or the daemon's retry) sends them")
    return 0


def _print_feeds(feeds: list[Any]) -> None:
    if not sys.stdout.isatty():
        for f in feeds:
            if f.enabled:
                print(f.url)
        return
    for f in feeds:
        state = "ok" if not f.last_error else f"failing x{f.consecutive_failures} since " \
            f"{f.error_since:%Y-%m-%d %H:%M} UTC: {f.last_error}"
        if not f.enabled:
            state = "disabled"
        elif f.last_success_at is None and not f.last_error:
            state = "never polled"
        print(f"{f.url}\n    {f.name or f.title or '-'} | {f.articles} articles | {state}")


async def _async_command(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.app import make_monitor

    cmd = args.command
    if cmd == "digest":
        cfg = settings.digest(args.name)
        if args.digest_command == "send":
            for sink in cfg.sinks:
                missing = settings.sinks[sink].missing_env
                if missing:
                    raise ConfigError(f"sinks.{sink}: environment variable {', '.join(missing)} is not set")
    lock = _single_instance(settings) if cmd == "run" else None
    monitor = make_monitor(settings, parse_workers=0 if cmd != "run" and cmd != "poll" else None)
    async with monitor:
        if cmd == "digest":
            return await _digest_command(monitor, args)
        if cmd == "poll":
            from monitor.normalize import redact_url

            report = await monitor.poll(all_feeds=args.all)
            print(report.summary())
            for f in report.failed:  # a feed URL may carry credentials or a token: redacted, as in logs
                print(f"  failed: {redact_url(f.url)}: {f.error}")
            return 0
        if cmd == "run":
            from monitor.scheduler import Daemon

            try:
                await Daemon(monitor).run()
            finally:
                if lock is not None:
                    lock.close()
            return 0
    raise ConfigError(f"unknown command {cmd!r}")


def _single_instance(settings: Settings) -> Any:
    """On SQLite, one daemon per database file: a second one fails at once. The lock is an
    ``flock`` on ``<db>.lock``, released by the kernel when the process dies."""
    import fcntl
    import re

    m = re.match(r"^sqlite(\+\w+)?:///(.+)$", settings.database_url)
    if not m or m.group(2) == ":memory:":
        return None
    lock_path = m.group(2) + ".lock"
    try:
        fh = open(lock_path, "a+")  # noqa: SIM115 - held for the process lifetime
    except OSError as e:
        raise StoreError(f"cannot open lock file {lock_path}: {e.strerror}") from None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise StoreError(f"another monitor daemon is running on this database (it holds {lock_path}); "
                         "use PostgreSQL to run several workers") from None
    return fh


async def _digest_command(monitor: Any, args: argparse.Namespace) -> int:
    if args.digest_command == "send":
        outcomes = await monitor.send_digest(args.name, manual=True)
        failed = False
        for o in outcomes:
            if o.error and getattr(o.error, "permanent", False):
                failed = True
                print(f"{o.sink}: failed permanently ({o.stories} stories marked failed, not retried; "
                      f"`monitor sinks retry {o.sink}` once it is fixed): {o.error}")
            elif o.error:
                failed = True
                print(f"{o.sink}: failed ({o.stories} stories stay pending, retried with back-off): {o.error}")
            elif o.skipped:
                print(f"{o.sink}: {o.skipped}")
            else:
                print(f"{o.sink}: sent {o.stories} stories in {o.messages} message(s), digest id {o.run_id}")
        return 1 if failed else 0
    digest = await monitor.preview(args.name)
    _print_preview(digest, args.format, monitor.settings.digest(args.name).max_stories)
    return 0


def _print_preview(digest: Any, fmt: str, max_stories: int) -> None:
    from monitor.digest import render_html, render_json, render_slack, render_text
    from monitor.digest.cap import cap_digest

    now = datetime.now(UTC)
    if fmt != "json":   # as people get it; the webhook payload lists every story
        digest = cap_digest(digest, max_stories)
    if fmt == "json":
        print(json.dumps(render_json(digest, now), ensure_ascii=False, indent=2))
    elif fmt == "slack":
        print(json.dumps(render_slack(digest), ensure_ascii=False, indent=2))
    elif fmt == "html":
        print(render_html(digest))
    else:
        sys.stdout.write(render_text(digest) if digest.stories else f"{digest.name}: nothing pending\n")
