"""The shape of app/'s imports (issue 20): no two packages import each other, no cycle among the
packages below the pages, nothing below the pages imports a page, and imports inside functions
only where the app is wired together (the factory, the command line).

The rules go by names, not by a list of today's files: a package is `app.<name>` (a top-level
module such as app/errors.py is one too), a page module is any module of a feature package named
`views`, `views_*` or `*_views` or inside a `views/` folder, and the command line is any `cli`.
The source is read with `ast` (nothing is imported), so a failure names the file and line of every
import to change.
"""
import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple, Optional

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
FACTORY = "app"  # app/__init__.py: create_app imports every blueprint inside the function

PAGE = re.compile(r"^(views|views_\w+|\w+_views)$")
CLI = "cli"
# Modules below the pages: they must never import a page (views) module.
BELOW_PAGES = {"services", "reads", "models", "forms", "notify", "jobs"}


class Import(NamedTuple):
    source: str  # the importing module, e.g. app.shop.views_counter
    target: str  # the imported module, e.g. app.ledger.settlement
    path: Path
    line: int
    text: str
    function: Optional[str]  # the function it sits in, None at module level

    def where(self) -> str:
        inside = f"  (inside {self.function}())" if self.function else ""
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.text}{inside}"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(APP.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str:
    """The module `name` is, or the module that defines it (app.errors.DomainError -> app.errors)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _targets(module: str, node: ast.AST, package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module if package else module.rsplit(".", 1)[0]
    if node.level:
        base = ".".join(base.split(".")[: len(base.split(".")) - node.level + 1])
        stem = f"{base}.{node.module}" if node.module else base
    else:
        stem = node.module or ""
    return [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem
            for alias in node.names]


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(test)


def _imports() -> list[Import]:
    found = []
    for module, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()

        def walk(node, function):
            for child in ast.iter_child_nodes(node):
                if _type_checking(child):
                    continue
                inside = function
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    inside = child.name
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(module, child, path.name == "__init__.py"):
                        if target == "app" or target.startswith("app."):
                            found.append(Import(module, _resolve(target), path, child.lineno,
                                                lines[child.lineno - 1].strip(), function))
                walk(child, inside)

        walk(ast.parse(source, str(path)), None)
    return found


IMPORTS = _imports()


def package(module: str) -> str:
    """app.ledger.views.points -> app.ledger; app.errors -> app.errors."""
    return ".".join(module.split(".")[:2])


def is_page(module: str) -> bool:
    """A page (views) module of a feature package; app/views_util.py is the views' shared helpers."""
    return any(PAGE.match(part) for part in module.split(".")[2:])


def is_cli(module: str) -> bool:
    return CLI in module.split(".")[1:]


def is_below_pages(module: str) -> bool:
    return not is_page(module) and bool(BELOW_PAGES & set(module.split(".")[1:]))


def _edges(keep) -> dict[tuple[str, str], list[Import]]:
    edges = defaultdict(list)
    for found in IMPORTS:
        a, b = package(found.source), package(found.target)
        if a != b and FACTORY not in (found.source, found.target) and keep(found):
            edges[(a, b)].append(found)
    return edges


def _hangs_pages_on_a_blueprint(found: Import) -> bool:
    """A page importing another package itself (its __init__: the blueprint) to hang its pages
    on it, so their endpoints keep that blueprint's name."""
    return is_page(found.source) and found.target == package(found.target) \
        and MODULES[found.target].name == "__init__.py"


def _sites(imports: list[Import], limit: int = 4) -> str:
    shown = "\n".join(f"      {i.where()}" for i in imports[:limit])
    more = f"\n      ... and {len(imports) - limit} more" if len(imports) > limit else ""
    return shown + more


def _cycles(edges) -> list[tuple[list[str], list[str]]]:
    """One cycle through each strongly connected group of packages (Tarjan), as a path a -> ... -> a,
    with the whole group."""
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for group in groups:  # the shortest way back to the group's first package (breadth first)
        start = min(group)
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            nexts = sorted(graph[path[-1]] & group)
            if start in nexts:
                cycles.append((path + [start], sorted(group)))
                break
            for w in nexts:
                if w not in seen:
                    seen.add(w)
                    paths.append(path + [w])
    return cycles


def test_no_two_packages_import_each_other():
    edges = _edges(lambda found: not _hangs_pages_on_a_blueprint(found))
    problems = []
    for (a, b), there in sorted(edges.items()):
        if a < b and (b, a) in edges:
            problems.append(f"  {a} <-> {b}\n    {a} -> {b}:\n{_sites(there)}\n"
                            f"    {b} -> {a}:\n{_sites(edges[(b, a)])}")
    assert not problems, (
        "These packages import each other. Move what both sides need down (to app/models, "
        "app/dates.py, app/pagination.py, a small module of its own...) so that only one imports "
        "the other:\n" + "\n".join(problems))


def test_no_package_cycle_below_the_pages():
    # Pages (views) and the command line sit on top and may use any package; what they use must
    # not go round in a circle.
    edges = _edges(lambda found: not is_page(found.source) and not is_cli(found.source))
    problems = []
    for cycle, group in _cycles(edges):
        steps = "\n".join(f"    {a} -> {b}:\n{_sites(edges[(a, b)], 2)}"
                          for a, b in zip(cycle, cycle[1:]))
        problems.append(f"  {' -> '.join(cycle)}   (in one circle: {', '.join(group)})\n{steps}")
    assert not problems, (
        "A cycle among the packages below the pages (views and cli left out). Cut one of its "
        "imports by moving what it needs down:\n" + "\n".join(problems))


def test_nothing_below_the_pages_imports_a_page():
    wrong = [found for found in IMPORTS
             if is_below_pages(found.source) and is_page(found.target)]
    assert not wrong, (
        "services, reads, models, forms, notify and jobs modules must never import a views "
        "module (move what they need out of the page):\n" + _sites(wrong, len(wrong)))


def test_imports_inside_functions_only_where_the_app_is_wired():
    wrong = [found for found in IMPORTS
             if found.function and found.source != FACTORY and not is_cli(found.source)]
    assert not wrong, (
        "Imports of app modules inside functions (they hide package cycles; only app/__init__.py's "
        "factory and the cli modules may defer imports): lift each to the top of its module, "
        "moving what makes a cycle down first:\n" + _sites(wrong, len(wrong)))


def test_the_rules_see_the_tree():
    # The rules above go by names: make sure those names still find what they mean.
    assert len(MODULES) > 100 and len(IMPORTS) > 500
    assert {"app.errors", "app.ledger", "app.access", "app.models"} <= {package(m) for m in MODULES}
    assert any(is_page(m) for m in MODULES) and any(is_below_pages(m) for m in MODULES)
    assert not is_page("app.views_util") and is_page("app.ledger.views.points")
    assert is_page("app.shop.views_counter") and is_page("app.accounts.views.backups")
    assert is_below_pages("app.ledger.services") and is_below_pages("app.models.ledger")
    assert is_below_pages("app.shop.cards.services") and not is_below_pages("app.shop.cards.views.pin")
