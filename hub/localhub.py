"""A JupyterHub on 127.0.0.1 built from ``hub/jupyterhub_config.py``, for tests and benchmarks.

``tests/test_hub.py`` (two real student accounts, a browser) and ``benchmarks/hub_load.py``
(N simulated students) use it. Everything it makes lives in one temporary folder: the hub's
state, the shared data cache, the students' homes, and the "teacher's" copy of the course that
a ``git daemon`` serves on a local port (as GitHub would: cloning over a network protocol, so
no student touches a repository owned by another account). Only the login (JupyterHub's dummy
authenticator, one password) and the addresses differ from the class configuration.

Real Unix accounts need root: ``Accounts`` creates them with ``useradd`` and removes them (and
their processes) with ``userdel``. Python must be reachable by them; ``open_path_for_others``
adds search permission (``o+x``, enter but not list) to the folders above it that lack it,
e.g. ``/root`` when Python comes from pyenv, and ``restore`` puts the modes back.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "hub" / "jupyterhub_config.py"
PASSWORD = "lstm-teach-class"  # the dummy authenticator's one password
REPO_NAME = "lstm-teach"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proxy_command() -> str | None:
    """configurable-http-proxy: ``$LSTM_TEACH_CHP``, on PATH, or .ci/run's npm install."""
    for candidate in (os.environ.get("LSTM_TEACH_CHP"), shutil.which("configurable-http-proxy"),
                      str(ROOT / ".ci" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_tools() -> str | None:
    """Why a local hub cannot start here, or None."""
    import importlib.util

    for module, extra in (("jupyterhub", "hub"), ("nbgitpuller", "hub"), ("jupyterhub_idle_culler", "hub"),
                          ("jupyterlab", "lab")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[{extra}]')"
    if proxy_command() is None:
        return ("configurable-http-proxy is missing (npm install configurable-http-proxy, or .ci/run; "
                "LSTM_TEACH_CHP to point at it)")
    if shutil.which("git") is None:
        return "git is missing"
    if os.geteuid() != 0:
        return "student accounts need root (useradd); run as root"
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} is missing"
    return None


class Permissions:
    """Search permission for others on the folders above some paths; ``restore`` undoes it."""

    def __init__(self):
        self.changed: list[tuple[Path, int]] = []

    def open_path_for_others(self, path: Path):
        for folder in [*reversed(Path(path).resolve().parents), Path(path).resolve()]:
            if not folder.is_dir():
                continue
            mode = stat.S_IMODE(folder.stat().st_mode)
            if not mode & stat.S_IXOTH:
                os.chmod(folder, mode | stat.S_IXOTH)
                self.changed.append((folder, mode))

    def restore(self):
        for folder, mode in reversed(self.changed):
            if stat.S_IMODE(folder.stat().st_mode) == mode | stat.S_IXOTH:  # nobody else changed it since
                os.chmod(folder, mode)
        self.changed.clear()


class Accounts:
    """Unix accounts with homes under ``homes``; ``remove`` ends their processes and deletes them."""

    def __init__(self, homes: Path):
        self.homes = homes
        self.names: list[str] = []

    def add(self, name: str) -> Path:
        home = self.homes / name
        subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                        "--user-group", name], check=True, capture_output=True)
        self.names.append(name)
        return home

    def uid(self, name: str) -> int:
        return pwd.getpwnam(name).pw_uid

    def remove(self):
        import psutil

        uids = {self.uid(n) for n in self.names if _exists(n)}
        procs = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real in uids]
        for p in procs:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(procs, timeout=10)
        for name in self.names:
            if _exists(name):
                subprocess.run(["userdel", name], check=False, capture_output=True)
        self.names.clear()


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Course:
    """The teacher's copy of the repository, served read-only by ``git daemon`` on a free port."""

    def __init__(self, folder: Path, source: Path = ROOT):
        self.served = folder / "served"
        self.bare = self.served / f"{REPO_NAME}.git"
        self.served.mkdir(parents=True)
        # The commit checked out in ``source`` (a branch or a detached CI checkout) as branch main.
        self.branch = "main"
        subprocess.run(["git", "init", "--quiet", "--bare", f"--initial-branch={self.branch}", str(self.bare)],
                       check=True)
        subprocess.run(["git", "fetch", "--quiet", str(source), f"HEAD:refs/heads/{self.branch}"],
                       cwd=self.bare, check=True)
        # The package the students' kernels import: the same commit, checked out readable for all.
        self.package = folder / "package"
        subprocess.run(["git", "clone", "--quiet", str(self.bare), str(self.package)], check=True)
        self.port = free_port()
        self.url = f"git://127.0.0.1:{self.port}/{REPO_NAME}.git"
        self._log = open(folder / "git-daemon.log", "wb")
        self.proc = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={self.port}", "--export-all",
             f"--base-path={self.served}", str(self.served)],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while subprocess.run(["git", "ls-remote", self.url], capture_output=True).returncode != 0:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"git daemon did not serve {self.url}")
            time.sleep(0.3)

    def commit(self, message: str, change):
        """The teacher changes the course: ``change(worktree)`` edits files; the commit is pushed."""
        work = self.served.parent / "teacher"
        if not work.exists():
            subprocess.run(["git", "clone", "--quiet", str(self.bare), str(work)], check=True)
        change(work)
        git = ["git", "-c", "user.name=Teacher", "-c", "user.email=teacher@example.org"]
        subprocess.run([*git, "commit", "--quiet", "-am", message], cwd=work, check=True)
        subprocess.run(["git", "push", "--quiet", "origin", f"HEAD:{self.branch}"], cwd=work, check=True)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        self._log.close()


class LocalHub:
    """JupyterHub on 127.0.0.1 with ``hub/jupyterhub_config.py`` and test-only overrides.

    Each student's server runs under their own Unix account (the default LocalProcessSpawner,
    as on a real server) and imports lstm_teach from ``package``.
    """

    def __init__(self, folder: Path, users: list[str], data: Path, package: Path):
        self.folder = folder
        self.users = users
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        state = folder / "hub-state"
        state.mkdir()
        (state / "test_config.py").write_text(f"""\
# Test overrides on top of the class configuration.
load_subconfig({str(CONFIG)!r})
import sys
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'
c.ConfigurableHTTPProxy.command = [{proxy_command()!r}]
c.ConfigurableHTTPProxy.pid_file = {str(state / 'proxy.pid')!r}
c.JupyterHub.db_url = 'sqlite:///{state / 'jupyterhub.sqlite'}'
c.JupyterHub.cookie_secret_file = {str(state / 'cookie_secret')!r}
c.JupyterHub.authenticator_class = 'dummy'
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allowed_users = set({users!r})
c.Spawner.cmd = [sys.executable, '-m', 'jupyterhub.singleuser']
c.Spawner.environment['PYTHONPATH'] = {str(package)!r}
c.Spawner.args = ['--LabApp.expose_app_in_browser=True',
                  '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services.append({{'name': 'test-admin', 'api_token': {self.token!r}}})
c.JupyterHub.load_roles.append({{'name': 'test-admin', 'services': ['test-admin'],
    'scopes': ['admin:users', 'admin:servers', 'tokens', 'access:servers', 'list:users', 'read:users']}})
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "JUPYTER", "LSTM_TEACH"))}
        env.update(LSTM_TEACH_HUB_DATA=str(data), PYTHONPATH=str(package))
        self.log_path = state / "jupyterhub.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(state / "test_config.py")],
                                     cwd=state, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def log(self, chars: int = 6000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def api(self, path: str, method: str = "GET", body: dict | None = None, timeout: float = 30):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/hub/api{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def wait_ready(self, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with code {self.proc.returncode}:\n{self.log()}")
            try:
                self.api("/users")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterHub did not answer on {self.url} within {timeout:.0f} s:\n{self.log()}")

    def stop(self):
        """SIGTERM: JupyterHub stops every student's server and the proxy, then exits."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        pid_file = self.folder / "hub-state" / "proxy.pid"
        if pid_file.exists():  # the proxy outlives a killed hub
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        self._log.close()


def make_folder() -> Path:
    """A fresh temporary folder that other accounts may enter (mkdtemp makes it 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="lstm-teach-hub-"))
    folder.chmod(0o755)
    return folder


def shared_data(folder: Path, source: Path | None) -> Path:
    """The shared cache: root-owned, 0755, with the small files (under 5 MB) of ``source`` copied in."""
    data = folder / "data"
    data.mkdir()
    if source and source.is_dir():
        for path in sorted(source.glob("*")) + sorted(source.glob("conll2000/*")):
            if path.is_file() and path.stat().st_size < 5_000_000:
                (data / path.relative_to(source)).parent.mkdir(exist_ok=True)
                shutil.copy(path, data / path.relative_to(source))
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return data


def lab_settings(home: Path, owner: str | None = None):
    """JupyterLab settings in a home: every cell attached to the page, no news pop-up."""
    base = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    for part, settings in (("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("apputils-extension/notification", {"fetchNews": "false", "checkForUpdates": False})):
        path = base / f"{part}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    if owner:
        subprocess.run(["chown", "-R", f"{owner}:{owner}", str(home / ".jupyter")], check=True)


class Classroom:
    """A class on this machine, undone on exit: a folder, ``n`` student accounts, the course served
    by ``git daemon`` and a read-only shared data cache; ``start_hub`` then starts the hub for them.

    ``with Classroom("lts", 2) as room: hub = room.start_hub()`` (``room.names``, ``room.homes``,
    ``room.data``, ``room.course``, ``room.accounts``). The account names are ``prefix`` + five
    random letters + a number, so a class left over by a killed run never collides with a new one.
    """

    def __init__(self, prefix: str, students: int, data_source: Path | None = None):
        self.prefix, self.students = prefix, students
        default = Path(os.environ.get("LSTM_TEACH_DATA", ROOT / ".data"))
        self.data_source = default if data_source is None else data_source
        self.course = self.hub = None

    def open(self) -> Classroom:
        """Set the class up (what ``with`` does); ``close`` undoes it, also after a failure half-way."""
        self.folder = make_folder()
        self.permissions = Permissions()
        self.accounts = Accounts(self.folder / "homes")
        try:
            (self.folder / "homes").mkdir(mode=0o755)
            # The students run this Python, its packages and the course's package copy.
            for path in (Path(sys.executable).resolve().parent, Path(sys.prefix), Path(sys.base_prefix)):
                self.permissions.open_path_for_others(path)
            self.course = Course(self.folder)
            self.data = shared_data(self.folder, self.data_source)
            tag = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(5))
            self.names = [f"{self.prefix}{tag}{n}" for n in range(1, self.students + 1)]
            self.homes = [self.accounts.add(name) for name in self.names]
        except BaseException:
            self.close()
            raise
        return self

    def start_hub(self) -> LocalHub:
        self.hub = LocalHub(self.folder, self.names, self.data, self.course.package)
        return self.hub

    def close(self) -> None:
        """Stop the hub and the git daemon, remove the accounts and the folder, restore folder modes."""
        if not hasattr(self, "folder"):  # never opened
            return
        if self.hub is not None:
            self.hub.stop()
        if self.course is not None:
            self.course.stop()
        self.accounts.remove()
        self.permissions.restore()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Classroom:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()
