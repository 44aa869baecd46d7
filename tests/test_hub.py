"""A class on one JupyterHub, end to end: two students, one link, a shared read-only data cache.

Starts JupyterHub on 127.0.0.1 with ``hub/jupyterhub_config.py`` (the class configuration; only
the login is JupyterHub's dummy authenticator) and a local-process spawner, so each student's
JupyterLab runs under a real Unix account made for the test (``useradd``, removed afterwards).
The course is a local clone of this repository served by ``git daemon``. Then, in headless
Chromium driven by Playwright, as the students would:

1. both log in and follow the same ``python -m lstm_teach hub-link`` link: nbgitpuller clones
   the course into each home and opens notebook 02 in JupyterLab;
2. both run all of notebook 02 (quick mode, the hub's default) at the same time, to the end,
   with no error; each kernel runs as its student, with one torch thread, and can read the shared
   data cache but not write there (nor can the student's account, checked with ``runuser``);
3. student 1 answers exercise 1 in its cell and saves; the teacher pushes a fix to the same
   notebook; student 1 clicks the link again: the fix arrives and the answer is still there.

Screenshots of both students' JupyterLab go to ``screenshots/hub_*.png`` (or
``$LSTM_TEACH_SCREENSHOTS``). Needs root, the ``hub`` extra, configurable-http-proxy (npm), git,
Debian's ``chromium`` and Playwright; without them the test is skipped with the reason, unless
``LSTM_TEACH_REQUIRE_HUB=1`` (set by ``.ci/run``), where it fails.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hub"))
import localhub  # noqa: E402  (hub/localhub.py)

from lstm_teach.hub import hub_link  # noqa: E402
from test_browser import CHROMIUM, SCREENSHOTS, _wait  # noqa: E402  (the browser test's settings and polling)

RUN_ALL_TIMEOUT = float(os.environ.get("LSTM_TEACH_BROWSER_TIMEOUT", 600))  # s, both students at once
NOTEBOOK = "02_lstm_cell.ipynb"
ANSWER = "my_count = 4 * (256 * 100 + 256 * 256 + 2 * 256)  # my answer"  # exercise 1, typed in
TEACHER_FIX = " (teacher's note: compare with notebook 01's RNN)"


def _missing() -> str | None:
    reason = localhub.missing_tools()
    if reason:
        return reason
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set LSTM_TEACH_CHROMIUM)"
    if subprocess.run(["git", "daemon", "-h"], capture_output=True).returncode not in (0, 129):
        return "git daemon is missing (Debian: apt-get install git)"
    return None


# JavaScript run in the page: the open notebook as JupyterLab's model holds it.
CELLS_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) return null;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    const outputs = [];
    if (cell.type === 'code') {
      for (let i = 0; i < cell.outputs.length; i++) {
        const o = cell.outputs.get(i).toJSON();
        outputs.push({type: o.output_type, ename: o.ename || null, evalue: o.evalue || null,
                      mimes: Object.keys(o.data || {})});
      }
    }
    cells.push({type: cell.type, count: cell.type === 'code' ? cell.executionCount : -1,
                source: cell.sharedModel.getSource(), outputs: outputs});
  }
  return {path: panel.context.path, dirty: panel.context.model.dirty,
          kernel: panel.sessionContext.kernelDisplayStatus, cells: cells};
}"""

# Run code in the student's own kernel (not in a cell) and return what it printed.
KERNEL_JS = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code: code, store_history: false});
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return out;
}"""

# What the kernel reports about itself and the shared cache.
CACHE_CHECK = """
import json, os, pathlib, pwd, torch
data = pathlib.Path(os.environ["LSTM_TEACH_DATA"])
report = {"user": pwd.getpwuid(os.getuid()).pw_name, "home": os.path.expanduser("~"), "data": str(data),
          "threads": torch.get_num_threads(), "quick": os.environ.get("LSTM_TEACH_QUICK"),
          "files": sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file())}
report["read_bytes"] = sum(len((data / f).read_bytes()) for f in report["files"])
first = data / report["files"][0] if report["files"] else None
for what, act in (("new_file", lambda: (data / "student-was-here.txt").write_text("x")),
                  ("overwrite", lambda: first.write_bytes(b"")), ("delete", lambda: first.unlink())):
    if what != "new_file" and first is None:
        report[what] = "no file to try"
        continue
    try:
        act()
        report[what] = "allowed"
    except PermissionError:
        report[what] = "PermissionError"
print(json.dumps(report))
"""


class Student:
    """One student: a Unix account, a browser context of their own, their page."""

    def __init__(self, n: int, name: str, home: Path, browser):
        self.n, self.name, self.home = n, name, home
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)

    def cells(self):
        try:
            return self.page.evaluate(CELLS_JS)
        except Exception:  # the page is loading or navigating
            return None

    def shot(self, stage: str):
        self.page.screenshot(path=str(SCREENSHOTS / f"hub_student{self.n}_{stage}.png"))

    def click_link(self, link: str, hub, login: bool):
        """Follow the link (logging in first when asked) until notebook 02 is open with an idle kernel."""
        self.page.goto(link)
        if login:
            self.page.locator("#username_input").fill(self.name)
            self.page.locator("#password_input").fill(localhub.PASSWORD)
            self.page.locator("#login_submit").click()
        _wait(f"{self.name}: the link to open {NOTEBOOK}",
              lambda: (c := self.cells()) and c["path"].endswith(f"notebooks/{NOTEBOOK}") and c["cells"]
              and c["kernel"] == "idle", 300,
              lambda: f"page at {self.page.url}; hub log:\n{hub.log()}")

    def in_kernel(self, code: str) -> str:
        return self.page.evaluate(KERNEL_JS, code)


def _run_all(student: Student):
    page = student.page
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _finished(student: Student):
    c = student.cells()
    if c is None or c["kernel"] != "idle":
        return None
    code = [cell for cell in c["cells"] if cell["type"] == "code"]
    errors = [o for cell in code for o in cell["outputs"] if o["type"] == "error"]
    if errors:
        pytest.fail(f"{student.name}: a cell raised {errors[0]['ename']}: {errors[0]['evalue']}")
    return c if all(cell["count"] for cell in code) else None


def _teacher_fix(work: Path):
    import nbformat

    path = work / "notebooks" / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Summary"))
    lines = cell.source.split("\n")
    lines[2] += TEACHER_FIX  # a line in the middle of the summary, far from any code cell
    cell.source = "\n".join(lines)
    path.write_text(nbformat.writes(nb) + "\n")


def test_two_students_take_notebook_02_on_one_hub_with_a_read_only_data_cache():
    reason = _missing()
    if reason:
        if os.environ.get("LSTM_TEACH_REQUIRE_HUB") == "1":
            pytest.fail(f"LSTM_TEACH_REQUIRE_HUB=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("hub_*.png"):
        old.unlink()
    room = localhub.Classroom("lts", 2)
    browser = None
    try:
        names, homes, data, course = room.open().names, room.homes, room.data, room.course
        for name, home in zip(names, homes):
            localhub.lab_settings(home, owner=name)
            probe = subprocess.run(
                ["runuser", "-u", name, "--", sys.executable, "-c", "import torch, jupyterhub, lstm_teach"],
                env={"PATH": os.environ["PATH"], "PYTHONPATH": str(course.package), "HOME": str(home)},
                capture_output=True, text=True)
            assert probe.returncode == 0, f"{name} cannot run {sys.executable}:\n{probe.stderr[-2000:]}"
            # The account itself, outside Jupyter: it can read the cache, not write there.
            touch = subprocess.run(["runuser", "-u", name, "--", "touch", str(data / "x")],
                                   capture_output=True, text=True)
            assert touch.returncode != 0 and "Permission denied" in touch.stderr, touch

        hub = room.start_hub()
        hub.wait_ready()
        link = hub_link(hub.url, repo=course.url, notebook="02")
        print(f"the link: {link}")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
            students = [Student(n, name, home, browser) for n, (name, home) in enumerate(zip(names, homes), 1)]

            # 1. Log in, follow the link: a clone in each home, notebook 02 open.
            start = time.monotonic()
            for s in students:
                s.click_link(link, hub, login=True)
                clone = s.home / localhub.REPO_NAME
                assert (clone / "notebooks" / NOTEBOOK).is_file()
                assert (clone / ".git").stat().st_uid == room.accounts.uid(s.name), "the clone is not the student's"
                s.shot("1_link_opened")
            print(f"login, spawn and clone for both: {time.monotonic() - start:.0f} s")

            # 2. Both run all cells at once.
            for s in students:
                _run_all(s)
            for s in students:  # the copy holds stored execution counts: see them cleared first
                _wait(f"{s.name}: Run All Cells to start", lambda s=s: (c := s.cells()) and (
                    c["kernel"] != "idle" or any(x["count"] is None for x in c["cells"])), 60)
            start = time.monotonic()
            ran = {}

            def both_finished():
                for s in students:
                    ran[s.name] = ran.get(s.name) or _finished(s)
                return all(ran.values())

            def progress():
                done = {s.name: sum(1 for x in (s.cells() or {}).get("cells", []) if x["type"] == "code" and x["count"])
                        for s in students}
                return f"code cells run so far: {done}"

            _wait("both students' notebooks to run to the end", both_finished, RUN_ALL_TIMEOUT, progress)
            print(f"Run All Cells, both students at once: {time.monotonic() - start:.0f} s")
            for s in students:
                pngs = sum("image/png" in o["mimes"] for cell in ran[s.name]["cells"] for o in cell["outputs"])
                assert pngs >= 4, f"{s.name}: only {pngs} plots drawn"
                s.page.locator(".jp-OutputArea-output img").nth(1).scroll_into_view_if_needed()
                time.sleep(1)
                s.shot("2_ran_all")

            # 3. Each kernel runs as its student, quick mode, one thread; the cache is read-only to it.
            for s in students:
                out = s.in_kernel(CACHE_CHECK)
                report = json.loads(out.strip().splitlines()[-1]) if out.strip().startswith("{") else pytest.fail(
                    f"{s.name}: the kernel check printed {out!r}")
                print(f"{s.name}'s kernel: {report}")
                assert report["user"] == s.name and report["home"] == str(s.home)
                assert report["data"] == str(data) and report["quick"] == "1" and report["threads"] == 1
                assert report["files"] == sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file())
                assert report["new_file"] == "PermissionError"
                if report["files"]:
                    assert report["read_bytes"] > 0
                    assert report["overwrite"] == report["delete"] == "PermissionError"
            assert not (data / "student-was-here.txt").exists()

            # 4. Student 1 answers exercise 1 in its cell, runs it and saves.
            s = students[0]
            cell = s.page.locator(".jp-CodeCell").filter(has_text="my_count = None")
            assert cell.count() == 1, "exercise 1's attempt cell not found"
            cell.scroll_into_view_if_needed()
            cell.locator(".cm-content").click()
            s.page.keyboard.press("Control+Home")
            s.page.keyboard.press("Shift+End")
            s.page.keyboard.type(ANSWER)
            s.page.keyboard.press("Shift+Enter")
            s.page.keyboard.press("Control+s")
            saved = s.home / localhub.REPO_NAME / "notebooks" / NOTEBOOK
            _wait("the edit to be saved", lambda: (c := s.cells()) and not c["dirty"] and ANSWER in saved.read_text(),
                  60)
            _wait("exercise 1's check to run", lambda: _finished(s), 120)
            s.page.locator(".jp-CodeCell").filter(has_text="# my answer").scroll_into_view_if_needed()
            time.sleep(1)
            s.shot("3_answer_saved")

            # 5. The teacher pushes a fix to the same notebook; student 1 clicks the link again.
            course.commit("Notebook 02: a note in the summary", _teacher_fix)
            s.click_link(link, hub, login=False)
            import nbformat

            notebook = nbformat.read(saved, as_version=4)  # still a valid notebook after the merge
            sources = [c.source for c in notebook.cells]
            assert any(ANSWER in src for src in sources), "the student's answer was lost"
            assert any(TEACHER_FIX in src for src in sources), "the teacher's fix did not arrive"
            shown = [c["source"] for c in s.cells()["cells"]]
            assert any(ANSWER in src for src in shown) and any(TEACHER_FIX in src for src in shown)
            log = subprocess.run(["runuser", "-u", s.name, "--", "git", "-C", str(saved.parents[1]), "log",
                                  "--format=%s"], capture_output=True, text=True).stdout
            print(f"{s.name}'s clone after the second click:\n{log}")
            assert "Automatic commit by nbgitpuller" in log and "a note in the summary" in log
            s.page.locator(".jp-MarkdownCell").filter(has_text="teacher's note").scroll_into_view_if_needed()
            time.sleep(1)
            s.shot("4_second_click")
            print(f"screenshots in {SCREENSHOTS}")
            browser.close()
            browser = None
    finally:
        if browser is not None:
            try:
                browser.close()
            except Exception:
                pass
        if room.hub is not None:
            room.hub.stop()
            shutil.copy(room.hub.log_path, SCREENSHOTS / "hub_jupyterhub.log")
        room.close()
