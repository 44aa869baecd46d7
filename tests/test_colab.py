"""Every notebook's Colab badge and set-up cell agree with the URL in pyproject.toml."""

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("colab_cells", ROOT / "scripts" / "colab_cells.py")
colab_cells = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_cells)


def test_every_notebook_agrees_with_pyproject():
    found = [p for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
             for p in colab_cells.problems(nb)]
    assert not found, "run `python scripts/colab_cells.py`:\n" + "\n".join(found)


def test_rewrite_is_idempotent_and_detects_drift(tmp_path):
    path = tmp_path / "06_demo.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Demo"),
                                         nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, path)
    assert colab_cells.problems(path)  # no badge yet
    colab_cells.rewrite(path)
    colab_cells.rewrite(path)
    assert colab_cells.problems(path) == []
    cells = nbformat.read(path, as_version=4).cells
    assert len(cells) == 4 and cells[2].source == "# Demo"
    url, slug = colab_cells.repository()
    assert f"github/{slug}/blob/main/notebooks/06_demo.ipynb" in cells[0].source
    assert url in cells[1].source and "fonts-noto-cjk" in cells[1].source
    cells[1].source = cells[1].source.replace(url, "https://github.com/someone/else")
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace(url, "https://github.com/someone/else")
    nbformat.write(nb, path)
    assert "differs" in colab_cells.problems(path)[0]


def test_setup_cell_does_nothing_outside_colab():
    # The set-up cell only acts when google.colab is imported; here it is not.
    source = colab_cells.setup_source(Path("01_x.ipynb"))
    assert source.splitlines()[3] == 'if "google.colab" in sys.modules:'
    assert all(line.startswith(("    ", "#", "import sys")) or not line for line in source.splitlines()
               if line != 'if "google.colab" in sys.modules:')
