"""Lint and format checks run with the tests (STYLE.md: ruff for format and lint)."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _ruff():
    exe = shutil.which("ruff") or str(pathlib.Path(sys.executable).parent / "ruff")
    if not pathlib.Path(exe).exists():
        pytest.fail("ruff is not installed: it is part of the test extra (pip install -e '.[test]')")
    return exe


def test_ruff_lint_is_clean():
    result = subprocess.run(
        [_ruff(), "check", "jeras", "tests", "examples", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = subprocess.run(
        [_ruff(), "format", "--check", "jeras", "tests", "examples", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
