"""Read YAML written by a client (``client.yaml``, scenario files) with bounded work.

YAML anchors (``&a``) and aliases (``*a``) let a few lines stand for a structure of any size
("billion laughs": nine lines of ten aliases each mean 10⁹ values) or for one that contains
itself. :func:`compose` reads the node tree, in which an alias is one shared node, and refuses
such a document before anything walks or builds the values it stands for (SPEC §6).

Examples
--------
>>> compose("name: Acme\\nperiod: '2026-10'\\n").tag
'tag:yaml.org,2002:map'
>>> compose("a: &a [1, 2]\\nb: [*a, *a]\\n").tag  # aliases that stay small are fine
'tag:yaml.org,2002:map'
>>> compose("a: &a [*a]\\n")
Traceback (most recent call last):
...
kpi_toolkit.inputs.yaml_bounds.UnboundedYamlError: an alias refers to the list or map that holds it, so the values never end
"""
from __future__ import annotations

import yaml

#: Values a settings or scenario file may stand for once its aliases are expanded. Real ones
#: hold hundreds; a scenario of every KPI of a thousand positions stays well below.
MAX_VALUES = 100_000


class UnboundedYamlError(ValueError):
    """Raised when a YAML document expands without bound (through aliases) or nests too deep."""

    def __init__(self, message: str, line: int | None, fix: str):
        super().__init__(message)
        self.message = message
        self.line = line  # 1-based, where the expansion starts; None when unknown
        self.fix = fix


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text`` (``yaml.compose`` with the safe loader), bounded.

    Raises
    ------
    UnboundedYamlError
        When an alias refers to the list or map that holds it, when the values the aliases
        stand for exceed :data:`MAX_VALUES`, or when the text nests deeper than can be read.
    yaml.YAMLError
        For a syntax error, as ``yaml.compose`` does.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise UnboundedYamlError(
            "lists or maps are nested thousands of levels deep", None,
            "write the settings as plain nested entries a few levels deep") from None
    if root is not None:
        check_size(root)
    return root


def check_size(root: yaml.Node, limit: int = MAX_VALUES) -> int:
    """The number of values ``root`` stands for with every alias expanded; raise if unbounded.

    Each distinct node is counted once and its count reused wherever an alias repeats it, so
    the work is that of reading the text, whatever the expansion would be.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # nodes whose children are being counted: the path from root
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            size = sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise UnboundedYamlError(
                    f"the anchors (&) and aliases (*) here stand for more than {limit:,} values "
                    "(a 'billion laughs' document); expected plain settings",
                    node.start_mark.line + 1,
                    "write the values out once, without aliases that repeat aliases")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise UnboundedYamlError(
                "an alias refers to the list or map that holds it, so the values never end",
                node.start_mark.line + 1, "remove the alias (the '*name' inside '&name')")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return []
