"""Every skip in tests/ says why, and a missing module's skip names its extra.

``pip install ".[tests]"`` then ``pytest`` runs every test whose extras are
installed; the rest must skip with a reason that tells what to install, never
disappear silently. The skips are read from the test files' source, so this
holds whichever extras happen to be installed.
"""

# SPDX-License-Identifier: BSD-3-Clause

import ast
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
TEST_FILES = sorted((ROOT / "tests").glob("*.py"))
SKIPS = ("importorskip", "skipif", "skip")


def skip_calls(path):
    """(line, kind, reason) of each pytest skip call of a file.

    The reason is the string given as ``reason=`` (or as ``pytest.skip``'s first
    argument), written as a literal or as the name of a module-level string
    constant; None when there is none.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }

    def text(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SKIPS
        ):
            continue
        kind = node.func.attr
        reason = next((kw.value for kw in node.keywords if kw.arg == "reason"), None)
        if reason is None and kind == "skip" and node.args:
            reason = node.args[0]
        yield node.lineno, kind, None if reason is None else text(reason)


def test_the_skips_are_found():
    """The scan sees the skips that are known to exist, so it is not vacuous."""
    kinds = {
        (path.name, kind) for path in TEST_FILES for _, kind, _ in skip_calls(path)
    }
    assert ("test_dask.py", "importorskip") in kinds
    assert ("test_out_of_core.py", "skipif") in kinds


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: path.name)
def test_every_skip_gives_a_reason_and_names_its_extra(path):
    with open(ROOT / "pyproject.toml", "rb") as f:
        extras = set(tomllib.load(f)["project"]["optional-dependencies"])
    for line, kind, reason in skip_calls(path):
        where = f"{path.name}:{line}: {kind}"
        assert reason, f"{where} gives no reason (a string, or a string constant)"
        if kind == "importorskip":
            named = re.findall(r"pip install '\.\[(\w+)\]'", reason)
            assert named, f"{where}: {reason!r} names no extra: pip install '.[...]'"
            assert set(named) <= extras, f"{where}: {named} not all in {extras}"
