"""Every notebook's Colab badge and set-up cell agree with the URL in pyproject.toml."""

import importlib.util
import subprocess
from pathlib import Path

import nbformat
import pytest

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


def _run_setup_cell(source, monkeypatch, **env):
    """Execute a set-up cell outside Colab (its %pip line is inside the Colab branch)."""
    import os

    from IPython.core.inputtransformer2 import TransformerManager

    for key in ("LSTM_TEACH_QUICK", "CI"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    namespace = {}
    exec(TransformerManager().transform_cell(source), namespace)
    return namespace, os.environ.get("LSTM_TEACH_QUICK")


def test_setup_cell_pins_the_version_and_apt_updates_first():
    source = colab_cells.setup_source(Path("06_x.ipynb"))
    url, _ = colab_cells.repository()
    assert f'!pip install -q "lstm-teach @ git+{url}@v{colab_cells.version()}"' in source
    assert "apt-get -qq update && apt-get -qq install -y fonts-noto-cjk" in source
    assert source.splitlines()[2].startswith("QUICK = None")  # the switch, visible at the top


def test_setup_cell_quick_switch_and_full_run_notice(monkeypatch, capsys):
    import torch

    notebook = Path("05_imdb_sentiment.ipynb")
    minutes, hardware = colab_cells.full_run(notebook)
    source = colab_cells.setup_source(notebook)
    assert f"full_run_notice({minutes}, {hardware!r})" in source
    namespace, quick = _run_setup_cell(source.replace("QUICK = None", "QUICK = True"), monkeypatch)
    assert quick == "1" and capsys.readouterr().out == ""  # quick mode: no notice
    namespace, quick = _run_setup_cell(source, monkeypatch, LSTM_TEACH_QUICK="1")
    assert quick == "1" and namespace["QUICK"] is None  # None keeps what the environment says
    _, quick = _run_setup_cell(source.replace("QUICK = None", "QUICK = False"), monkeypatch)
    printed = capsys.readouterr().out
    assert quick == "0"
    if not torch.cuda.is_available():
        assert f"took about {minutes} min" in printed and "QUICK = True" in printed and "GPU" in printed


def test_setup_cell_without_a_recorded_full_run_has_no_notice():
    assert colab_cells.full_run(Path("99_not_run_yet.ipynb")) is None
    assert "full_run_notice" not in colab_cells.setup_source(Path("99_not_run_yet.ipynb"))


def test_rewrite_keeps_ids_and_outputs(tmp_path):
    path = tmp_path / "01_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    colab_cells.rewrite(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="kept\n")]
    nb.cells[1].source = "# an old set-up cell"
    ids = [c.id for c in nb.cells]
    nbformat.write(nb, path)
    colab_cells.rewrite(path)
    nb = nbformat.read(path, as_version=4)
    assert [c.id for c in nb.cells] == ids and nb.cells[1].outputs[0].text == "kept\n"
    assert colab_cells.problems(path) == []


def _install_command(source: str) -> str:
    """The shell command of the set-up cell's ``!pip`` line, continuation lines joined as IPython does."""
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("!pip"))
    command = []
    for line in lines[start:]:
        command.append(line.strip().lstrip("!").removesuffix("\\"))
        if not line.endswith("\\"):
            break
    return " ".join(command)


@pytest.mark.parametrize("tag_published", [True, False])
def test_setup_cell_installs_the_tag_and_falls_back_to_main(tmp_path, tag_published):
    """Run the cell's install command under bash with a stand-in ``pip`` that records what it was
    asked for and, like pip before the tag is pushed, fails on the tag."""
    url, _ = colab_cells.repository()
    tag = f"git+{url}@v{colab_cells.version()}"
    fake = tmp_path / "pip"
    fake.write_text(f"#!/bin/sh\necho \"$*\" >> {tmp_path}/asked\n"
                    + ("" if tag_published else f'case "$*" in *"{tag}"*) exit 1;; esac\n') + "exit 0\n")
    fake.chmod(0o755)
    command = _install_command(colab_cells.setup_source(Path("02_x.ipynb")))
    run = subprocess.run(["bash", "-c", command], env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
                         capture_output=True, text=True)
    asked = (tmp_path / "asked").read_text().splitlines()
    assert run.returncode == 0, run.stderr
    assert tag in asked[0]
    if tag_published:
        assert len(asked) == 1 and not run.stdout
    else:
        assert len(asked) == 2 and asked[1].endswith(f"git+{url}@main")
        assert "is not published: installing main" in run.stdout
