"""HostQueue: the per-host bookkeeping behind poll_once's workers (pure, no I/O)."""

from __future__ import annotations

from monitor.pipeline import HostQueue
from monitor.store import FeedState


def feed(i: int, host: str) -> FeedState:
    return FeedState(id=i, url=f"https://{host}/feed{i}.xml", name="", interval_minutes=None, etag=None,
                     last_modified=None, body_hash=None, consecutive_failures=0, is_new=False)


def ids(*feeds):
    return [f.id if f else None for f in feeds]


def test_at_most_per_host_fetches_start_and_other_hosts_go_first():
    q = HostQueue(per_host=2)
    q.add([feed(1, "a.example"), feed(2, "a.example"), feed(3, "a.example"), feed(4, "B.example")])
    assert q.waiting == 4
    assert ids(q.start_any(), q.start_any(), q.start_any()) == [1, 2, 4]
    assert q.start_any() is None            # a.example is busy, b.example has nothing waiting
    assert q.active("a.example") == 2 and q.active("b.example") == 1 and q.waiting == 1


def test_a_finished_fetch_hands_its_slot_to_the_next_feed_of_its_host_in_claim_order():
    q = HostQueue(per_host=1)
    q.add([feed(i, "a.example") for i in range(1, 5)])
    f = q.start_any()
    order = []
    while f is not None:
        order.append(f.id)
        assert q.start_any() is None          # the slot is never free in between
        f = q.next_same_host(f)
    assert order == [1, 2, 3, 4]
    assert q.active("a.example") == 0 and q.waiting == 0
    q.add([feed(5, "a.example")])             # the freed slot is usable again
    assert ids(q.start_any()) == [5]


def test_hosts_start_in_the_order_their_first_waiting_feed_arrived():
    q = HostQueue(per_host=1)
    q.add([feed(1, "a.example"), feed(2, "b.example"), feed(3, "a.example"), feed(4, "c.example")])
    assert ids(q.start_any(), q.start_any(), q.start_any()) == [1, 2, 4]
    assert q.next_same_host(feed(2, "b.example")) is None    # b has nothing left: slot freed
    assert ids(q.next_same_host(feed(1, "a.example"))) == [3]
