"""The imports between irflow's packages: no cycles, and the layers import downwards only.

Every module under irflow/ is parsed (nothing is imported), and each import, also one
inside a function, becomes an edge between the top-level packages or modules involved
(irflow.web, irflow.models, irflow.auth, irflow.i18n, ...). Imports under
`if TYPE_CHECKING:` are left out: they never run. The root package `irflow` (create_app)
is the composition root: it wires every package together and is no importer here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import irflow

PACKAGE_DIR = Path(irflow.__file__).parent
ROOT = "irflow"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    """The top-level package or module `module` belongs to: irflow.auth.routes -> irflow.auth."""
    return ".".join(module.split(".")[:2])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST):
    """Every import statement that can run, in functions too, but not under TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _runtime_imports(ast.Module(body=[child], type_ignores=[]))
            continue
        yield from _runtime_imports(node)


def _imported_modules(node: ast.Import | ast.ImportFrom, package: str, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    # `from .. import web`: the name may itself be a module.
    return [target] + [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known]


def import_edges() -> dict[tuple[str, str], list[str]]:
    """(importer unit, imported unit) -> where: "irflow/x/y.py:12 imports irflow.z.w"."""
    paths = {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}
    edges = defaultdict(list)
    for module, path in paths.items():
        if module == ROOT:
            continue  # the composition root
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _runtime_imports(tree):
            for target in _imported_modules(node, package, set(paths)):
                if target == ROOT or not target.startswith(ROOT + "."):
                    continue
                importer, imported = _unit(module), _unit(target)
                if importer != imported:
                    where = f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno} imports {target}"
                    if where not in edges[importer, imported]:
                        edges[importer, imported].append(where)
    return dict(edges)


def strongly_connected(edges) -> list[list[str]]:
    """Tarjan's algorithm: the groups of units that reach each other (size > 1 = a cycle)."""
    graph = defaultdict(set)
    for importer, imported in edges:
        graph[importer].add(imported)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(unit):
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        on_stack.add(unit)
        for other in sorted(graph[unit]):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in on_stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == unit:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for unit in sorted(set(graph) | {target for targets in graph.values() for target in targets}):
        if unit not in index:
            visit(unit)
    return groups


def _describe(groups, edges) -> str:
    lines = []
    for group in groups:
        lines.append("cycle among " + ", ".join(group) + ":")
        for (importer, imported), places in sorted(edges.items()):
            if importer in group and imported in group:
                lines.append(f"  {importer} -> {imported}")
                lines.extend(f"      {place}" for place in places)
    return "\n".join(lines)


def test_no_import_cycles_between_packages():
    edges = import_edges()
    cycles = strongly_connected(edges)
    assert not cycles, "import cycles between irflow's packages:\n" + _describe(cycles, edges)


def test_a_cycle_is_found_and_named():
    """The detector itself: a made-up cycle through three units is reported with its edges."""
    edges = {
        ("irflow.a", "irflow.b"): ["a.py:1"],
        ("irflow.b", "irflow.c"): ["b.py:2"],
        ("irflow.c", "irflow.a"): ["c.py:3"],
    }
    edges[("irflow.c", "irflow.d")] = ["c.py:4"]
    assert strongly_connected(edges) == [["irflow.a", "irflow.b", "irflow.c"]]
    assert "c.py:3" in _describe(strongly_connected(edges), edges)


def blueprint_packages() -> set[str]:
    return {
        f"{ROOT}.{init.parent.name}"
        for init in PACKAGE_DIR.glob("*/__init__.py")
        if "Blueprint(" in init.read_text(encoding="utf-8")
    }


def test_blueprint_packages_are_found():
    assert {"irflow.auth", "irflow.admin", "irflow.calls", "irflow.applications"} <= blueprint_packages()


def _imports_of(unit: str, forbidden: set[str]) -> list[str]:
    return [
        place
        for (importer, imported), places in sorted(import_edges().items())
        if importer == unit and imported in forbidden
        for place in places
    ]


def test_models_import_no_workflow_web_or_blueprint():
    assert _imports_of("irflow.models", {"irflow.workflow", "irflow.web", *blueprint_packages()}) == []


def test_workflow_imports_no_web_or_blueprint():
    assert _imports_of("irflow.workflow", {"irflow.web", *blueprint_packages()}) == []


def test_services_import_no_web_or_blueprint():
    assert _imports_of("irflow.services", {"irflow.web", *blueprint_packages()}) == []


def test_web_imports_no_blueprint():
    assert _imports_of("irflow.web", blueprint_packages()) == []
