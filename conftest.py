"""Project-wide pytest hooks: a per-notebook time table at the end of the run.

nbval makes one test per notebook cell; ``--durations`` lists slow cells, and this table adds
them up per notebook so that the quick-mode budget of each notebook is easy to check.
"""

import os
from collections import defaultdict

# Every figure a notebook shows under the tests is checked for a classroom projector
# (lstm_teach.plots.figure_problems): nbval's kernels inherit this from the test process.
os.environ.setdefault("LSTM_TEACH_CHECK_FIGURES", "1")

_times: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _times[path] += report.duration  # setup (kernel start) + call + teardown


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    terminalreporter.section("time per notebook")
    for path, seconds in sorted(_times.items()):
        terminalreporter.write_line(f"{seconds:8.1f} s  {path}")
    terminalreporter.write_line(f"{sum(_times.values()):8.1f} s  all notebooks")
