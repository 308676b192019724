"""Topic matching: does an article report money raised, earned or lost by a topic's entity?

Pure core: imports only the standard library, ``monitor.types`` and ``monitor.errors``.

    from monitor.match import preset, match_article, explain_text
    topic = preset("openai-funding-revenue")
    m = match_article(article, topic)      # Match(matched, topic, score, reasons, event)
    print(explain_text(m))

Custom topics come from ``[[topics]]`` tables through :func:`build_topic`; see
``monitor/match/topic.py`` for the keys and ``monitor/match/lexicon.py`` for the term syntax.

The hot modules (text, money, termset, _values, engine) run compiled when the install could build
them with mypyc, else as plain Python, with the same decisions: see ``monitor/match/_native.py``.
"""

from monitor.match import _native

_native.select()  # before any hot module is imported

from monitor.match.cli import cli_match_jsonl  # noqa: E402
from monitor.match.engine import match_article  # noqa: E402
from monitor.match.explain import explain_text  # noqa: E402
from monitor.match.presets import PRESETS  # noqa: E402
from monitor.match.topic import EVENT_KINDS, Topic, build_topic, preset  # noqa: E402

__all__ = ["EVENT_KINDS", "PRESETS", "Topic", "build_topic", "cli_match_jsonl", "explain_text", "match_article",
           "preset"]
