"""YAML files read as data only, with the line of every mapping key and list item kept for messages.

``yaml.safe_load`` builds the data (no tag can construct an object or run code); a second pass over
the composed node tree records where each value stands in the file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from optimizer.errors import InputError, Problem, display_name

Lines = dict[tuple, int]


def load_yaml(path: Path) -> tuple[object, Lines]:
    """Return the data of a YAML file and a map from key path (``("changes", 0, "where")``) to line."""
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem(name, "file not found")) from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(name, f"is not UTF-8 text (byte {exc.start})", expected="a UTF-8 YAML file")) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        if "tag" in str(reason) or "constructor" in type(exc).__name__.lower():
            reason = f"{reason}; tags that build objects or run code are not allowed"
        raise InputError(
            Problem(
                name, f"is not valid YAML: {reason}", line=mark.line + 1 if mark else None, expected="plain YAML data"
            )
        ) from None
    lines: Lines = {}
    if node is not None:
        _record(node, (), lines, set())
    return data, lines


def _record(node: yaml.Node, path: tuple, lines: Lines, seen: set[int]) -> None:
    """Lines of every key and item. An alias is the same node object as its anchor: it is walked once,
    so neither a recursive alias nor a "billion laughs" of nested aliases can make this loop forever."""
    lines[path] = node.start_mark.line + 1
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            _record(value_node, path + (key,), lines, seen)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _record(item, path + (position,), lines, seen)


def line_of(lines: Lines, path: tuple) -> int | None:
    """The line of ``path`` or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
