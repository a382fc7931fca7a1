"""Threading: order, depth limit, orphans and the author's responses."""

from datetime import UTC, datetime, timedelta

from pelican.plugins.reflections.core.published import PublishedItem
from pelican.plugins.reflections.core.threads import build_thread, count_visible, walk

START = datetime(2026, 3, 1, tzinfo=UTC)


def item(number: int, parent: int | str | None = None, kind: str = "reflection", hours: int | None = None):
    return PublishedItem(
        id=f"i{number}",
        essay="the-kitchen-table",
        kind=kind,
        date=START + timedelta(hours=number if hours is None else hours),
        body=f"Body {number}",
        author=f"Name {number}",
        parent=f"i{parent}" if isinstance(parent, int) else (parent or ""),
    )


def shape(thread):
    return [(node.item.id, node.depth, node.in_reply_to) for node in walk(thread)]


def test_top_level_and_replies_are_in_date_order():
    thread = build_thread([item(3), item(1), item(4, 1), item(2, 1, hours=5)])
    assert [node.item.id for node in thread] == ["i1", "i3"]
    assert [child.item.id for child in thread[0].children] == ["i4", "i2"]


def test_replies_nest_to_the_depth_limit_and_deeper_ones_say_whom_they_answer():
    chain = [item(1)] + [item(n, n - 1) for n in range(2, 8)]
    thread = build_thread(chain, max_depth=4)
    assert shape(thread) == [
        ("i1", 1, None),
        ("i2", 2, None),
        ("i3", 3, None),
        ("i4", 4, None),
        ("i5", 4, "Name 4"),
        ("i6", 4, "Name 5"),
        ("i7", 4, "Name 6"),
    ]


def test_depth_one_shows_everything_flat():
    thread = build_thread([item(1), item(2, 1), item(3, 2)], max_depth=1)
    assert shape(thread) == [("i1", 1, None), ("i2", 1, "Name 1"), ("i3", 1, "Name 2")]


def test_reply_to_a_missing_parent_is_kept_at_top_level_with_a_note():
    thread = build_thread([item(1), item(2, "gone")])
    assert [node.item.id for node in thread] == ["i1", "i2"]
    assert thread[1].orphaned and not thread[0].orphaned


def test_a_cycle_of_parents_drops_nothing():
    thread = build_thread([item(1, 2), item(2, 1)])
    assert sorted(node.item.id for node in walk(thread)) == ["i1", "i2"]


def test_responses_attach_to_what_they_answer_and_are_not_counted():
    thread = build_thread([item(1), item(2, 1, kind="response"), item(3, 1, kind="comment")])
    assert [r.item.id for r in thread[0].responses] == ["i2"]
    assert [c.item.id for c in thread[0].children] == ["i3"]
    assert count_visible(thread) == 2


def test_reply_to_a_response_follows_the_reflection_it_belongs_to():
    thread = build_thread([item(1), item(2, 1, kind="response"), item(3, 2)])
    assert thread[0].children[0].item.id == "i3"
    assert thread[0].children[0].in_reply_to == "the author"
