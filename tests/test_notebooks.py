"""Every notebook in notebooks/ runs top to bottom on the sample county.

A notebook is nbformat 4 JSON; its code cells are executed in order in one namespace, as a
kernel would run them, so a cell that raises fails the test with the cell's number. Running the
cells in-process needs no Jupyter kernel in the test environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def code_cells(notebook: Path) -> list[str]:
    """The source of each code cell, in order; magics and shell lines are refused."""
    document = json.loads(notebook.read_text(encoding="utf-8"))
    if document.get("nbformat") != 4:
        raise ValueError(f"{notebook.name}: nbformat {document.get('nbformat')}, expected 4")
    cells = []
    for number, cell in enumerate(document["cells"], start=1):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line in source.splitlines():
            if line.lstrip().startswith(("%", "!")):
                raise ValueError(f"{notebook.name}: cell {number} uses a magic or shell line")
        cells.append(source)
    return cells


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs(
    notebook: Path,
    county_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each code cell runs without an exception against the sample county database."""
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", county_database_url)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for number, source in enumerate(code_cells(notebook), start=1):
        try:
            exec(compile(source, f"{notebook.name}[code cell {number}]", "exec"), namespace)
        except Exception as error:
            pytest.fail(f"{notebook.name}: code cell {number} raised {error!r}")
    # the working directory (a project's notebooks/ folder, as people run them) stays clean
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_notebook_run_from_notebooks_finds_the_projects_database(
    county_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without FOSTERMATCH_DATABASE_URL, a notebook run from the project's notebooks/ folder
    reads the project's var/fostermatch.db (it once looked for notebooks/var/ and found no
    tables)."""
    import shutil

    from sqlalchemy import make_url

    (tmp_path / "var").mkdir()
    shutil.copy(str(make_url(county_database_url).database), tmp_path / "var" / "fostermatch.db")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.delenv("FOSTERMATCH_DATABASE_URL", raising=False)
    namespace: dict[str, object] = {"__name__": "__main__"}
    first, setup, *_ = code_cells(NOTEBOOKS[0])  # the coordinator's: the database, then the data
    exec(compile(first, "cell 1", "exec"), namespace)
    exec(compile(setup, "cell 2", "exec"), namespace)
    waiting = namespace["waiting"]
    assert isinstance(waiting, list) and len(waiting) > 10


def test_notebooks_exist() -> None:
    """The analyst walkthroughs are present (a glob that finds nothing would test nothing)."""
    assert NOTEBOOKS, "no notebook found in notebooks/"
