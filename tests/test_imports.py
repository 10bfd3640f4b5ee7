"""The architecture's arrows, kept honest by parsing imports (like httpx's exported-members test).

Imports point down only: cli -> watch -> runner -> engine -> (client, journal, plan, write,
report) -> (read, mapping, rules) -> (models, errors). The sandbox imports nothing from the rest
of the package: the wire format is written twice on purpose, so a wrong assumption in the client
fails a test instead of being mirrored by the fake.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "csv_enrich"

LAYERS = {
    "models": 0, "errors": 0,
    "read": 1, "mapping": 1, "rules": 1, "synonyms": 1,
    "plan": 2, "api": 2, "journal": 2, "output": 2, "report": 2,
    "engine": 3,
    "runner": 4, "cohort": 4, "account": 4,
    "watch": 5,
    "cli": 6, "__main__": 7, "__init__": 7,
}


def layer(module: str) -> int:
    """The layer of a top-level module name; `engine_bulk` sits with `engine`, and so on."""
    for name, level in LAYERS.items():
        if module == name or module.startswith(name + "_"):
            return level
    raise AssertionError(f"csv_enrich/{module}.py has no layer: add it to LAYERS in this test")


def runtime_imports(path: Path) -> set[str]:
    """Top-level csv_enrich modules imported by `path`, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("csv_enrich."):
            found.add(node.module.split(".")[1])  # type: ignore[union-attr]
    return found


def test_imports_point_down() -> None:
    """No module imports one of a higher layer."""
    for path in sorted(PACKAGE.glob("*.py")):
        mine = layer(path.stem)
        for target in runtime_imports(path) - {"sandbox"}:
            assert layer(target) <= mine, f"{path.name} imports {target} (a higher layer)"


def test_sandbox_shares_no_code_with_the_client() -> None:
    """Nothing under csv_enrich/sandbox imports from the rest of csv_enrich."""
    for path in sorted((PACKAGE / "sandbox").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                where = f"{path.relative_to(PACKAGE)} imports {node.module} from outside"
                assert node.level <= 1, where
                assert not (node.module or "").startswith("csv_enrich"), where


def test_help_does_not_import_the_heavy_libraries() -> None:
    """`csv-enrich --help` stays fast: polars, httpx and openpyxl are imported on first use."""
    code = ("import sys; from csv_enrich.cli.commands import main\n"
            "heavy = [m for m in ('polars', 'httpx', 'openpyxl', 'starlette')\n"
            "         if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
