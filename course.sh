#!/usr/bin/env bash
# One command to set up everything and then either open the notebooks or run the tests.
#
#   ./course.sh lab    set up, then open the notebooks in JupyterLab
#   ./course.sh test   set up, then run the whole test suite (unit tests + every notebook,
#                      quick mode); extra arguments go to pytest
#   ./course.sh print-torch-command
#                      only print which torch build set-up would install, and why
#
# Set-up: a virtual environment in .venv (PYTHON chooses the interpreter, 3.11 or newer),
# torch installed first (TORCH_SPEC, default torch==2.13.0), then this package with its lab
# and test extras. Which torch build: a local wheel when pip's find-links folder has one (the
# course machines); on Linux with an NVIDIA GPU (nvidia-smi) PyPI's CUDA build; on Linux
# without one the CPU build from the PyTorch index (PyPI's Linux wheels pull several GB of
# CUDA libraries); on macOS PyPI's build, which is a CPU one. TORCH_PIP_ARGS overrides it.
# Data sets come from ../shared/data when that folder exists (courses run offline), else
# they download when a notebook first needs them.
set -euo pipefail
cd "$(dirname "$0")"

CPU_INDEX=https://download.pytorch.org/whl/cpu
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

say() { echo "course.sh: $*" >&2; }

local_torch_wheel() {
  # A wheel of exactly TORCH_SPEC's version in one of pip's find-links folders, if any.
  local version=${TORCH_SPEC#torch==} folders folder wheel
  [ "$version" != "$TORCH_SPEC" ] || return 1  # not an exact pin
  folders="${PIP_FIND_LINKS:-} $("$PYTHON" -m pip config get global.find-links 2>/dev/null || true)"
  for folder in $folders; do
    folder=${folder#file://}
    for wheel in "$folder"/torch-"$version"-*.whl "$folder"/torch-"$version"+*.whl; do
      [ -e "$wheel" ] && { echo "$wheel"; return 0; }
    done
  done
  return 1
}

torch_pip_args() {
  # Prints pip's extra arguments for torch on stdout and the reason on stderr.
  local wheel
  if [ -n "${TORCH_PIP_ARGS+set}" ]; then
    say "torch: using TORCH_PIP_ARGS='${TORCH_PIP_ARGS}'"
    echo "$TORCH_PIP_ARGS"
  elif wheel=$(local_torch_wheel); then
    say "torch: a local wheel for $TORCH_SPEC is in pip's find-links ($wheel)"
  elif [ "$(uname -s)" = Darwin ]; then
    say "torch: macOS, PyPI's build (CPU, and the GPU of Apple silicon through MPS)"
  elif command -v nvidia-smi >/dev/null 2>&1; then
    say "torch: an NVIDIA GPU driver is here (nvidia-smi), so PyPI's CUDA build (a few GB)"
  else
    say "torch: no NVIDIA GPU here (no nvidia-smi), so the CPU build from $CPU_INDEX (a few hundred MB)"
    echo "--index-url $CPU_INDEX"
  fi
}

command=${1:-}
case "$command" in
  lab|test) shift ;;
  print-torch-command)
    # shellcheck disable=SC2046  # the arguments are words on purpose
    echo python -m pip install $(torch_pip_args) "$TORCH_SPEC"
    exit 0 ;;
  *) echo "usage: ./course.sh lab | ./course.sh test [pytest arguments] | ./course.sh print-torch-command" >&2
     exit 2 ;;
esac

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "Python 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1; }
  say "creating the virtual environment $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV" || {
    echo "Could not create a virtual environment. On Debian or Ubuntu install the python3-venv" \
         "package first (sudo apt install python3-venv), then run this again." >&2
    rm -rf "$VENV"; exit 1; }
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"

# torch first, and only if missing: a later `pip install` of the package then keeps it.
if python -c 'import torch' 2>/dev/null; then
  say "torch $(python -c 'import torch; print(torch.__version__)') is already installed in $VENV"
else
  torch_args=$(PYTHON=python torch_pip_args)  # says why on stderr
  say "installing $TORCH_SPEC"
  # shellcheck disable=SC2086  # the arguments are words on purpose
  python -m pip install $torch_args "$TORCH_SPEC"
fi
say "installing lstm_teach with its extras (pip install -e '.[${COURSE_EXTRAS:-lab,test}]')"
python -m pip install -q -e ".[${COURSE_EXTRAS:-lab,test}]"  # .ci/run adds the hub extra

if [ -d ../shared/data ]; then
  say "copying the data sets from ../shared/data"
  python -m lstm_teach download --from ../shared/data
fi

if [ "$command" = lab ]; then
  root_flag=()
  [ "$(id -u)" = 0 ] && root_flag=(--allow-root)  # containers and course machines often run as root
  say "starting JupyterLab on notebooks/ (quick mode: set LSTM_TEACH_QUICK=1 before this command)"
  exec python -m jupyter lab notebooks/ "${root_flag[@]}" "$@"
fi
# Quick mode unless the caller chose (LSTM_TEACH_QUICK=0 runs the notebooks in full).
export LSTM_TEACH_QUICK=${LSTM_TEACH_QUICK:-1}
say "running the tests (LSTM_TEACH_QUICK=$LSTM_TEACH_QUICK)"
exec python -m pytest "$@"
