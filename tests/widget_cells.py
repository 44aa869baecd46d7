"""Run the notebooks' slider cells with whatever ipywidgets is installed, and move every slider once.

    python tests/widget_cells.py     # prints one line per notebook; exit 1 on a failure

Used by tests/test_widgets.py under ipywidgets 8 (this environment) and 7.7.1 (Colab's, in a
temporary virtual environment). No kernel and no browser: an IPython shell runs the notebook's
import cell, the cells that define the functions the sliders call (small stand-ins replace trained
models), then the slider cells; each slider and drop-down is then set to another value, and the
function behind it must run without an error and receive that value. The browser test
(tests/test_browser.py) checks the drawing itself in JupyterLab.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"
os.environ.setdefault("LSTM_TEACH_QUICK", "1")
import matplotlib.pyplot as plt

# Settle pyplot's backend before an IPython shell exists: matplotlib 3.7 would otherwise install its
# IPython display hook through an import that IPython 9 removed (the notebooks run in a kernel
# with the inline backend, which does not take that path).
plt.switch_backend("Agg")

ROOT = Path(__file__).resolve().parents[1]
WIDGET_CELL = re.compile(r"\bwidgets\.(interact|FloatSlider|IntSlider|FloatLogSlider|Dropdown|VBox|HBox)\b")
# Trained objects a slider cell uses, replaced by small untrained ones of the same kind.
STAND_INS = {
    "06_jaychou_lyrics": 'vocab = Vocab(tokenize_chars("分开不分开战争中部队" * 3))\n'
                         'lstm = make_lstm_lm(len(vocab), 8, kind="nn")\n',
    "08_what_the_lstm_learned": (
        'setups = {"lyrics": dict(hidden=4, layers=1), "Time Machine": dict(hidden=4, layers=2)}\n'
        'texts, recordings = {}, {}\n'
        'corpora = {"lyrics": "分开 我想\\n要你\\n" * 40, "Time Machine": "The \'time\' machine\\nwas here.\\n" * 20}\n'
        'for name, text in corpora.items():\n'
        '    vocab = Vocab(tokenize_chars(text), specials=())\n'
        '    texts[name] = {"valid": text, "heldout": text}\n'
        '    for which in ("trained", "untrained"):\n'
        '        model = make_lstm_lm(len(vocab), 4, setups[name]["layers"], kind="nn")\n'
        '        rec = record_states(model, vocab.encode(text))\n'
        '        recordings[name, which] = {"valid": rec, "heldout": rec}\n'
        'line = {"lyrics": {"cell": 1, "r": 0.5}, "Time Machine": {"cell": 5, "r": 0.2}}\n'
        'properties = {name: {"position in line": line_position, "characters to line end": chars_to_line_end}\n'
        '              for name in setups}\n'
        'found = {(name, prop, "trained"): line[name] for name in setups for prop in properties[name]}\n'
        'all_cells = lambda states: states["c"].flatten(1).tanh()\n'),
}


def _cells(name):
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _value_widgets(objects):
    import ipywidgets

    found, todo = [], list(objects)
    while todo:
        obj = todo.pop()
        obj = getattr(obj, "widget", obj)  # interact returns the function; .widget is the form
        if isinstance(obj, ipywidgets.Box):
            todo += list(obj.children)
        elif isinstance(obj, (ipywidgets.FloatSlider, ipywidgets.IntSlider, ipywidgets.FloatLogSlider,
                              ipywidgets.Dropdown)) and obj not in found:
            found.append(obj)
    return found


def _other_value(w):
    import ipywidgets

    if isinstance(w, ipywidgets.Dropdown):
        values = [o[1] if isinstance(o, tuple) else o for o in w.options]
        return next(v for v in reversed(values) if v != w.value)
    if isinstance(w, ipywidgets.FloatLogSlider):
        return w.base ** ((w.min + w.max) / 2)
    middle = (w.min + w.max) / 2
    return type(w.value)(round(middle / w.step) * w.step) if w.step else type(w.value)(middle)


def run(name: str) -> str:
    import ipywidgets
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.reset(new_session=False)  # one notebook's names (and sliders) at a time
    cells = _cells(name)
    slider_cells = [s for s in cells if WIDGET_CELL.search(s)]
    if not slider_cells:
        return f"{name}: no slider cells"
    used = set(re.findall(r"[A-Za-z_]\w*", "\n".join(slider_cells)))
    imports = next(s for s in cells if re.search(r"^import ipywidgets as widgets", s, re.M))
    defining = [s for s in cells if s not in slider_cells
                and set(re.findall(r"^def (\w+)", s, re.M)) & used]
    calls = []

    def recorded(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            calls.append(kwargs)
            try:
                return fn(*args, **kwargs)
            finally:
                plt.close("all")
        return wrapper

    for source in [imports, STAND_INS.get(name, "")] + defining:
        result = shell.run_cell(re.sub(r"^%matplotlib .*$", "", source, flags=re.M))  # Agg here, no GUI
        result.raise_error()
    for fn_name in re.findall(r"widgets\.interact\((\w+)", "\n".join(slider_cells)):
        shell.user_ns[fn_name] = recorded(shell.user_ns[fn_name])
    moved = 0
    for source in slider_cells:
        result = shell.run_cell(source.rstrip().rstrip(";"))
        result.raise_error()
        shown = [result.result] + [v for k, v in shell.user_ns.items() if not k.startswith("_")]
        for w in _value_widgets(shown):
            before = len(calls)
            w.value = new = _other_value(w)
            if before < len(calls):  # an interact slider: its function got the new value
                assert new in calls[-1].values() or any(abs(new - v) < 1e-9 for v in calls[-1].values()
                                                        if isinstance(v, float)), (w.description, new, calls[-1])
            moved += 1
        plt.close("all")
    assert moved, f"{name}: no slider found"
    return f"{name}: ipywidgets {ipywidgets.__version__}, {len(slider_cells)} slider cells ran, {moved} sliders moved"


if __name__ == "__main__":
    names = sys.argv[1:] or ["01_rnn_gradients", "02_lstm_cell", "06_jaychou_lyrics", "08_what_the_lstm_learned"]
    for notebook in names:
        print(run(notebook), flush=True)
