"""Small directed-graph helpers shared by validation and the strategy map."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def find_cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """Return the nodes of one cycle in a directed graph, or ``None`` if it is acyclic.

    ``edges`` are ``(from, to)`` pairs. The cycle is returned as a closed walk that starts
    and ends at the same node, in a deterministic order.

    Examples
    --------
    >>> find_cycle([("a", "b"), ("b", "c")]) is None
    True
    >>> find_cycle([("a", "b"), ("b", "c"), ("c", "a")])
    ['a', 'b', 'c', 'a']
    """
    succ: dict[str, list[str]] = defaultdict(list)
    nodes: set[str] = set()
    for a, b in edges:
        succ[a].append(b)
        nodes.update((a, b))
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(nodes, white)
    for start in sorted(nodes):
        if colour[start] != white:
            continue
        stack = [(start, iter(sorted(succ[start])))]
        path = [start]
        colour[start] = grey
        while stack:
            node, children = stack[-1]
            nxt = next(children, None)
            if nxt is None:
                colour[node] = black
                stack.pop()
                path.pop()
            elif colour[nxt] == grey:
                return path[path.index(nxt):] + [nxt]
            elif colour[nxt] == white:
                colour[nxt] = grey
                stack.append((nxt, iter(sorted(succ[nxt]))))
                path.append(nxt)
    return None


def topological_order(edges: Iterable[tuple[str, str]], nodes: Iterable[str] = ()) -> list[str]:
    """Nodes ordered so that every edge goes from an earlier to a later node (Kahn).

    Raises ``ValueError`` when the graph has a cycle.

    Examples
    --------
    >>> topological_order([("root", "b"), ("root", "a"), ("a", "b")])
    ['root', 'a', 'b']
    """
    edges = list(edges)
    indegree: dict[str, int] = {n: 0 for n in nodes}
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        indegree.setdefault(a, 0)
        indegree[b] = indegree.get(b, 0) + 1
        succ[a].append(b)
    ready = sorted(n for n, d in indegree.items() if d == 0)
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in sorted(succ[node]):
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
        ready.sort()
    if len(order) != len(indegree):
        raise ValueError(f"graph has a cycle: {find_cycle(edges)}")
    return order
