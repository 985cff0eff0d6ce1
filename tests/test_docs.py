"""The Python examples of the README and docs/api.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.builders import REPO


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("document", ["README.md", "docs/api.md"])
def test_python_examples_run(document, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # results/ of the examples land here; instances come from the repository
    blocks = python_blocks(REPO / document)
    assert blocks, f"{document} has no Python example"
    for block in blocks:
        exec(compile(block, document, "exec"), {})  # noqa: S102 - our own documentation
    assert (tmp_path / "results").is_dir()
