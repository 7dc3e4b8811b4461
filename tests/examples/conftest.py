"""Fixtures of the example tests: a fresh clone of the repository (see clone_helpers.py)."""
from __future__ import annotations

import shutil

import pytest

from clone_helpers import REPO, FreshClone, make_clone


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory) -> FreshClone:
    """The repository's HEAD cloned into a temporary folder that has no ``shared/`` beside it."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout (or no git): cannot clone the repository")
    clone = make_clone(tmp_path_factory.mktemp("fresh"))
    assert not (clone.root.parent / "shared").exists()
    return clone
