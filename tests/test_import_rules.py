"""Imports point one way, as DESIGN.md's pipeline and folder table say: feeds -> store -> scenes ->
widget view-models -> painters -> compositor -> outputs, with the config read by all.

Read from the source with an AST walk (nothing is imported): every import counts, including those
inside functions, since a lazy import is the usual way a cycle hides. The layers below are the
design written as data; a new module must find its place in them (the test says which it lacks).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("wall", "feeds")

# wall's modules from the bottom up: a module may import its own layer and the layers below it,
# never one above. A prefix names a module and everything inside it; the longest prefix wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base: pure numbers, words and errors; memory given back",
        (
            "wall.errors",
            "wall.assets",
            "wall.geometry",
            "wall.calendar_names",
            "wall.numbers",
            "wall.colors",
            "wall.figure_windows",
            "wall.contrast",
            "wall.config.base",
            "wall.config.errors",
            "wall.config.yaml_source",
            "wall.config.syntax",
            "wall.memory",
        ),
    ),
    ("layout: zones of the canvas", ("wall.layout",)),
    ("painters: skia helpers", ("wall.paint",)),
    ("pictures: web pictures fetched into the disk cache painters read", ("wall.pictures",)),
    ("painters: each widget's views and painter, all a paint worker loads", ("wall.painters",)),
    ("widgets: options and view-model builders", ("wall.widgets",)),
    ("config: schema and loading", ("wall.config",)),
    ("store: feeds' data and health", ("wall.store", "wall.background_writer")),
    ("moderation", ("wall.moderation",)),
    ("scenes: director, schedule, alerts, views", ("wall.scenes",)),
    ("render: engine, compositor, paint workers", ("wall.render",)),
    ("outputs: windows and kiosks", ("wall.outputs",)),
    ("checks: what `wallctl check` paints", ("wall.checks",)),
    (
        "the programs: runtime, live wall, a room's hub and nodes, control API, CLI, tools",
        (
            "wall.runtime",
            "wall.room",
            "wall.live",
            "wall.control",
            "wall.cli",
            "wall.bench",
            "wall.soak",
            "wall.process_bench",
            "wall.installer",
            "wall.doctor",
            "wall.deploy",
        ),
    ),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(importer: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _project_module(name: str) -> str | None:
    """The project module an import names (the longest dotted prefix that is one), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _imports(module: str, path: Path) -> dict[str, int]:
    """Project modules `module` imports -> the line of the first import."""
    out: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            # `from pkg import sub` imports the submodule when there is one
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for name in names:
            target = _project_module(name)
            if target is not None and target != module:
                out.setdefault(target, node.lineno)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    return best[1] if best is not None else None


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def test_feeds_never_import_wall():
    bad = [
        f"{_where(m, line)} imports {t}"
        for m, deps in GRAPH.items()
        if m.startswith("feeds")
        for t, line in deps.items()
        if t.startswith("wall")
    ]
    assert not bad, "feeds/ must not depend on wall/:\n" + "\n".join(bad)


def test_every_wall_module_has_a_layer():
    missing = [m for m in MODULES if m.startswith("wall.") and _layer(m) is None]
    assert not missing, f"add these modules to LAYERS (the design's place for them): {missing}"


def test_imports_point_down_the_layers():
    bad = []
    for module, deps in GRAPH.items():
        own = _layer(module)
        if own is None:
            continue
        for target, line in deps.items():
            theirs = _layer(target)
            if theirs is not None and theirs > own:
                bad.append(
                    f"{_where(module, line)}: {module} ({LAYERS[own][0]}) imports {target} ({LAYERS[theirs][0]})"
                )
    assert not bad, "imports against the pipeline's direction:\n" + "\n".join(bad)


def test_no_import_cycles():
    # Tarjan's strongly connected components: any component of more than one module is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not cycles, "modules that import each other (directly or round a loop): " + "; ".join(
        " <-> ".join(c) for c in cycles
    )


def _registered_widgets() -> set[str]:
    """Each registered widget's two modules: wall.widgets.<name> and wall.painters.<name>."""
    tree = ast.parse((ROOT / "wall" / "painters" / "registry.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("WIDGETS", "INTERNAL") for t in node.targets
        ):
            names |= {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    return {f"wall.{side}.{name}" for name in names for side in ("widgets", "painters")}


def test_a_widget_is_not_a_library_for_other_widgets():
    """Shared helpers live in wall/paint/ or a module of widgets/ or painters/ that is no widget
    (base, motion, emoji), so adding or changing a widget touches its own two files and its
    registration only. A widget's builder imports its own painter's module and no other."""
    widgets = _registered_widgets()
    assert len(widgets) > 20
    bad = [
        f"{_where(m, line)}: {m} imports the widget {t}"
        for m in widgets
        for t, line in GRAPH[m].items()
        if t in widgets and t != m.replace("wall.widgets.", "wall.painters.")
    ]
    assert not bad, "shared helpers belong in wall/paint/ or a non-widget module:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", ["wall.layout", "wall.geometry", "wall.config.syntax"])
def test_the_pure_modules_reach_no_painter_and_no_schema(module):
    """What importing them loads, transitively: no skia (painters), no widget, no pydantic schema."""
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(GRAPH[m])
    heavy = sorted(m for m in seen if m.startswith(("wall.widgets", "wall.paint", "wall.config.schema")))
    assert not heavy, f"{module} pulls in {heavy}"
