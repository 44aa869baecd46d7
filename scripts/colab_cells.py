"""Write (or check) each notebook's "Open in Colab" badge and its Colab set-up cell.

    python scripts/colab_cells.py          # rewrite notebooks/*.ipynb in place
    python scripts/colab_cells.py --check  # exit 1 and list the notebooks that disagree

The repository URL is read from ``[project.urls] Repository`` in pyproject.toml, the one
place that names it. The badge is the notebook's first cell and the set-up cell its second;
both are found again by their cell tags, so running the script twice changes nothing.
The set-up cell holds the quick-mode switch (``QUICK``, a drop-down in Colab); inside Colab it
installs lstm_teach at the version the notebook was written for (the tag ``v<version>`` of
``[project] version``, or ``main`` with a note while that tag is not pushed; Colab's own torch and
Jupyter stay as they are) and turns on Colab's widget
manager so the ipywidgets sliders work. Before a full run on a CPU it prints how long the stored
full run took (``full_seconds`` in ``results/<notebook>.json``) and how to go faster. A rewrite
changes the cells' sources only: their ids and stored outputs stay.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BADGE_TAG, SETUP_TAG = "colab-badge", "colab-setup"


def repository() -> tuple[str, str]:
    """``(url, "owner/name")`` from pyproject.toml."""
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)/?", url)
    if not match:
        raise SystemExit(f"[project.urls] Repository must be a https://github.com/OWNER/REPO URL, not {url!r}")
    return url, match.group(1)


def badge_source(notebook: Path) -> str:
    _, slug = repository()
    link = f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/{notebook.name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({link})"


def version() -> str:
    """``[project] version`` of pyproject.toml: the notebooks install the tag ``v<version>``."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def full_run(notebook: Path) -> tuple[float, str] | None:
    """``(minutes, hardware)`` of the stored full run, from results/<notebook>.json, if recorded."""
    path = ROOT / "results" / f"{notebook.stem}.json"
    record = json.loads(path.read_text()) if path.exists() else {}
    if "full_seconds" not in record:
        return None
    return max(1, round(record["full_seconds"] / 60)), record.get("hardware", "CPU")


def setup_source(notebook: Path) -> str:
    url, _ = repository()
    lines = [
        "# Set-up. QUICK = True runs this notebook in a few minutes on any machine: smaller data and",
        "# models, the same code. None keeps the default: LSTM_TEACH_QUICK if set, else the full run.",
        'QUICK = None  # @param ["None", "True", "False"] {type:"raw"}',
        "",
        "import os",
        "import sys",
        "",
        "if QUICK is not None:",
        '    os.environ["LSTM_TEACH_QUICK"] = "1" if QUICK else "0"',
        'if "google.colab" in sys.modules:  # lstm_teach as this notebook was written for it',
        f'    !pip install -q "lstm-teach @ git+{url}@v{version()}" \\',
        f'        || (echo "v{version()} is not published: installing main, which may differ"; \\',
        f'            pip install -q "lstm-teach @ git+{url}@main")',
    ]
    if notebook.name.startswith(("06_", "08_")):  # Chinese characters in the plots need a CJK font
        lines.append("    !apt-get -qq update && apt-get -qq install -y fonts-noto-cjk > /dev/null")
    lines += [
        "    from google.colab import output",
        "",
        "    output.enable_custom_widget_manager()  # for the ipywidgets sliders",
    ]
    run = full_run(notebook)
    if run:
        lines += ["from lstm_teach.config import full_run_notice",
                  "",
                  f"full_run_notice({run[0]}, {run[1]!r})  # the stored full run: results/{notebook.stem}.json"]
    return "\n".join(lines)


def _tagged(nb, tag):
    return [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]


def problems(notebook: Path) -> list[str]:
    """What is wrong with a notebook's badge and set-up cell (empty when all is right)."""
    return problems_in(nbformat.read(notebook, as_version=4), notebook)


def problems_in(nb, notebook: Path) -> list[str]:
    found = []
    for index, tag, kind, source in [(0, BADGE_TAG, "markdown", badge_source(notebook)),
                                     (1, SETUP_TAG, "code", setup_source(notebook))]:
        cells = _tagged(nb, tag)
        if len(cells) != 1:
            found.append(f"{notebook.name}: {len(cells)} cells tagged {tag!r}, expected 1")
        elif nb.cells.index(cells[0]) != index or cells[0].cell_type != kind:
            found.append(f"{notebook.name}: the {tag} cell must be {kind} cell number {index + 1}")
        elif cells[0].source != source:
            found.append(f"{notebook.name}: the {tag} cell differs from what pyproject.toml and results/ imply")
    return found


def rewrite(notebook: Path) -> None:
    """Write the badge and set-up cell: in place (same id, outputs kept) when they exist, else new."""
    nb = nbformat.read(notebook, as_version=4)
    wanted = [(BADGE_TAG, "markdown", badge_source(notebook)), (SETUP_TAG, "code", setup_source(notebook))]
    if problems(notebook) and all(len(_tagged(nb, tag)) == 1 for tag, _, _ in wanted):
        for tag, _, source in wanted:
            _tagged(nb, tag)[0].source = source
    if problems_in(nb, notebook):
        nb.cells = [c for c in nb.cells if not {BADGE_TAG, SETUP_TAG} & set(c.get("metadata", {}).get("tags", []))]
        badge = nbformat.v4.new_markdown_cell(badge_source(notebook), metadata={"tags": [BADGE_TAG]})
        setup = nbformat.v4.new_code_cell(setup_source(notebook), metadata={"tags": [SETUP_TAG]})
        nb.cells[:0] = [badge, setup]
    nbformat.write(nb, notebook)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on a disagreement")
    args = parser.parse_args()
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.check:
        found = [p for nb in notebooks for p in problems(nb)]
        print("\n".join(found) or f"{len(notebooks)} notebooks agree with pyproject.toml")
        return 1 if found else 0
    for nb in notebooks:
        rewrite(nb)
        print(f"wrote the badge and set-up cell of {nb.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
