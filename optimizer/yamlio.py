"""YAML files read as data only, with the line of every mapping key and list item kept for messages.

The loader is PyYAML's safe loader (no tag can construct an object or run code) with the implicit
types of the YAML 1.2 core schema instead of YAML 1.1's: ``NO`` (Norway), ``YES``, ``on``, ``off``,
``y`` and ``n`` stay the strings they are, ``true``/``false`` are the only booleans, ``1.0e12`` and
``1e12`` are numbers, ``2025-01-01`` and ``1:30`` are text. A key written twice in one mapping, a
nesting deeper than :data:`MAX_DEPTH` and an integer of more than :data:`MAX_DIGITS` digits are
errors that name the line, not silently the last value or an internal error.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

from optimizer.errors import InputError, Problem, display_name

Lines = dict[tuple, int]
MAX_DEPTH = 50  # mappings and lists inside each other; a real settings or scenario file needs < 10
MAX_DIGITS = 30  # an integer longer than this is no year, count or quantity (and 1e12 is the largest)


class CoreLoader(yaml.SafeLoader):
    """The safe loader with the YAML 1.2 core schema's implicit types."""


CoreLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^<<$", ["<"]),
):
    CoreLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: CoreLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    if len(digits) > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"an integer of {len(digits)} digits (at most {MAX_DIGITS})", node.start_mark
        )
    base = {"0o": 8, "0x": 16}.get(digits[:2], 10)  # 010 is ten in YAML 1.2, not eight
    value = int(digits[2:] if base != 10 else digits, base)
    return -value if text.startswith("-") else value


CoreLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(path: Path) -> tuple[object, Lines]:
    """Return the data of a YAML file and a map from key path (``("changes", 0, "where")``) to line."""
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem(name, "file not found")) from None
    except IsADirectoryError:
        raise InputError(Problem(name, "is a folder", expected="a YAML file")) from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(name, f"is not UTF-8 text (byte {exc.start})", expected="a UTF-8 YAML file")) from None
    except OSError as exc:
        raise InputError(Problem(name, f"cannot be read: {exc.strerror}", expected="a readable YAML file")) from None
    known = _PARSED.get(str(path))
    if known is not None and known[0] == text:  # a study re-applies its scenario files: parse each once
        return copy.deepcopy(known[1]), dict(known[2])
    loader = None
    try:
        loader = CoreLoader(text)  # the reader checks the characters here already
        node = loader.get_single_node()
        lines: Lines = {}
        if node is not None:
            _record(node, (), lines, set(), name)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        if "tag" in str(reason) or "constructor" in type(exc).__name__.lower() and "integer" not in str(reason):
            reason = f"{reason}; tags that build objects or run code are not allowed"
        raise InputError(
            Problem(
                name, f"is not valid YAML: {reason}", line=mark.line + 1 if mark else None, expected="plain YAML data"
            )
        ) from None
    except RecursionError:
        raise InputError(
            Problem(name, "is nested too deeply", expected=f"at most {MAX_DEPTH} levels of mappings and lists")
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    _PARSED[str(path)] = (text, copy.deepcopy(data), dict(lines))
    return data, lines


_PARSED: dict[str, tuple[str, object, Lines]] = {}  # path -> (its text, data, lines) of the last parse


def _record(node: yaml.Node, path: tuple, lines: Lines, seen: set[int], name: str) -> None:
    """Lines of every key and item, checking depth and duplicate keys on the way. An alias is the same
    node object as its anchor: it is walked once, so neither a recursive alias nor a "billion laughs"
    of nested aliases can make this loop forever."""
    lines[path] = node.start_mark.line + 1
    if len(path) > MAX_DEPTH:
        raise InputError(
            Problem(
                name,
                "is nested too deeply",
                line=node.start_mark.line + 1,
                expected=f"at most {MAX_DEPTH} levels of mappings and lists",
            )
        )
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in keys and key != "<<":
                raise InputError(
                    Problem(
                        name,
                        f"key '{key}' appears twice in one mapping (first on line {keys[key]})",
                        line=line,
                        expected="each key once",
                    )
                )
            keys[key] = line
            _record(value_node, path + (key,), lines, seen, name)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _record(item, path + (position,), lines, seen, name)


def line_of(lines: Lines, path: tuple) -> int | None:
    """The line of ``path`` or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
