"""The documentation runs as written: the README's Python examples, docs/api.md as a plain script, the
tour notebook executed by nbclient; and no link points outside the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import REPO

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# Pages another change adds in parallel (the contract, in the repository); linked by name already.
PENDING = {REPO / "docs" / "formulation.md", REPO / "docs" / "interface.md"}


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # results/ of the examples land here; instances come from the repository
    blocks = python_blocks(REPO / "README.md")
    assert blocks, "README.md has no Python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "__main__"})  # noqa: S102 - our own documentation
    assert (tmp_path / "results").is_dir()


def test_api_page_runs_as_a_plain_script(tmp_path):
    """Before: pasted into a script, the sweep example failed (Dask's workers import the script again,
    and without a ``__main__`` guard each one re-ran it). Now the page is one script with the guard."""
    blocks = python_blocks(REPO / "docs" / "api.md")
    assert 'if __name__ == "__main__":' in blocks[0]  # the page's script; the Pyomo section follows
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("optimal ")
    assert (tmp_path / "report.html").is_file() and (tmp_path / "results" / "toy" / "soft").is_dir()


def test_api_pages_pyomo_example_runs_as_written(tmp_path, monkeypatch):
    """Issue 13's example: the chain's graph, its Pyomo model, a constraint of one's own in the
    instance's names, solved through Pyomo into a Solution whose constraints table has the row."""
    monkeypatch.chdir(tmp_path)
    (block,) = python_blocks(REPO / "docs" / "api.md")[1:]
    scope = {"__name__": "__main__"}
    exec(compile(block, "docs/api.md", "exec"), scope)  # noqa: S102 - our own documentation
    rows = scope["solution"]["constraints"]
    assert rows["family"].tolist() == ["north_cap"] and rows["dual"].iat[0] < 0  # binding, relaxing it saves
    assert (tmp_path / "results" / "world" / "jp_floor" / "constraints.csv").read_text().count("jp_floor") == 1


def test_no_link_leaves_the_repository():
    """Before: README and docs linked to ../shared/spec/..., which a clone does not have."""
    for document in DOCUMENTS:
        text = document.read_text()
        assert "../shared" not in text and "shared/spec" not in text, document.name
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if re.match(r"[a-z]+://", target):
                continue
            path = (document.parent / target).resolve()
            assert path.exists() or path in PENDING, f"{document.name} links to a missing {target}"


def test_the_tour_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(REPO / "docs" / "tour.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "commit it clean"
    monkeypatch.setenv("PYTHONPATH", environment()["PYTHONPATH"])  # the kernel is a child process
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO / "docs")}}
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 3, "one chart per question"
    # the figures follow the world data (README and instances/world/README.md quote them); the tour
    # must print each of its three answers
    assert re.search(r"periods with unmet demand under controls: \[(\d{4}(, )?)+\]", text), text
    assert re.search(r"Dy2O3 in JP, cn_export_controls: horizon mean [\d,]+ USD/t, 2030 [\d,]+ USD/t", text), text
    assert "Avoiding CN raises the total cost by" in text
    # the routes of Dy metal into JP once China is cut out (the table the last cell prints) name no CN
    avoiding = re.findall(r"^\s*avoiding CN\s+\d+\s+(\S+)\s", text, flags=re.M)
    assert avoiding and not [regions for regions in avoiding if "CN" in regions.split(";")], text
