"""No function in services/ or gateway/ is longer than a reader can hold: 60 lines, decorators and
docstring included. Generated code and data tables are excepted by name, with the reason."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MOST_LINES = 60
EXCEPTED: dict[str, str] = {
    # "path/to/module.py:function": "why it may be longer (generated code, a data table)",
}


def long_functions() -> list[str]:
    found = []
    for folder in ("services", "gateway"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(), name)):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > MOST_LINES and f"{name}:{node.name}" not in EXCEPTED:
                    found.append(f"{name}:{node.lineno} {node.name} has {lines} lines")
    return found


def test_no_function_is_longer_than_sixty_lines():
    too_long = long_functions()
    assert not too_long, f"split these (at most {MOST_LINES} lines each):\n" + "\n".join(too_long)


def test_every_exception_names_a_function_that_exists():
    for key in EXCEPTED:
        path, function = key.split(":")
        tree = ast.parse((ROOT / path).read_text())
        assert any(getattr(node, "name", None) == function for node in ast.walk(tree)), key
