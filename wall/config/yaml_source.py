"""YAML documents that remember where every key and value came from.

pyyaml's safe loader throws positions away once it has built Python objects, yet every config
error must name file:line:column. So we compose the node tree ourselves and build plain
dicts/lists/scalars next to a map from "path" (the tuple of keys and indexes pydantic reports as
`loc`) to the position of that node. Duplicate keys, which pyyaml silently lets win, are errors
here: in a wall config the second `clock:` silently replacing the first is a bug, not a feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Mark, Problem

Path_ = tuple[str | int, ...]


@dataclass
class SourceDoc:
    """A parsed YAML document: its data and the position of every node in it."""

    file: str
    data: Any
    key_marks: dict[Path_, Mark] = field(default_factory=dict)  # where the key of a path starts
    value_marks: dict[Path_, Mark] = field(default_factory=dict)  # where its value starts

    def mark_for(self, path: Path_, *, prefer_key: bool = False) -> Mark:
        """Position of the deepest node of `path` that exists in the document."""
        path = tuple(path)
        while True:
            primary, secondary = (
                (self.key_marks, self.value_marks) if prefer_key else (self.value_marks, self.key_marks)
            )
            if path in primary:
                return primary[path]
            if path in secondary:
                return secondary[path]
            if not path:
                return Mark(self.file, 1, 1)
            path = path[:-1]

    def has(self, path: Path_) -> bool:
        return tuple(path) in self.value_marks


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _own_keys(root: yaml.Node) -> set[tuple[int, int]]:
    """(mapping node, key node) ids of the keys each mapping writes itself, noted before
    `flatten_mapping` mixes in the keys merged from `<<: *anchor` (it does so in place)."""
    own: set[tuple[int, int]] = set()
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag != _MERGE_TAG:
                    own.add((id(node), id(key_node)))
                todo.extend((key_node, value_node))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return own


class _Builder:
    def __init__(self, file: str, root: yaml.Node):
        self.file = file
        self.key_marks: dict[Path_, Mark] = {}
        self.value_marks: dict[Path_, Mark] = {}
        self.constructor = yaml.constructor.SafeConstructor()
        self.own_keys = _own_keys(root)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.value_marks[path] = _mark(self.file, node)
        if isinstance(node, yaml.MappingNode):
            # `<<: *anchor` merge keys, as the safe loader would do them
            self.constructor.flatten_mapping(node)
            out: dict[Any, Any] = {}
            written: set[Any] = set()  # keys this mapping writes itself: these must not repeat
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ConfigError([Problem(_mark(self.file, key_node), "a mapping key must be a plain scalar")])
                key = self.constructor.construct_object(key_node)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    key = str(key)
                own = (id(node), id(key_node)) in self.own_keys
                if key in out and not (own and key in written):
                    # a merged key yields to a later one (flatten_mapping puts merged keys first,
                    # the mapping's own last), as in every YAML loader: forget the merged one
                    for marks in (self.key_marks, self.value_marks):
                        for stale in [p for p in marks if p[: len(path) + 1] == path + (key,)]:
                            del marks[stale]
                elif key in out:
                    first = self.key_marks[path + (key,)]
                    raise ConfigError(
                        [
                            Problem(
                                _mark(self.file, key_node),
                                f"duplicate key '{key}' (first defined at line {first.line}); remove one of them",
                            )
                        ]
                    )
                if own:
                    written.add(key)
                self.key_marks[path + (key,)] = _mark(self.file, key_node)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)


def parse_yaml_text(text: str, file: str) -> SourceDoc:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(file, mark.line + 1, mark.column + 1) if mark else Mark(file, 1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([Problem(where, f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(Mark(file, 1, 1), f"invalid YAML: {exc}")]) from None
    if node is None:
        raise ConfigError([Problem(Mark(file, 1, 1), "the file is empty; expected a YAML mapping")])
    builder = _Builder(file, node)
    data = builder.build(node, ())
    return SourceDoc(file, data, builder.key_marks, builder.value_marks)


def load_yaml_file(path: Path, shown_as: str | None = None) -> SourceDoc:
    shown = shown_as or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem(Mark(shown, 1, 1), "file not found")]) from None
    except IsADirectoryError:
        raise ConfigError([Problem(Mark(shown, 1, 1), "is a directory; expected a YAML file")]) from None
    except OSError as exc:
        raise ConfigError([Problem(Mark(shown, 1, 1), f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # in characters, as an editor (and every other mark here) counts them, not bytes
        col = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise ConfigError([Problem(Mark(shown, line, col), "not valid UTF-8; save the file as UTF-8")]) from None
    return parse_yaml_text(text, shown)
