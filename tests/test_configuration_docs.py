"""docs/configuration.md names every environment variable the settings modules read, so an
operator never has to read config/settings/ to learn a knob exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = sorted((ROOT / "config" / "settings").glob("*.py"))


def _reader_name(func: ast.expr) -> str:
    """`os.environ.get` -> "os.environ.get", `env_bool` -> "env_bool"."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_reader_name(func.value)}.{func.attr}"
    return ""


def _variables_read(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and node.args:
            reader = _reader_name(node.func)
            if reader in ("os.environ.get", "os.getenv") or reader.startswith("env_"):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and _reader_name(node.value) == "os.environ":
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def test_the_scan_finds_the_variables_it_should() -> None:
    source = (
        'A = os.environ.get("ONE", "x")\nB = env_bool(\n    "TWO", True\n)\n'
        'C = os.environ["THREE"]\nD = env_list("FOUR")\nE = os.getenv("FIVE")\n'
        "F = os.environ.get(name)\n"
    )

    assert _variables_read(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}


def test_every_environment_variable_the_settings_read_is_documented() -> None:
    read = set().union(*(_variables_read(path.read_text()) for path in SETTINGS))
    documented = set(
        re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs/configuration.md").read_text())
    )

    assert len(read) > 50  # the scan found the settings' reads, not nothing
    assert sorted(read - documented) == []
