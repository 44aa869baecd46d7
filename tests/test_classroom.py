"""What a student sees in the stored notebooks: exercises to try, answers kept out of sight, progress
text that reads as finished, numbers in the prose that the run printed, readable figures.

The rules (README, "For teachers"):

- every exercise ("**N. ...**" under "## Exercises") is followed by an attempt cell, a visible code cell
  with a stub (``...``) or a ``check_...`` call, before its solution;
- solution cells ("# Solution to exercise N") are collapsed and stored without outputs;
- "## Check your understanding" is followed by a collapsed ``<details>`` cell with one answer per question;
- remarks on the machine, its load or earlier runs stand only in the closing "## Notes on these measurements";
- a markdown cell that quotes numbers measured by the notebook carries the cell tag ``measured``; each of its
  numbers (outside math and code) is one the stored run printed, rounded as shown, or a value of the
  notebook's ``results/<name>.json``;
- stored progress text reads as finished (no ``0%|``, no ``n/N`` with n < N, no stopped widget bars);
- stored figures have dpi >= 100 (the PNG's pHYs chunk), and a cell that draws with a ``plot_*`` function
  shows (and so closes) its figure itself; when the notebooks run under the tests, that ``plt.show()``
  checks each figure's labels, text sizes and legend placement (``lstm_teach.plots.figure_problems``,
  tested in tests/test_plots.py).

Notebooks whose stored outputs can only be fixed by a full re-run are marked ``xfail(strict=True)``: the
mark fails the test as soon as the re-stored notebook passes, so it must then be removed.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

RERUN = "stored outputs predate the change; passes once the notebook is re-stored from a full run"
# Notebooks whose stored outputs fail a check until their next full run (remove an entry when it passes).
PENDING_RERUN = {
    "figure_dpi": set(),
    "progress": set(),
}


def _params(check):
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"{name}: {RERUN}"))
            if name in PENDING_RERUN.get(check, ()) else name for name in NOTEBOOKS]


def _notebook(name):
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))


def _src(cell):
    return "".join(cell["source"])


def _hidden(cell):
    return cell.get("metadata", {}).get("jupyter", {}).get("source_hidden", False)


def _is_solution(cell):
    return cell["cell_type"] == "code" and _src(cell).startswith("# Solution to exercise")


def _exercises(cells):
    """(index, number) of every exercise heading "**N. ...**" in the Exercises section."""
    start = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and _src(c).startswith("## Exercises"))
    found = []
    for i in range(start + 1, len(cells)):
        src = _src(cells[i])
        if cells[i]["cell_type"] == "markdown" and src.startswith("## "):
            break
        heading = re.match(r"\*\*(\d)\.", src) if cells[i]["cell_type"] == "markdown" else None
        if heading:
            found.append((i, int(heading.group(1))))
    return found


# ------------------------------------------------------------------ exercises
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_an_attempt_cell_follows_every_exercise(name):
    cells = _notebook(name)["cells"]
    exercises = _exercises(cells)
    assert exercises, f"{name}: no exercises found"
    for i, n in exercises:
        attempt = cells[i + 1]
        ok = (attempt["cell_type"] == "code" and not _hidden(attempt) and not _is_solution(attempt)
              and ("..." in _src(attempt) or "check_" in _src(attempt)))
        assert ok, (f"{name}: exercise {n} needs a visible attempt cell right after it (a stub with '...' "
                    f"or a check_... call); found {_src(attempt)[:80]!r}")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solutions_are_collapsed_and_stored_without_outputs(name):
    solutions = [c for c in _notebook(name)["cells"] if _is_solution(c)]
    assert solutions, f"{name}: no '# Solution to exercise N' cells"
    for cell in solutions:
        first = _src(cell).splitlines()[0]
        assert _hidden(cell), f"{name}: {first!r} is not collapsed (metadata jupyter.source_hidden)"
        assert not cell["outputs"] and cell["execution_count"] is None, f"{name}: {first!r} is stored with outputs"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_understanding_questions_have_collapsed_answers(name):
    cells = _notebook(name)["cells"]
    at = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
          and _src(c).startswith("## Check your understanding")]
    assert len(at) == 1, f"{name}: one '## Check your understanding' cell"
    questions = re.findall(r"^(?:\d+\.|[-*]) ", _src(cells[at[0]]), re.M)
    answers = _src(cells[at[0] + 1])
    assert answers.startswith("<details>") and "</details>" in answers, \
        f"{name}: the answers follow the questions in a <details> cell (collapsed)"
    assert len(re.findall(r"^\d+\. ", answers, re.M)) == len(questions) > 0, \
        f"{name}: {len(questions)} questions need as many numbered answers"


# ------------------------------------------------------------------ the prose
LAB_LOG = re.compile(r"earlier (run|measurement)|\bload (about|of) \d|\b(AMD|Intel|Xeon)\b|could not be downloaded"
                     r"|LSTM_TEACH_OFFLINE|\bbusy\b|shared with other jobs", re.I)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_lab_log_only_in_the_closing_notes(name):
    cells = [c for c in _notebook(name)["cells"] if c["cell_type"] == "markdown"]
    notes = [i for i, c in enumerate(cells) if _src(c).startswith("## Notes on these measurements")]
    assert len(notes) <= 1 and (not notes or notes[0] == len(cells) - 1), \
        f"{name}: 'Notes on these measurements' is the last markdown cell, at most one"
    for c in cells[:notes[0] if notes else None]:
        found = LAB_LOG.search(_src(c))
        assert not found, (f"{name}: {found.group()!r} in the teaching text: remarks on the machine or "
                           f"earlier runs go to a closing '## Notes on these measurements' cell")


NUMBER = re.compile(r"(?<![\w.])[-−+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%|k\b| million\b)?")
SCALE = {"k": 1e3, " million": 1e6}


def _prose(markdown):
    """The text whose numbers are claims: without math, code, link targets and section references."""
    markdown = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$|`[^`\n]*`|\]\([^)]*\)", " ", markdown, flags=re.S)
    markdown = re.sub(r"^#+ .*$", " ", markdown, flags=re.M)  # headings: "### 4.2 ..." is a section number
    return re.sub(r"(section|§|chapter|chapters|d2l(\.ai)?|edition|ed\.)\s*[\d.]+", " ", markdown, flags=re.I)


def _checked(token):
    """Numbers worth checking: decimals, percentages, thousands, anything of 3+ digits that is no year."""
    plain = token.replace("−", "-").lstrip("+-")
    if "." in plain or plain.endswith(("%", "k", "million")) or "," in plain:
        return True
    return int(plain) >= 100 and not 1900 <= int(plain) <= 2099


def _digits(token):
    """The number as written and its scale: "156k" is (156.0, 1000.0), "89.5%" is (89.5, 1.0)."""
    scale = next((v for k, v in SCALE.items() if token.endswith(k)), 1.0)
    return token.removesuffix(" million").rstrip("%k").replace(",", "").replace("−", "-"), scale


def _value(token):
    return float(_digits(token)[0])


def _printed_numbers(nb, name):
    """Every number in the stored outputs and in results/<name>.json, as floats."""
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            texts.append("".join(out.get("text", "")))
            for kind in ("text/plain", "text/markdown", "text/html"):
                texts.append("".join(out.get("data", {}).get(kind, "")))
    results = ROOT / "results" / f"{name}.json"
    if results.exists():
        texts.append(results.read_text(encoding="utf-8"))
    text = "\n".join(texts)
    values = {_value(m.group()) for m in NUMBER.finditer(text)}
    values |= {float(m.group()) for m in re.finditer(r"\d+(?:\.\d+)?e[-+]?\d+", text)}
    return values


def _found(token, values):
    """The prose number is a printed value rounded to the digits shown (a share may be shown as a percent)."""
    written, unit = _digits(token)
    shown, digits = abs(float(written)), len(written.split(".")[1]) if "." in written else 0
    return any(abs(round(abs(v) * scale / unit, digits) - shown) < 1e-9 for v in values for scale in (1, 100))


def measured_numbers_not_printed(nb, name):
    """(cell index, number) for each number of a ``measured`` markdown cell that the stored run did not print."""
    values = _printed_numbers(nb, name)
    return [(i, m.group()) for i, cell in enumerate(nb["cells"])
            if cell["cell_type"] == "markdown" and "measured" in cell.get("metadata", {}).get("tags", [])
            for m in NUMBER.finditer(_prose(_src(cell))) if _checked(m.group()) and not _found(m.group(), values)]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_measured_numbers_in_the_prose_are_printed_by_the_run(name):
    missing = measured_numbers_not_printed(_notebook(name), name)
    assert not missing, (f"{name}: numbers in cells tagged 'measured' that no stored output or "
                         f"results/{name}.json shows (cell, number): {missing}")


def test_the_measured_numbers_check_can_fail():
    nb = {"cells": [
        {"cell_type": "code", "source": [],
         "outputs": [{"output_type": "stream", "text": ["accuracy 0.8948, 1,234 s\n"]}]},
        {"cell_type": "markdown", "metadata": {"tags": ["measured"]},
         "source": ["### 4.2 Heading\n", "It reaches 89.5% (89.48%) in 1,234 s (1.2k s); section 9.7, 2014, $3.14$, "
                    "12 epochs; but 88.1%, 0.77 and 1.3k."]},
    ]}
    assert measured_numbers_not_printed(nb, "no_such_notebook") == [(1, "88.1%"), (1, "0.77"), (1, "1.3k")]


# ------------------------------------------------------------------ stored outputs
PROGRESS = re.compile(r"(?<![\d.])(\d+)/(\d+) \[")  # tqdm's "n/N [elapsed<remaining" text


def unfinished_progress(nb):
    """Stored progress text that does not read as finished: '0%|', n/N with n < N, or widget bars that
    stopped short of their end or in red (bar_style 'danger')."""
    found = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            if " 0%|" in text or text.startswith("0%|"):
                found.append(text.strip()[:80])
            found += [m.group() for m in PROGRESS.finditer(text) if int(m.group(1)) < int(m.group(2))]
    for model in _shown_widgets(nb):
        s = model.get("state", {})
        if model.get("model_name") in ("FloatProgressModel", "IntProgressModel") and (
                s.get("bar_style") == "danger" or s.get("value", 0) < s.get("max", 0)):
            style = s.get("bar_style") or "no style"
            found.append(f"progress widget stopped at {s.get('value')}/{s.get('max')} ({style})")
    return found


def _shown_widgets(nb):
    """The widget models a stored output shows, with their children: a closed bar whose output was
    emptied keeps its state in the metadata, but no student sees it."""
    state = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {})
    todo = [out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for cell in nb["cells"]
            for out in cell.get("outputs", []) if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    seen = set()
    while todo:
        model_id = todo.pop()
        if model_id in seen or model_id not in models:
            continue
        seen.add(model_id)
        todo += [c.removeprefix("IPY_MODEL_") for c in models[model_id].get("state", {}).get("children", [])]
    return [models[m] for m in seen]


@pytest.mark.parametrize("name", _params("progress"))
def test_stored_progress_reads_as_finished(name):
    found = unfinished_progress(_notebook(name))
    assert not found, f"{name}: {len(found)} unfinished progress texts, e.g. {found[:3]}"


def test_the_progress_check_can_fail():
    stopped = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "text": ["epoch 3:  40%|████      | 4/10 [00:01<00:02, 3.1it/s]\n"]}]}]}
    never = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {"text/plain": ["epochs:   0%|          | 0/20 [00:00<?, ?it/s]"]}}]}]}
    done = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "text": ["epochs: 100%|██████████| 20/20 [00:04<00:00]\nbest epoch 7\n"]}]}]}
    assert unfinished_progress(stopped) and unfinished_progress(never) and not unfinished_progress(done)
    bar = {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_p"]}}
    red = {"model_name": "FloatProgressModel", "state": {"value": 3, "max": 10, "bar_style": "danger"}}
    widgets = {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"box": bar, "p": red}}}}
    shown = {"metadata": widgets, "cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "box"}}}]}]}
    emptied = {"metadata": widgets, "cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {"text/plain": []}}]}]}
    assert unfinished_progress(shown) and not unfinished_progress(emptied)


def png_dpi(data: bytes):
    """The dpi in a PNG's pHYs chunk (pixels per metre), or None when it has none."""
    at = data.find(b"pHYs")
    if at < 0:
        return None
    per_x, _, unit = struct.unpack(">IIB", data[at + 4:at + 13])
    return per_x * 0.0254 if unit == 1 else None


@pytest.mark.parametrize("name", _params("figure_dpi"))
def test_stored_figures_have_dpi_100_or_more(name):
    dpis = [png_dpi(base64.b64decode(out["data"]["image/png"])) for cell in _notebook(name)["cells"]
            for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    low = [d for d in dpis if d is None or d < 99.5]
    assert dpis and not low, (f"{name}: {len(low)} of {len(dpis)} stored figures below dpi 100: "
                              f"{sorted(set(low), key=str)}")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_cell_that_draws_shows_its_figure(name):
    """A figure made by a plot_* function is shown (and closed) in its own cell with plt.show(); left
    open, some matplotlib versions show it in a later cell, whose checked output then differs."""
    for cell in _notebook(name)["cells"]:
        src = _src(cell)
        if cell["cell_type"] == "code" and re.search(r"^fig = plot_\w+\(", src, re.M):
            assert "plt.show()" in src, f"{name}: a cell draws with {src.splitlines()[0]!r} but has no plt.show()"
