"""README's results table, built from ``results/*.json`` (written by a full run).

    python scripts/results_table.py           # rewrite the table in README.md
    python scripts/results_table.py --check   # exit 1 if README disagrees with results/

Nothing in the table is typed by hand: the headline and anchor come from the notebook's own
``save_results`` call, the times from ``run_notebooks.py``. ``tests/test_results.py`` fails
when README.md and the files disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "not run"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def table(folder: Path = ROOT / "results") -> str:
    """The Markdown table for every ``<notebook>.json`` in ``folder``."""
    rows = ["| Notebook | Our result (full run) | Published anchor | Quick run | Full run | Hardware |",
            "|---|---|---|---|---|---|"]
    for path in sorted(folder.glob("[0-9][0-9]_*.json")):  # one per notebook; stacks.json is not one
        r = json.loads(path.read_text())
        headline = r.get("headline", "no full run recorded (stored outputs are from quick mode)")
        rows.append(f"| `{r['notebook']}` | {headline} | {r.get('anchor', '')} "
                    f"| {_minutes(r.get('quick_seconds'))} | {_minutes(r.get('full_seconds'))} "
                    f"| {r.get('hardware', '')} |")
    return "\n".join(rows)


def with_table(readme: str, folder: Path = ROOT / "results") -> str:
    """``readme`` with the text between the two markers replaced by ``table(folder)``."""
    if START not in readme or END not in readme:
        raise ValueError(f"README.md must contain the markers {START} and {END}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table(folder)}\n{END}{tail}"


def update_readme() -> None:
    README.write_text(with_table(README.read_text()))


if __name__ == "__main__":
    if "--check" in sys.argv:
        text = README.read_text()
        out_of_date = "README's results table is out of date: run scripts/results_table.py"
        sys.exit(0 if with_table(text) == text else out_of_date)
    update_readme()
