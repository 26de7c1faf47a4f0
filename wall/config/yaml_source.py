"""YAML documents that remember where every key and value came from, read within bounds.

pyyaml's safe loader throws positions away once it has built Python objects, yet every config
error must name file:line:column. So we compose the node tree ourselves and build plain
dicts/lists/scalars next to a map from "path" (the tuple of keys and indexes pydantic reports as
`loc`) to the position of that node. Duplicate keys, which pyyaml silently lets win, are errors
here: in a wall config the second `clock:` silently replacing the first is a bug, not a feature.

Reading is bounded, so a hostile or broken file is a config error in a fraction of a second, never
a wall that grows without end on a hot reload: the document's size (MAX_BYTES), its nesting
(MAX_DEPTH), its values once aliases are expanded (MAX_NODES) and the aliases expanded in all
(MAX_ALIASES, counting those inside what an alias brings in: a "billion laughs" bomb of nine
aliases of nine aliases... stops at the alias that crosses it, named by file:line:column). Every
number is finite (`.inf` and `.nan` are errors), and a value pyyaml cannot build (an unknown tag, a
date that does not exist) is an error at its position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .errors import ConfigError, Mark, Problem

Path_ = tuple[str | int, ...]

# A wall config is a few kilobytes (config/demo.yaml: 6.5 KiB, about 700 values). These bounds
# are two orders of magnitude above any real wall, and keep the worst file a few seconds of work.
MAX_BYTES = 512 * 1024  # the document's size
MAX_DEPTH = 64  # mappings and lists inside each other (a real config nests about 8 deep)
MAX_NODES = 50_000  # values in the document, each copy an alias makes counted
MAX_ALIASES = 1_000  # `*alias` uses expanded, in all, those inside an alias's value counted each time


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


def _at(file: str, mark: Any) -> Mark:
    return Mark(file, mark.line + 1, mark.column + 1)


def _mark(file: str, node: yaml.Node) -> Mark:
    return _at(file, node.start_mark)


def _error(mark: Mark, message: str) -> ConfigError:
    return ConfigError([Problem(mark, message)])


def _short(text: Any, most: int = 40) -> str:
    text = str(text)
    return text if len(text) <= most else text[: most - 1] + "…"


_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"


class _Alias(NamedTuple):
    """Where an `*alias` is written, and the anchor it names."""

    mark: Mark
    name: str


class _Composer(yaml.SafeLoader):
    """pyyaml's composer, bounded in depth and size, noting where each alias is written (the node
    an alias stands for is the anchored one, whose position is the anchor's, not the alias's)."""

    def __init__(self, text: str, file: str):
        super().__init__(text)
        self.file = file
        self.depth = 0
        self.count = 0
        # (id of the parent node, the child's slot: its index, or the id of its key node) -> alias
        self.aliases: dict[tuple[int, int], _Alias] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # an undefined alias is pyyaml's error
            if parent is not None and index is not None:
                slot = index if isinstance(index, int) else id(index)
                self.aliases[(id(parent), slot)] = _Alias(_at(self.file, event.start_mark), str(event.anchor))
            return node
        self.count += 1
        if self.count > MAX_NODES:
            raise _error(
                _at(self.file, event.start_mark),
                f"the document holds more than {MAX_NODES} values; a wall config is far smaller: "
                "is this the right file?",
            )
        nested = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        if nested:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _error(
                    _at(self.file, event.start_mark),
                    f"mappings and lists are nested more than {MAX_DEPTH} deep here; "
                    "a wall config needs about 8 levels: close the brackets or fix the indentation",
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self.depth -= 1


class _Entry(NamedTuple):
    key_node: yaml.Node
    value_node: yaml.Node
    owner: yaml.Node  # the mapping that writes this pair (where its alias, if any, was noted)
    merged: _Alias | None  # the `<<: *alias` that brought it in, if it was merged


class _Builder:
    def __init__(self, file: str, aliases: dict[tuple[int, int], _Alias]):
        self.file = file
        self.aliases = aliases
        self.key_marks: dict[Path_, Mark] = {}
        self.value_marks: dict[Path_, Mark] = {}
        self.constructor = yaml.constructor.SafeConstructor()
        self.built = 0  # values built, each copy an alias makes counted
        self.expanded = 0  # aliases followed
        self.open: set[int] = set()  # nodes being built (an alias inside its own anchor is a cycle)
        self.merging: set[int] = set()
        self._entries: dict[int, dict[Any, _Entry]] = {}

    # -- bounds

    def _expand(self, alias: _Alias, via: _Alias | None) -> _Alias:
        """Count one alias expansion; the alias to name in errors from here down (the outermost)."""
        self.expanded += 1
        outer = via or alias
        if self.expanded > MAX_ALIASES:
            raise _error(
                outer.mark,
                f"YAML aliases are expanded more than {MAX_ALIASES} times in this document (at *{outer.name}: "
                "aliases inside an anchored value count again at every copy; nested like this they "
                "grow without bound, a 'billion laughs'); write the repeated values out, or anchor "
                "smaller values that hold no aliases",
            )
        return outer

    def _count(self, node: yaml.Node, via: _Alias | None, depth: int) -> None:
        self.built += 1
        if self.built > MAX_NODES:
            if via is not None:
                raise _error(
                    via.mark,
                    f"with its aliases expanded the document holds more than {MAX_NODES} values "
                    f"(at *{via.name}); write the repeated values out, or alias smaller ones",
                )
            raise _error(_mark(self.file, node), f"the document holds more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            where = via.mark if via is not None else _mark(self.file, node)
            raise _error(
                where,
                f"with its aliases expanded, mappings and lists are nested more than {MAX_DEPTH} deep "
                f"here{f' (at *{via.name})' if via is not None else ''}; alias values that hold fewer aliases",
            )

    # -- scalars

    def scalar(self, node: yaml.Node) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            what = exc.problem or exc.context or "it cannot be read"
            raise _error(_mark(self.file, node), f"invalid YAML value: {what}; quote it if it is text") from None
        except Exception as exc:  # a timestamp that is no date, an integer of 5000 digits...
            shown = _short(node.value)
            if node.tag == "tag:yaml.org,2002:int":
                why = f"{len(str(node.value))} digits: no setting takes a number that large"
            else:
                why = str(exc)
            raise _error(
                _mark(self.file, node), f"'{shown}' cannot be read as a YAML value ({why}); quote it if it is text"
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise _error(
                _mark(self.file, node),
                f"'{_short(node.value)}' is not a finite number; every number in a wall config is finite",
            )
        return value

    def key(self, key_node: yaml.Node) -> Any:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _error(_mark(self.file, key_node), "a mapping key must be a plain scalar")
        if key_node.tag == _VALUE_TAG:  # `=`, the YAML 1.1 value key: a plain string, as pyyaml reads it
            return key_node.value
        key = self.scalar(key_node)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            key = str(key)
        return key

    # -- mappings

    def entries(self, node: yaml.MappingNode) -> dict[Any, _Entry]:
        """The mapping's pairs by key, `<<:` merges resolved as every YAML loader does (a key the
        mapping writes itself wins over a merged one; of several merged, the earlier-listed wins),
        without touching the node tree (a node aliased elsewhere is merged again there)."""
        done = self._entries.get(id(node))
        if done is not None:
            return done
        if id(node) in self.merging:
            raise _error(_mark(self.file, node), "this mapping merges itself (`<<:`); merge another one")
        self.merging.add(id(node))
        merged: dict[Any, _Entry] = {}
        own: dict[Any, _Entry] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                alias = self.aliases.get((id(node), id(key_node)))
                if isinstance(value_node, yaml.MappingNode):
                    sources = [(value_node, alias)]
                elif isinstance(value_node, yaml.SequenceNode):
                    sources = [(sub, self.aliases.get((id(value_node), i))) for i, sub in enumerate(value_node.value)]
                    sources.reverse()  # the earlier-listed mapping wins
                else:
                    raise _error(
                        _mark(self.file, value_node),
                        "`<<:` merges a mapping or a list of mappings (e.g. `<<: *panel`); found a "
                        f"{'scalar' if isinstance(value_node, yaml.ScalarNode) else value_node.id}",
                    )
                for sub, sub_alias in sources:
                    if not isinstance(sub, yaml.MappingNode):
                        raise _error(_mark(self.file, sub), "`<<:` merges mappings only; this is not a mapping")
                    via = alias or sub_alias
                    for key, entry in self.entries(sub).items():
                        self.built += 1  # merging is work too: bounded with the values built
                        if self.built > MAX_NODES:
                            raise _error(
                                (via.mark if via is not None else _mark(self.file, sub)),
                                f"with its merges (`<<:`) expanded the document holds more than {MAX_NODES} "
                                "values; merge smaller mappings",
                            )
                        merged[key] = entry._replace(merged=via or entry.merged)
                continue
            key = self.key(key_node)
            if key in own:
                first = _mark(self.file, own[key].key_node)
                raise _error(
                    _mark(self.file, key_node),
                    f"duplicate key '{key}' (first defined at line {first.line}); remove one of them",
                )
            own[key] = _Entry(key_node, value_node, node, None)
        self.merging.discard(id(node))
        result = merged
        result.update(own)  # a merged key keeps its place (it came first), the mapping's own value wins
        self._entries[id(node)] = result
        return result

    # -- the tree

    def child(self, parent: yaml.Node, slot: int, node: yaml.Node, path: Path_, via: _Alias | None) -> Any:
        alias = self.aliases.get((id(parent), slot))
        if alias is not None:
            if id(node) in self.open:
                raise _error(
                    alias.mark,
                    f"alias *{alias.name} is used inside the value of its own anchor &{alias.name}, "
                    "which would make it endless; refer to it from outside that value",
                )
            via = self._expand(alias, via)
        return self.build(node, path, via)

    def build(self, node: yaml.Node, path: Path_, via: _Alias | None = None) -> Any:
        self._count(node, via, len(path))
        self.value_marks[path] = _mark(self.file, node)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                out: dict[Any, Any] = {}
                merges: set[_Alias] = set()
                for key, entry in self.entries(node).items():
                    inner = via
                    if entry.merged is not None:
                        if entry.merged not in merges:  # one `<<: *alias` is one expansion, however many keys
                            merges.add(entry.merged)
                            self._expand(entry.merged, via)
                        inner = via or entry.merged
                    self.key_marks[path + (key,)] = _mark(self.file, entry.key_node)
                    out[key] = self.child(entry.owner, id(entry.key_node), entry.value_node, path + (key,), inner)
                return out
            return [self.child(node, i, item, path + (i,), via) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))


def _reader_mark(text: str, file: str, position: int) -> Mark:
    line = text.count("\n", 0, position) + 1
    return Mark(file, line, position - (text.rfind("\n", 0, position) + 1) + 1)


def parse_yaml_text(text: str, file: str) -> SourceDoc:
    if len(text) > MAX_BYTES:
        raise _error(
            Mark(file, 1, 1),
            f"the document is {len(text) // 1024} KiB; a wall config is at most {MAX_BYTES // 1024} KiB "
            "(config/demo.yaml is 7 KiB): is this the right file?",
        )
    composer = None
    try:
        composer = _Composer(text, file)  # reading the text checks its characters
        node = composer.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _at(file, mark) if mark else Mark(file, 1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        raise _error(where, f"invalid YAML: {what}") from None
    except yaml.reader.ReaderError as exc:
        what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise _error(
            _reader_mark(text, file, exc.position),
            f"invalid YAML: the character {what} is not allowed in YAML; remove it",
        ) from None
    except yaml.YAMLError as exc:
        raise _error(Mark(file, 1, 1), f"invalid YAML: {exc}") from None
    finally:
        if composer is not None:
            composer.dispose()
    if node is None:
        raise _error(Mark(file, 1, 1), "the file is empty; expected a YAML mapping")
    builder = _Builder(file, composer.aliases)
    data = builder.build(node, ())
    return SourceDoc(file, data, builder.key_marks, builder.value_marks)


def load_yaml_file(path: Path, shown_as: str | None = None) -> SourceDoc:
    shown = shown_as or str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)  # never more: a file of gigabytes is refused unread
    except FileNotFoundError:
        raise _error(Mark(shown, 1, 1), "file not found") from None
    except IsADirectoryError:
        raise _error(Mark(shown, 1, 1), "is a directory; expected a YAML file") from None
    except OSError as exc:
        raise _error(Mark(shown, 1, 1), f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise _error(
            Mark(shown, 1, 1),
            f"the file is over {MAX_BYTES // 1024} KiB, the most a wall config may be "
            "(config/demo.yaml is 7 KiB): is this the right file?",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # in characters, as an editor (and every other mark here) counts them, not bytes
        col = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise _error(Mark(shown, line, col), "not valid UTF-8; save the file as UTF-8") from None
    return parse_yaml_text(text, shown)
