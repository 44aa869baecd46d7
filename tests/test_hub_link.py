"""``python -m lstm_teach hub-link`` (the nbgitpuller link, parsed back part by part) and the hub
files: ``hub/jupyterhub_config.py``, ``hub/Dockerfile`` and ``hub/z2jh-values.yaml`` give students
the same environment. The hub itself runs in tests/test_hub.py."""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from lstm_teach import hub
from lstm_teach.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def _parts(link: str):
    url = urlsplit(link)
    return url, dict(parse_qsl(url.query, strict_parsing=True))


def test_link_opens_the_numbered_notebook_of_this_course():
    url, query = _parts(hub.hub_link("https://hub.example.org", notebook="03"))
    assert (url.scheme, url.netloc, url.path) == ("https", "hub.example.org", "/hub/user-redirect/git-pull")
    repo = hub.repository_url()
    assert repo.startswith("https://github.com/")
    name = repo.rstrip("/").rsplit("/", 1)[-1]
    (notebook,) = sorted((ROOT / "notebooks").glob("03_*.ipynb"))
    assert query == {"repo": repo, "targetpath": name, "urlpath": f"lab/tree/{name}/notebooks/{notebook.name}"}
    assert "branch" not in query  # nbgitpuller then pulls the repository's default branch


def test_every_value_is_percent_encoded_like_encodeURIComponent():
    link = hub.hub_link("https://hub.example.org/course/", repo="https://git.example.org/a b/lstm-teach.git",
                        notebook="02_lstm_cell.ipynb", branch="teacher/fix-2&3")
    url, query = _parts(link)
    assert url.path == "/course/hub/user-redirect/git-pull"  # a hub under a base path, one slash
    raw = url.query
    assert "repo=https%3A%2F%2Fgit.example.org%2Fa%20b%2Flstm-teach.git" in raw
    assert "branch=teacher%2Ffix-2%263" in raw and "urlpath=lab%2Ftree%2Flstm-teach%2Fnotebooks%2F" in raw
    assert not set(raw) & set(" /:?#+"), raw  # '&' and '=' only between parameters
    assert query["branch"] == "teacher/fix-2&3"
    assert query["targetpath"] == "lstm-teach"  # without .git, unlike nbgitpuller's own default
    assert query["urlpath"] == "lab/tree/lstm-teach/notebooks/02_lstm_cell.ipynb"


def test_without_a_notebook_the_link_opens_the_notebooks_folder():
    _, query = _parts(hub.hub_link("http://127.0.0.1:8000", repo="/srv/course/lstm-teach", branch="main"))
    assert query == {"repo": "/srv/course/lstm-teach", "branch": "main", "targetpath": "lstm-teach",
                     "urlpath": "lab/tree/lstm-teach/notebooks"}


@pytest.mark.parametrize("given", ["5", "05", "05_imdb", "notebooks/05_imdb.ipynb", "05_imdb.ipynb"])
def test_notebook_path_accepts_a_number_or_a_file_name(tmp_path, given):
    (tmp_path / "05_imdb.ipynb").write_text("{}")
    (tmp_path / "06_lyrics.ipynb").write_text("{}")
    if given == "5":
        with pytest.raises(ValueError, match="notebook='5'.*number like '03'"):
            hub.notebook_path(given, tmp_path)
    else:
        assert hub.notebook_path(given, tmp_path) == "notebooks/05_imdb.ipynb"


def test_every_notebook_number_of_the_checkout_resolves():
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert hub.notebook_path(notebook.name[:2]) == f"notebooks/{notebook.name}"


def test_bad_input_names_the_argument_and_what_is_allowed(tmp_path):
    (tmp_path / "01_a.ipynb").write_text("{}")
    with pytest.raises(ValueError, match=r"notebook='09'.*no notebook numbered 09; there are 01_a.ipynb"):
        hub.notebook_path("09", tmp_path)
    with pytest.raises(ValueError, match=r"no notebooks folder at .*give the full file name"):
        hub.notebook_path("01", tmp_path / "missing")
    with pytest.raises(TypeError, match="notebook must be a str like '03', not int 3"):
        hub.notebook_path(3, tmp_path)
    for bad in ["hub.example.org", "ftp://hub.example.org", "https://", "https://h.org/?next=x"]:
        with pytest.raises(ValueError, match=r"hub="):
            hub.hub_link(bad, repo="https://github.com/o/r")
    with pytest.raises(ValueError, match=r"branch='my branch'"):
        hub.hub_link("https://h.org", repo="https://github.com/o/r", branch="my branch")
    with pytest.raises(ValueError, match=r"repo='https://github.com/'"):
        hub.hub_link("https://h.org", repo="https://github.com/")


def test_cli_prints_the_link_and_rejects_bad_input(capsys):
    assert main(["hub-link", "--hub", "https://hub.example.org", "--notebook", "02", "--branch", "main"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == hub.hub_link("https://hub.example.org", notebook="02", branch="main")
    with pytest.raises(SystemExit) as stop:
        main(["hub-link", "--hub", "hub.example.org"])
    assert stop.value.code == 2
    assert "hub='hub.example.org'" in capsys.readouterr().err


def _class_config(prefix="/usr"):
    """hub/jupyterhub_config.py evaluated as JupyterHub does, into a plain traitlets Config."""
    from traitlets.config import Config

    config = Config()
    source = (ROOT / "hub" / "jupyterhub_config.py").read_text()
    sys_module = type("sys", (), {"prefix": prefix, "executable": "/hub/bin/python"})
    exec(compile(source.replace("import sys\n", ""), "jupyterhub_config.py", "exec"),
         {"get_config": lambda: config, "sys": sys_module})
    return config


def test_hub_config_dockerfile_and_helm_values_give_students_the_same_environment():
    config = _class_config()
    environment = dict(config.Spawner.environment)
    assert environment["LSTM_TEACH_QUICK"] == "1" and environment["OMP_NUM_THREADS"] == "1"
    values = yaml.safe_load((ROOT / "hub" / "z2jh-values.yaml").read_text())
    assert values["singleuser"]["extraEnv"] == environment
    docker = (ROOT / "hub" / "Dockerfile").read_text()
    env_block = re.search(r"^ENV (.*?)(?:\n\n|\Z)", docker, re.S | re.M).group(1)
    assert dict(re.findall(r"(\w+)=(\S+)", env_block)) == environment
    assert "download.pytorch.org/whl/cpu" in docker  # CPU torch, not the CUDA build
    # Limits and the idle culler agree too.
    assert values["singleuser"]["memory"]["limit"] == config.Spawner.mem_limit
    assert values["singleuser"]["cpu"]["limit"] == config.Spawner.cpu_limit
    (culler,) = config.JupyterHub.services
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert f"--timeout={values['cull']['timeout']}" in culler["command"]
    (role,) = config.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"] and "delete:servers" in role["scopes"]
    assert config.Spawner.default_url == values["singleuser"]["defaultUrl"] == "/lab"


def test_under_tljh_the_config_adds_only_the_environment():
    config = _class_config(prefix="/opt/tljh/hub")
    assert "environment" in config.Spawner and "mem_limit" not in config.Spawner
    assert "services" not in config.JupyterHub  # TLJH's own culler stays
