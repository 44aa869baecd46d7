"""The slider cells of notebooks 01, 02, 06 and 08 work with ipywidgets 8 (JupyterLab here) and with
ipywidgets 7.7.1, which Colab ships: tests/widget_cells.py runs them and moves every slider, once
in this environment and once in a temporary virtual environment that has Colab's ipywidgets (and tqdm) in
front of this environment's packages (a .pth file makes those visible behind it). In that environment a
finished progress bar must leave no text in a saved notebook either. Installing 7.7.1 needs
the package index: without it the Colab tests are skipped, unless LSTM_TEACH_REQUIRE_NETWORK=1."""

import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "widget_cells.py"
spec = importlib.util.spec_from_file_location("check_stacks", ROOT / "scripts" / "check_stacks.py")
check_stacks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_stacks)
COLAB = check_stacks.COLAB  # Colab's versions, kept in one place
NOTEBOOKS = ["01_rnn_gradients", "02_lstm_cell", "06_jaychou_lyrics", "08_what_the_lstm_learned"]


def _run(python, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LSTM_TEACH_QUICK": "1", "MPLBACKEND": "Agg",
           "HOME": os.environ.get("HOME", str(tmp_path))}
    result = subprocess.run([str(python), str(SCRIPT), *NOTEBOOKS], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [line for line in result.stdout.splitlines() if "sliders moved" in line]


def test_slider_cells_with_this_ipywidgets(tmp_path):
    lines = _run(sys.executable, tmp_path)
    assert len(lines) == len(NOTEBOOKS), lines


@pytest.fixture(scope="module")
def colab_widgets_python(tmp_path_factory):
    """A virtual environment with Colab's ipywidgets and tqdm in front of this one's packages."""
    venv = tmp_path_factory.mktemp("colab-widgets") / "ipywidgets7"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "this_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q",
                          f"ipywidgets=={COLAB['ipywidgets']}", f"tqdm=={COLAB['tqdm']}"],
                         capture_output=True, text=True, timeout=600)
    if pip.returncode != 0:
        if os.environ.get("LSTM_TEACH_REQUIRE_NETWORK") == "1":
            pytest.fail("could not install ipywidgets 7.7.1:\n" + pip.stderr[-2000:])
        pytest.skip("ipywidgets 7.7.1 could not be installed (no package index?)")
    return python


def test_slider_cells_with_colabs_ipywidgets_7(colab_widgets_python, tmp_path):
    lines = _run(colab_widgets_python, tmp_path)
    assert len(lines) == len(NOTEBOOKS) and all(f"ipywidgets {COLAB['ipywidgets']}" in line for line in lines), lines


def test_progress_bars_leave_no_text_with_colabs_ipywidgets_7(colab_widgets_python, tmp_path):
    """ipywidgets 7 displays a widget without the display id that lets a finished bar empty its output."""
    check = "tests/test_history.py::test_a_finished_or_stopped_bar_leaves_no_progress_text_in_a_stored_notebook"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(PYTHONPATH=str(ROOT), HOME=os.environ.get("HOME", str(tmp_path)))
    result = subprocess.run([str(colab_widgets_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", check],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
