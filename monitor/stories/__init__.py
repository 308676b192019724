"""Stories: one real-world event, however many outlets and languages report it.

Public API::

    story_features(article, match) -> StoryFeatures      # per article, stored as JSON
    same_story(a, b) -> bool                              # pairwise; explain(a, b) says why
    assign_story(f, candidates) -> story id | None        # a newcomer against stored stories
    cluster_items(features) -> list[str]                  # a batch: one story key per item
    cli_cluster_jsonl(in_stream, out_stream) -> int       # ``monitor cluster --jsonl``

Pure: no network, no database, no clock.

The hot modules (text, money, decide, cluster) run compiled when the install could build them
with mypyc, else as plain Python, with the same decisions: see ``monitor/_native.py``.
"""

from monitor.stories import _native

_native.select()  # before any hot module is imported

from monitor.stories.cli import cli_cluster_jsonl  # noqa: E402
from monitor.stories.cluster import assign_story, cluster_items  # noqa: E402
from monitor.stories.decide import Verdict, explain, same_story  # noqa: E402
from monitor.stories.features import StoryFeatures, story_features  # noqa: E402

__all__ = [
    "StoryFeatures",
    "Verdict",
    "assign_story",
    "cli_cluster_jsonl",
    "cluster_items",
    "explain",
    "same_story",
    "story_features",
]
