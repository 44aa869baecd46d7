#!/usr/bin/env bash
# One command to set up everything and then either open the notebooks or run the tests.
#
#   ./course.sh lab    set up, then open the notebooks in JupyterLab
#   ./course.sh test   set up, then run the whole test suite (unit tests + every notebook,
#                      quick mode); extra arguments go to pytest
#
# Set-up: a virtual environment in .venv (PYTHON chooses the interpreter, 3.11 or newer),
# torch installed first (TORCH_SPEC, default torch==2.13.0; on a CPU-only machine use a CPU
# build, see the README), then this package with its lab and test extras. Data sets come
# from ../shared/data when that folder exists (courses run offline), else they download
# when a notebook first needs them.
set -euo pipefail
cd "$(dirname "$0")"

command=${1:-}
case "$command" in
  lab|test) shift ;;
  *) echo "usage: ./course.sh lab | ./course.sh test [pytest arguments]" >&2; exit 2 ;;
esac

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "Python 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1; }
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"

# torch first, and only if missing: a later `pip install` of the package then keeps it.
if ! python -c 'import torch' 2>/dev/null; then
  python -m pip install ${TORCH_PIP_ARGS:-} "${TORCH_SPEC:-torch==2.13.0}"
fi
python -m pip install -q -e ".[lab,test]"

if [ -d ../shared/data ]; then
  python -m lstm_teach download --from ../shared/data
fi

if [ "$command" = lab ]; then
  root_flag=()
  [ "$(id -u)" = 0 ] && root_flag=(--allow-root)  # containers and course machines often run as root
  exec python -m jupyter lab notebooks/ "${root_flag[@]}" "$@"
fi
# Quick mode unless the caller chose (LSTM_TEACH_QUICK=0 runs the notebooks in full).
export LSTM_TEACH_QUICK=${LSTM_TEACH_QUICK:-1}
exec python -m pytest "$@"
