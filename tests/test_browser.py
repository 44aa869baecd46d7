"""Notebook 02 in a real browser, as a student sees it.

Starts JupyterLab on 127.0.0.1 (random port and token), opens a copy of
notebooks/02_lstm_cell.ipynb in headless Chromium driven by Playwright, runs all cells from
the Run menu, waits until every code cell has run, drags the forget-gate slider of the
ipywidgets demo and checks that the kernel drew a different plot. Screenshots of each stage
go to ``screenshots/`` (or ``$LSTM_TEACH_SCREENSHOTS``); look at them.

Needs Debian's ``chromium`` (``$LSTM_TEACH_CHROMIUM`` to point elsewhere) and the
``playwright`` package from PyPI; Playwright's own browser download is not used. Without
them the test is skipped, unless ``LSTM_TEACH_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where
it fails.
"""

import base64
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_lstm_cell.ipynb"
CHROMIUM = os.environ.get("LSTM_TEACH_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("LSTM_TEACH_SCREENSHOTS", ROOT / "screenshots"))
RUN_ALL_TIMEOUT = float(os.environ.get("LSTM_TEACH_BROWSER_TIMEOUT", 900))  # s, all cells, quick mode
SLIDER = "z_f"  # the forget gate's pre-activation in notebook 02's interact demo


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if importlib.util.find_spec("jupyterlab") is None:
        return "jupyterlab is not installed (pip install -e '.[lab]')"
    from importlib.metadata import version

    if int(version("ipywidgets").split(".")[0]) < 8:  # e.g. scripts/check_stacks.py's Colab stack
        return (f"ipywidgets {version('ipywidgets')}: JupyterLab 4 draws ipywidgets 8 widgets only (the lab extra "
                "installs 8); Colab's ipywidgets 7 runs in Colab's own page, checked by tests/test_widgets.py")
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set LSTM_TEACH_CHROMIUM)"
    return None


def _need_browser():
    reason = _missing_browser()
    if reason is None:
        return
    if os.environ.get("LSTM_TEACH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LSTM_TEACH_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server in its own folders; ``stop()`` ends it and every kernel it started."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.work = tmp / "work"
        self.work.mkdir()
        # A copy: running cells in the browser must not rewrite the committed notebook.
        shutil.copy(NOTEBOOK, self.work / NOTEBOOK.name)
        settings = tmp / "settings"
        (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
        # Every cell attached to the page (no virtual scrolling), no news pop-up.
        (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"}))
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        self.port = _free_port()
        self.token = base64.b32encode(os.urandom(20)).decode().lower()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "JUPYTER"))}
        env.pop("MPLBACKEND", None)  # Agg would make plt.show() draw nothing in the kernel
        env.update(
            LSTM_TEACH_QUICK="1",
            PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
            JUPYTER_CONFIG_DIR=str(tmp / "config"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
            IPYTHONDIR=str(tmp / "ipython"),
        )
        self.log_path = tmp / "jupyter.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
             f"--port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             "--ServerApp.allow_root=True", f"--ServerApp.root_dir={self.work}",
             "--LabApp.expose_app_in_browser=True",  # read the cells' state, not just pixels
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=self.work, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self._children: set = set()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def api(self, path: str):
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def wait_ready(self, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {self.proc.returncode}:\n{self.log()}")
            try:
                self.api("/api/status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer on {self.url} within {timeout:.0f} s:\n{self.log()}")

    def kernel_states(self) -> list[str]:
        try:
            return [k["execution_state"] for k in self.api("/api/kernels")]
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            pytest.fail(f"JupyterLab stopped answering ({error}):\n{self.log()}")

    def remember_children(self):
        """Note the kernels (they run in sessions of their own, so killpg would miss them)."""
        import psutil

        try:
            self._children |= set(psutil.Process(self.proc.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            pass

    def stop(self):
        import psutil

        self.remember_children()
        if self.proc.poll() is None:
            self.proc.terminate()  # JupyterLab shuts its kernels down on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        for child in self._children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(list(self._children), timeout=10)
        self._log.close()


@pytest.fixture
def lab(tmp_path):
    _need_browser()
    server = Lab(tmp_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


# JavaScript run in the page: the open notebook's cells as JupyterLab's model holds them.
CELLS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    if (cell.type !== 'code') continue;
    const outputs = [];
    for (let i = 0; i < cell.outputs.length; i++) {
      const o = cell.outputs.get(i).toJSON();
      outputs.push({type: o.output_type, ename: o.ename || null, evalue: o.evalue || null,
                    mimes: Object.keys(o.data || {})});
    }
    cells.push({count: cell.executionCount, outputs: outputs});
  }
  return {kernel: panel.sessionContext.kernelDisplayStatus, cells: cells};
}"""


def _wait(what: str, check, timeout: float, detail=lambda: ""):
    """Poll ``check()`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}. {detail()}")


def _interact_image(page) -> bytes | None:
    """The PNG that the interact demo's output area shows now (None while it has none)."""
    src = page.evaluate("""() => {
      const img = document.querySelector('.widget-interact .widget-output img');
      return img ? img.getAttribute('src') : null;
    }""")
    if not src or not src.startswith("data:image/png;base64,"):
        return None
    return base64.b64decode(src.split(",", 1)[1])


def test_notebook_02_runs_in_jupyterlab_and_its_slider_redraws_the_plot(lab):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("02_*.png"):
        old.unlink()

    def shot(name, **kwargs):
        page.screenshot(path=str(SCREENSHOTS / f"02_{name}.png"), **kwargs)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")

            def cells():
                try:
                    return page.evaluate(CELLS_JS)
                except Exception:  # the page is still loading the app
                    return None

            # Loaded: the notebook's cells are in the model and its kernel has started.
            _wait("the notebook to open with an idle kernel",
                  lambda: (c := cells()) and c["cells"] and c["kernel"] == "idle", 180,
                  lambda: f"state: {(cells() or {}).get('kernel')}; server log:\n{lab.log()}")
            lab.remember_children()
            shot("1_opened")

            # Run > Run All Cells, as a student would.
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            # The copy holds a full run's execution counts: first see them cleared (queued cells).
            _wait("Run All Cells to start", lambda: (c := cells()) and (
                c["kernel"] != "idle" or any(cell["count"] is None for cell in c["cells"])), 30)

            def finished():
                c = cells()
                if c is None or c["kernel"] != "idle" or any(s != "idle" for s in lab.kernel_states()):
                    return None
                errors = [o for cell in c["cells"] for o in cell["outputs"] if o["type"] == "error"]
                if errors:
                    pytest.fail(f"a cell raised {errors[0]['ename']}: {errors[0]['evalue']}")
                return c if all(cell["count"] for cell in c["cells"]) else None

            def progress():
                c = cells() or {"cells": []}
                done = sum(1 for cell in c["cells"] if cell["count"])
                return f"{done} of {len(c['cells'])} code cells ran; server log:\n{lab.log()}"

            start = time.monotonic()
            ran = _wait("every code cell to run", finished, RUN_ALL_TIMEOUT, progress)
            print(f"Run All Cells took {time.monotonic() - start:.0f} s")
            pngs = sum("image/png" in o["mimes"] for cell in ran["cells"] for o in cell["outputs"])
            assert pngs >= 4, f"only {pngs} plots drawn: did plt.show() store images?"
            page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
            shot("2_ran_all")  # the first figure: the LSTM cell diagram

            # The interact demo: five sliders and the plot of one LSTM step below them.
            demo = page.locator(".widget-interact")
            _wait("the slider demo to render", lambda: demo.count() == 1 and _interact_image(page), 60,
                  lambda: f"{demo.count()} interact widgets on the page")
            demo.scroll_into_view_if_needed()
            before = _interact_image(page)
            slider = demo.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text=SLIDER))
            assert slider.count() == 1, f"no slider labelled {SLIDER} in the demo"
            readout = slider.locator(".widget-readout")
            value_before = readout.inner_text()
            shot("3_slider_before")

            # Drag the handle to the left by 60% of the track, with the mouse.
            handle = slider.locator(".noUi-handle").bounding_box()
            track = slider.locator(".noUi-base, .noUi-target").first.bounding_box()
            x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x - track["width"] * 0.6, y, steps=8)
            page.mouse.up()

            def redrawn():
                if any(s != "idle" for s in lab.kernel_states()):
                    return None
                image = _interact_image(page)
                return image if image and image != before else None

            after = _wait("the plot to change after moving the slider", redrawn, 120,
                          lambda: f"{SLIDER} readout: {readout.inner_text()!r} (was {value_before!r})")
            value_after = readout.inner_text()

            def number(text):
                return float(text.replace("\u2212", "-"))  # the readout shows a real minus sign

            assert number(value_after) < number(value_before), (value_before, value_after)
            time.sleep(1)  # let the browser paint the new image before the screenshot
            shot("4_slider_after")
            assert before[:8] == after[:8] == b"\x89PNG\r\n\x1a\n"
            # The whole notebook in one picture: a window as tall as the notebook.
            height = page.evaluate("""() => Math.max(...Array.from(
                document.querySelectorAll('.jp-NotebookPanel-notebook, .jp-NotebookPanel-notebook *'),
                e => e.scrollHeight))""")
            page.set_viewport_size({"width": 1280, "height": min(int(height) + 200, 30_000)})
            page.evaluate("""() => document.querySelectorAll('.jp-NotebookPanel-notebook, .jp-NotebookPanel-notebook *')
                .forEach(e => { e.scrollTop = 0; })""")
            time.sleep(1)
            shot("5_whole_notebook")
            print(f"{SLIDER}: {value_before} -> {value_after}; plot {len(before)} -> {len(after)} bytes, "
                  f"screenshots in {SCREENSHOTS}")
        finally:
            browser.close()
