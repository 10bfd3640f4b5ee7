"""The architecture's arrows, kept honest by parsing imports (like httpx's exported-members test).

Layers, lowest first; a module may import from its own layer or one below, never from above:

    0 models, errors
    1 read, mapping, rules
    2 plan, api, journal, output, report
    3 engine
    4 runner, and the other jobs end to end: cohort (with cohort_poll, cohort_rows), account
    5 watch
    6 cli
    7 csv_enrich/__init__.py, __main__.py

Every module of every package is checked, and every import counts: at the top of a module, inside
a function (a lazy import is still a dependency, only a later one, and hiding a circle in a
function is exactly the trick this test must catch), and under `if TYPE_CHECKING:` (a type-only
import still means the module knows the other's design; a circle of them breaks at import time the
day one of them is needed at runtime, and the remedy, a Protocol in the lower module, costs
nothing). No circle is allowed between modules, nor between packages (two packages of one layer
that import each other, even through different modules, are one tangle; and importing any module
of a package runs its `__init__`, which imports the rest).

The sandbox imports nothing from the rest of the package: the wire format is written twice on
purpose, so a wrong assumption in the client fails a test instead of being mirrored by the fake.
Only the CLI (for --sandbox) imports the sandbox.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "csv_enrich"
SCRIPT_FOLDERS = (REPO / "samples", REPO / "benchmarks")

LAYERS = {
    "models": 0, "errors": 0,
    "read": 1, "mapping": 1, "rules": 1,
    "plan": 2, "api": 2, "journal": 2, "output": 2, "report": 2,
    "engine": 3,
    "runner": 4, "cohort": 4, "account": 4,
    "watch": 5,
    "cli": 6,
    "__main__": 7, "": 7,  # "" is csv_enrich/__init__.py
}
SANDBOX = "sandbox"
SANDBOX_USERS = {"cli"}


@dataclass(frozen=True)
class Import:
    """One import statement's target inside the package: where it is and how it runs."""

    source: str  # dotted module name, e.g. "csv_enrich.output.write"
    target: str  # a module (or package __init__) of csv_enrich
    line: int
    how: str  # "top", "lazy" (inside a function) or "typing" (under `if TYPE_CHECKING:`)

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line}, {self.how})"


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a file under `root`'s parent: `pkg/a/__init__.py` is `pkg.a`."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package and its subpackages, by dotted name."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _marked(tree: ast.AST) -> tuple[set[int], set[int]]:
    """The ids of nodes under `if TYPE_CHECKING:` and of nodes inside a function body."""
    typing, lazy = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lazy |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return typing, lazy


def _base(source: str, is_package: bool, level: int) -> list[str]:
    """The package a relative import of `level` dots starts from."""
    parts = source.split(".") if is_package else source.split(".")[:-1]
    return parts[: len(parts) - (level - 1)]


def imports_of(source: str, path: Path, known: Iterable[str]) -> list[Import]:
    """The package-internal imports of one module (names of `known` modules resolved: `from pkg
    import mod` targets `pkg.mod` when that is a module, else `pkg`'s `__init__`)."""
    known, top = set(known), source.split(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing, lazy = _marked(tree)
    found: list[Import] = []
    for node in ast.walk(tree):
        how = "typing" if id(node) in typing else "lazy" if id(node) in lazy else "top"
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = _base(source, path.name == "__init__.py", node.level)
                module = ".".join([*base, *([module] if module else [])])
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module
                       for a in node.names]
        found += [Import(source, t, node.lineno, how) for t in targets
                  if t == top or t.startswith(top + ".")]
    return found


@cache
def all_imports(root: Path = PACKAGE) -> tuple[Import, ...]:
    """Every package-internal import of every module under `root` (read once per root)."""
    found = modules(root)
    return tuple(i for name, path in found.items() for i in imports_of(name, path, found))


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node, or of one node with an edge to
    itself (Tarjan's algorithm, iterative), each sorted; empty when the graph is acyclic."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, rest = work[-1]
            nxt = next(rest, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    found.append(sorted(component))
    return found


def graph(imports: Iterable[Import], key: object = None) -> dict[str, set[str]]:
    """Source -> targets; with key=package, the graph between top-level packages instead."""
    edges: dict[str, set[str]] = {}
    for i in imports:
        source, target = (package(i.source), package(i.target)) if key else (i.source, i.target)
        if source != target:
            edges.setdefault(source, set()).add(target)
    return edges


def package(module: str) -> str:
    """The top-level package or module of csv_enrich a dotted name belongs to ("" for the root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def circle_report(circle: list[str], imports: Iterable[Import], *, by_package: bool) -> str:
    """The circle and the imports that tie it."""
    members = set(circle)
    name = package if by_package else (lambda m: m)
    ties = sorted({str(i) for i in imports if name(i.source) in members
                   and name(i.target) in members and name(i.source) != name(i.target)})
    return " <-> ".join(circle) + ":\n  " + "\n  ".join(ties)


# -- the house's rules ---------------------------------------------------------------------------


def layer(name: str) -> int | None:
    """The layer of a top-level module or package; `cohort_rows` sits with `cohort`."""
    for stem, level in LAYERS.items():
        if name == stem or (stem and name.startswith(stem + "_")):
            return level
    return None


def test_every_module_has_a_layer() -> None:
    """Each top-level module and package (but the sandbox) is placed in LAYERS."""
    missing = {package(m) for m in modules() if layer(package(m)) is None} - {SANDBOX}
    assert not missing, f"no layer for {sorted(missing)}: add them to LAYERS in this test"


def test_imports_point_down() -> None:
    """No module, in any package, imports one of a higher layer (lazily or for types either)."""
    upward = [str(i) for i in all_imports() if SANDBOX not in (package(i.source), package(i.target))
              and (layer(package(i.target)) or 0) > (layer(package(i.source)) or 0)]
    assert upward == [], "imports from a higher layer:\n" + "\n".join(upward)


def test_no_import_circles_between_modules() -> None:
    """The graph of every import between modules (top-level, lazy and type-only) has no circle."""
    imports = all_imports()
    found = [circle_report(c, imports, by_package=False) for c in cycles(graph(imports))]
    assert found == [], "import circles:\n" + "\n".join(found)


def test_no_import_circles_between_packages() -> None:
    """Packages of one layer do not import each other round in a circle either."""
    imports = all_imports()
    found = [circle_report(c, imports, by_package=True) for c in cycles(graph(imports, package))]
    assert found == [], "import circles between packages:\n" + "\n".join(found)


def test_no_import_circles_between_scripts() -> None:
    """The scripts of samples/ and benchmarks/, which import their neighbours by file name, do
    not import each other round in a circle either (a shared base module instead)."""
    folders = sorted({p.parent for root in SCRIPT_FOLDERS for p in root.rglob("*.py")})
    found = [f"{folder.relative_to(REPO)}: {circle}" for folder in folders
             for circle in cycles(script_imports(folder))]
    assert found == [], "import circles between scripts:\n" + "\n".join(found)


def script_imports(folder: Path) -> dict[str, set[str]]:
    """Script name -> the scripts of the same folder it imports (anywhere in it)."""
    names = {p.stem for p in folder.glob("*.py")}
    edges: dict[str, set[str]] = {}
    for name in names:
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        found = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names}
        found |= {n.module.split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        edges[name] = found & names - {name}
    return edges


def test_sandbox_shares_no_code_with_the_client() -> None:
    """Nothing under csv_enrich/sandbox imports from the rest of csv_enrich, and only the CLI
    imports the sandbox."""
    imports = all_imports()
    out = [str(i) for i in imports if package(i.source) == SANDBOX != package(i.target)]
    assert out == [], "the sandbox imports from the rest:\n" + "\n".join(out)
    users = {package(i.source) for i in imports if package(i.target) == SANDBOX} - {SANDBOX}
    assert users <= SANDBOX_USERS, f"{sorted(users - SANDBOX_USERS)} import the sandbox"


def test_each_package_names_what_it_offers() -> None:
    """Every subpackage's `__init__` has a docstring naming each of its modules (`name` or
    name.py) and an `__all__` of names it really imports."""
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        unnamed = sorted(p.stem for p in init.parent.glob("*.py")
                         if p.stem != "__init__"
                         and not re.search(rf"`{p.stem}[`.]|\b{p.stem}\.py\b", doc))
        assert not unnamed, f"{init.parent.name}/__init__.py does not name {unnamed}"
        exported = _all_names(tree)
        assert exported, f"{init.parent.name}/__init__.py has no __all__"
        bound = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                 for a in n.names}
        assert set(exported) <= bound, f"{init.parent.name}: {set(exported) - bound} not bound"


def _all_names(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return []


def test_help_does_not_import_the_heavy_libraries() -> None:
    """`csv-enrich --help` stays fast: polars, httpx and openpyxl are imported on first use."""
    code = ("import sys; from csv_enrich.cli.commands import main\n"
            "heavy = [m for m in ('polars', 'httpx', 'openpyxl', 'starlette')\n"
            "         if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_estimate_does_not_import_the_http_client(tmp_path: Path) -> None:
    """`csv-enrich estimate` spends nothing and talks to no API: it imports neither httpx nor the
    engine's strategies nor the writers (issue 16: its imports cost half a second)."""
    src = tmp_path / "leads.csv"
    src.write_text("Email,First Name\nann@acme.io,Ann\n", encoding="utf-8")
    code = ("import sys; from csv_enrich.cli.commands import main\n"
            f"main(['estimate', {str(src)!r}, '--json', '--state-dir', {str(tmp_path)!r}],\n"
            "     standalone_mode=False)\n"
            "loaded = [m for m in ('httpx', 'openpyxl', 'starlette', 'csv_enrich.api.client',\n"
            "          'csv_enrich.engine.context', 'csv_enrich.runner', 'csv_enrich.output')\n"
            "          if m in sys.modules]\n"
            "print('loaded:', ','.join(loaded))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert '"kind": "person"' in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "loaded:"


# -- the checker itself finds what it must -------------------------------------------------------


def write(root: Path, files: Mapping[str, str]) -> Path:
    """A throwaway package `pkg` with these files (relative path -> source)."""
    for rel, text in files.items():
        (root / "pkg" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "pkg" / rel).write_text(text, encoding="utf-8")
    return root / "pkg"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("from pkg.sub import b\n", "from pkg.sub.a import x\n"),
        ("from . import b\n", "def f():\n    from .a import x\n"),
        ("import pkg.sub.b\n", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                               "    from pkg.sub import a\n"),
    ],
    ids=["top", "lazy", "typing"],
)
def test_a_circle_of_any_kind_is_found(tmp_path: Path, a: str, b: str) -> None:
    """Two modules importing each other at the top, lazily or for types make one circle."""
    root = write(tmp_path, {"__init__.py": "", "sub/__init__.py": "", "sub/a.py": a,
                            "sub/b.py": b})
    assert cycles(graph(all_imports(root))) == [["pkg.sub.a", "pkg.sub.b"]]


def test_a_circle_through_a_package_init_is_found(tmp_path: Path) -> None:
    """A module importing its own package's `__init__`, which imports it, is a circle; so is a
    longer one, and an import of a package's name from a module of it."""
    root = write(tmp_path, {
        "__init__.py": "", "read/__init__.py": "from pkg.read.text import t\n",
        "read/text.py": "from pkg.read.base import Base\n",
        "read/base.py": "from pkg.read import t\n",
        "ok/__init__.py": "", "ok/x.py": "from . import y\n", "ok/y.py": "X = 1\n",
    })
    assert cycles(graph(all_imports(root))) == [["pkg.read", "pkg.read.base", "pkg.read.text"]]


def test_a_circle_between_packages_is_found(tmp_path: Path) -> None:
    """Two packages importing each other through different modules are a circle of packages."""
    root = write(tmp_path, {
        "__init__.py": "", "a/__init__.py": "", "a/one.py": "from pkg.b.two import x\n",
        "a/three.py": "", "b/__init__.py": "", "b/two.py": "", "b/four.py": "import pkg.a.three\n",
    })
    imports = all_imports(root)
    assert cycles(graph(imports)) == []
    assert cycles(graph(imports, package)) == [["a", "b"]]


def test_a_circle_between_scripts_is_found(tmp_path: Path) -> None:
    """Two scripts of one folder importing each other, one of them lazily, are a circle."""
    (tmp_path / "make_a.py").write_text("from make_b import b\n", encoding="utf-8")
    (tmp_path / "make_b.py").write_text("def b():\n    import make_a\n", encoding="utf-8")
    (tmp_path / "base.py").write_text("import json\n", encoding="utf-8")
    assert cycles(script_imports(tmp_path)) == [["make_a", "make_b"]]


def test_only_package_imports_are_edges(tmp_path: Path) -> None:
    """Standard-library and third-party imports, and a module's import of itself by name, are not
    edges; each import says where it is and how it runs."""
    root = write(tmp_path, {"__init__.py": "", "a.py": "import os\nimport pkgx\n"
                            "def f():\n    from pkg import b\n", "b.py": ""})
    assert [str(i) for i in all_imports(root)] == ["pkg.a -> pkg.b (line 4, lazy)"]
