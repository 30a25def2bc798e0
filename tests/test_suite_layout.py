"""The suite's layout: test modules share code only through tests/fixtures/.

A test module that imports another one runs its fixtures and helpers from a file pytest
also collects, and a fixture imported by name shadows one of the same name elsewhere;
importing conftest loads it a second time under another name."""

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.name  # "tests"


def imported_modules(source, package=PACKAGE):
    """The dotted names of the modules `source` (a module of `package`) imports, at any depth,
    relative imports resolved; `from package import y` names package.y, which may be a module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            if module == package:
                found.extend(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.append(module)
    return found


def is_test_module_or_conftest(module, package=PACKAGE):
    if not module.startswith(f"{package}."):
        return False
    name = module.removeprefix(f"{package}.").split(".")[0]
    return name.startswith("test_") or name == "conftest"


def imports_of_test_modules(source, package=PACKAGE):
    """The imports in `source` of a test module or of conftest of `package`."""
    return sorted(
        {module for module in imported_modules(source, package) if is_test_module_or_conftest(module, package)}
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from .test_selection_page import form_of, head", ["tests.test_selection_page"]),
        ("from .conftest import CSRF_INPUT", ["tests.conftest"]),
        ("from . import test_calls_manage", ["tests.test_calls_manage"]),
        ("from tests.test_workflow_table import FINAL", ["tests.test_workflow_table"]),
        ("import tests.conftest", ["tests.conftest"]),
        ("def later():\n    from .test_scoring_sheet import world", ["tests.test_scoring_sheet"]),
        ("from .fixtures.web import form_of\nfrom tests.fixtures import selection", []),
        ("import pytest\nfrom irflow.workflow import fire\nfrom .fixtures.factories import UserFactory", []),
    ],
)
def test_the_check_finds_imports_of_test_modules_and_conftest(source, expected):
    assert imports_of_test_modules(source) == expected


def test_no_test_module_imports_another_or_conftest():
    modules = sorted(TESTS.glob("test_*.py"))
    assert len(modules) > 40  # the walk found the suite
    offending = {
        path.name: imports for path in modules if (imports := imports_of_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offending == {}, "import shared code from tests/fixtures/ instead"
