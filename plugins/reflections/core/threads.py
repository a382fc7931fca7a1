"""Threading: the published items of one essay arranged as the page shows them.

Pure functions over `PublishedItem`s. Reflections and comments nest under what they answer, in
date order, to `max_depth` levels; deeper replies are shown at the last level, after the item they
descend from, each saying whom it answers. The author's responses are attached to the item they
answer. Nothing is ever dropped: an item whose parent is missing is shown at the top level with a
note.
"""

from dataclasses import dataclass, field

from .i18n import N_
from .published import PublishedItem

DEFAULT_MAX_DEPTH = 4
AUTHOR_NAME = N_("the author")  # translated where it is shown


@dataclass(slots=True)
class Node:
    item: PublishedItem
    depth: int = 1
    children: list["Node"] = field(default_factory=list)
    responses: list["Node"] = field(default_factory=list)
    #: The item's body as safe HTML, filled in by the build.
    html: str = ""
    #: Whom this reply answers, when it is shown flatter than it really nests.
    in_reply_to: str | None = None
    #: True when the item answers something that is not (or no longer) published.
    orphaned: bool = False


def display_name(item: PublishedItem) -> str:
    if item.kind == "response":
        return AUTHOR_NAME
    return item.shown_name


def _order(node: Node) -> tuple:
    return (node.item.date, node.item.id)


def build_thread(items: list[PublishedItem], max_depth: int = DEFAULT_MAX_DEPTH) -> list[Node]:
    """The top-level nodes of one essay's thread, each holding its replies and responses."""
    by_id = {item.id: item for item in items}
    nodes = {item.id: Node(item) for item in items if item.kind != "response"}
    top: list[Node] = []
    for item in sorted(items, key=lambda i: (i.date, i.id)):
        host = _host(item, by_id, nodes)
        if item.kind == "response" and host is not None and by_id[item.parent].kind != "response":
            host.responses.append(Node(item))
            continue
        node = nodes.get(item.id) or Node(item)
        if host is None:
            node.orphaned = bool(item.parent)
            top.append(node)
        else:
            if by_id[item.parent].kind == "response":
                node.in_reply_to = AUTHOR_NAME
            host.children.append(node)
    return _arrange(top, 1, max(1, max_depth))


def _host(item: PublishedItem, by_id: dict, nodes: dict) -> Node | None:
    """The node an item hangs under: its parent's, or for a reply to a response, the response's."""
    if not item.parent or item.parent not in by_id or _in_cycle(item, by_id):
        return None
    parent = by_id[item.parent]
    if parent.kind == "response":
        return nodes.get(parent.parent)
    return nodes.get(parent.id)


def _in_cycle(item: PublishedItem, by_id: dict) -> bool:
    seen = {item.id}
    current = by_id.get(item.parent)
    while current is not None:
        if current.id in seen:
            return True
        seen.add(current.id)
        current = by_id.get(current.parent) if current.parent else None
    return False


def _arrange(nodes: list[Node], depth: int, max_depth: int) -> list[Node]:
    arranged = []
    for node in sorted(nodes, key=_order):
        node.depth = depth
        if depth < max_depth:
            node.children = _arrange(node.children, depth + 1, max_depth)
            arranged.append(node)
        else:
            arranged.append(node)
            arranged.extend(_flatten(node, depth))
    return arranged


def _flatten(node: Node, depth: int) -> list[Node]:
    """Every descendant of a last-level node, in date order, at that same level."""
    descendants: list[Node] = []
    stack = [(child, node) for child in node.children]
    while stack:
        child, parent = stack.pop()
        child.depth = depth
        child.in_reply_to = child.in_reply_to or display_name(parent.item)
        descendants.append(child)
        stack.extend((grandchild, child) for grandchild in child.children)
        child.children = []
    node.children = []
    return sorted(descendants, key=_order)


def count_visible(thread: list[Node]) -> int:
    """Readers' reflections and comments on the page (the author's responses are not counted)."""
    return sum(1 + count_visible(node.children) for node in thread if node.item.kind != "response")


def walk(thread: list[Node]):
    """Every node of the thread in page order, each followed by the author's responses to it."""
    for node in thread:
        yield node
        yield from node.responses
        yield from walk(node.children)
