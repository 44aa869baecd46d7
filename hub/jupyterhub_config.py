"""JupyterHub for a class taking lstm-teach, on one server.

    sudo /opt/lstm-teach/bin/jupyterhub -f hub/jupyterhub_config.py

Every student gets a JupyterLab server of their own (one Unix account each), in quick mode, with
one torch thread per kernel (two students' training loops then share cores instead of fighting
over them), and reads the data sets from one shared, read-only folder that the teacher fills
once. Idle servers are stopped after an hour. The README's "Teaching on a JupyterHub" says how
to install it (The Littlest JupyterHub on one VM, Zero to JupyterHub on Kubernetes for more) and
how many students a core carries; tests/test_hub.py runs this file with a test login and two
real student accounts.

The settings a teacher changes are the capital names below; each can also be given in the
environment of the hub (same name, prefix ``LSTM_TEACH_HUB_``).
"""

import os
import sys

# The shared data cache: filled once by the teacher with
#   sudo LSTM_TEACH_DATA=/srv/lstm-teach/data python -m lstm_teach download --all
# then left owned by root, mode 755 (students read it; nobody but root writes there).
DATA = os.environ.get("LSTM_TEACH_HUB_DATA", "/srv/lstm-teach/data")
# Stop a student's server after this many seconds without activity (a running cell counts as
# activity); their files stay, and the next login starts a fresh server in a few seconds.
IDLE_TIMEOUT = int(os.environ.get("LSTM_TEACH_HUB_IDLE_TIMEOUT", 3600))
# Per-student limits. The plain local spawner ignores them; The Littlest JupyterHub's systemd
# spawner and Kubernetes enforce them. Notebook 02 in quick mode peaked at 558 MiB per student
# (server + kernel, benchmarks/hub_load.py); 2 GB is a guess for the larger notebooks.
MEM_LIMIT = os.environ.get("LSTM_TEACH_HUB_MEM_LIMIT", "2G")
CPU_LIMIT = float(os.environ.get("LSTM_TEACH_HUB_CPU_LIMIT", 1))

c = get_config()  # noqa: F821 (JupyterHub defines it when it loads this file)

c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "LSTM_TEACH_DATA": DATA,
    "LSTM_TEACH_OFFLINE": "1",  # the cache is complete; a missing file is the teacher's to add
    "LSTM_TEACH_QUICK": "1",  # every notebook finishes in about a minute (README: "No GPU")
    "OMP_NUM_THREADS": "1",  # torch, numpy: one thread per kernel
    "MKL_NUM_THREADS": "1",
}

# Under The Littlest JupyterHub (its hub runs from /opt/tljh/hub) this file goes in
# /opt/tljh/config/jupyterhub_config.d/ and adds only the environment above: TLJH runs its own
# idle culler and sets limits with tljh-config (README, "Teaching on a JupyterHub").
if not sys.prefix.startswith("/opt/tljh/"):
    c.Spawner.mem_limit = MEM_LIMIT
    c.Spawner.cpu_limit = CPU_LIMIT
    # jupyterhub-idle-culler runs as a hub service with just the permissions it needs.
    c.JupyterHub.services = [{
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_TIMEOUT}"],
    }]
    c.JupyterHub.load_roles = [{
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }]
