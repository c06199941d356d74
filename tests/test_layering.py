"""The layer table of DESIGN §5, enforced by walking every import in the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "probation_themes"

ALLOWED: dict[str, set[str]] = {
    "cli": {"workflows", "review", "export", "store", "coding", "ingest", "codebook", "models", "errors", "cli", "__init__"},
    "workflows": {"ingest", "coding", "store", "codebook", "models", "errors", "workflows"},
    "review": {"store", "models", "errors", "review"},
    "export": {"models", "codebook", "errors", "export"},
    "ingest": {"codebook", "models", "errors", "ingest"},
    "coding": {"codebook", "models", "errors", "coding"},
    "store": {"codebook", "models", "errors", "store"},
    "codebook": {"models", "errors", "codebook"},
    "models": {"errors"},
    "errors": set(),
    "__init__": set(),
    "__main__": {"cli"},
}
UI_LIBRARIES = {"typer", "click", "rich"}


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports stay inside their own layer
                found.append((f"probation_themes.{_layer(path)}", node.lineno))
            elif node.module == "probation_themes":  # `from probation_themes import models`
                found += [(f"probation_themes.{alias.name}", node.lineno) for alias in node.names]
            elif node.module:
                found.append((node.module, node.lineno))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_known_layer():
    assert {_layer(p) for p in MODULES} <= set(ALLOWED)


def violations(path: Path, layer: str) -> list[str]:
    """Every import in ``path`` that the layer table forbids for ``layer``."""
    found = []
    for module, line in _imports(path):
        top = module.split(".")[0]
        if top == "probation_themes":
            parts = module.split(".")
            target = parts[1] if len(parts) > 1 and not parts[1].startswith("__") else "__init__"
            if target not in ALLOWED[layer]:
                found.append(f"{path.name}:{line}: layer {layer!r} may not import {module}")
        elif top in UI_LIBRARIES and layer != "cli":
            found.append(f"{path.name}:{line}: only cli/ may import {top}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layer_table(path: Path):
    assert violations(path, _layer(path)) == []


@pytest.mark.parametrize(
    "path", [p for p in MODULES if _layer(p) not in {"cli", "__main__"}], ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_library_code_never_prints_prompts_or_exits(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            assert name not in {"print", "input", "breakpoint"}, f"{path.name}:{node.lineno} calls {name}()"
            assert not (owner == "sys" and name == "exit"), f"{path.name}:{node.lineno} calls sys.exit()"
            assert name != "exit" or owner not in {"", "os"}, f"{path.name}:{node.lineno} exits"


def test_the_checker_catches_a_forbidden_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from probation_themes.store import Project\nimport typer\nfrom probation_themes import models\n")
    assert violations(bad, "ingest") == [
        "bad.py:1: layer 'ingest' may not import probation_themes.store",
        "bad.py:2: only cli/ may import typer",
    ]
    assert violations(bad, "cli") == []
