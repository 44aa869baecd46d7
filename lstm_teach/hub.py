"""One link per student on a JupyterHub: the nbgitpuller link that hands out the course.

A student who clicks ``{hub}/hub/user-redirect/git-pull?repo=...&urlpath=...`` logs in, and
nbgitpuller (jupyterhub/nbgitpuller, installed on the hub) clones the repository into their home
folder, or, on a later click, pulls the teacher's new commits into that clone without overwriting
what the student changed, then opens ``urlpath`` in JupyterLab. The parameter names (``repo``,
``branch``, ``targetpath``, ``urlpath``) are nbgitpuller's; its own link generator encodes each
value with JavaScript's ``encodeURIComponent``, as :func:`hub_link` does with ``quote(safe="")``.
``python -m lstm_teach hub-link`` prints the link; the README's "Teaching on a JupyterHub" says
what happens on a conflict.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path
from urllib.parse import quote, urlsplit

CHECKOUT = Path(__file__).resolve().parents[1]  # the repository, when the package runs from one


def repository_url() -> str:
    """The course repository: ``[project.urls] Repository`` of the checkout or the installed package."""
    pyproject = CHECKOUT / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text())["project"]
        if project.get("name") == "lstm-teach":
            return project["urls"]["Repository"]
    for entry in importlib.metadata.metadata("lstm-teach").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip() == "Repository":
            return url.strip()
    raise LookupError("no Repository URL in lstm-teach's metadata; pass the repository explicitly")


def folder_name(repo: str) -> str:
    """The folder the clone gets in each home: the repository's last path part, without ``.git``."""
    path = urlsplit(repo).path if "://" in repo else repo
    name = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    if not name or name in (".", ".."):
        raise ValueError(f"repo={repo!r} ends in no usable folder name; give a URL like "
                         "https://github.com/OWNER/NAME")
    return name


def notebook_path(notebook: str, notebooks: Path | None = None) -> str:
    """``notebooks/NN_name.ipynb`` for ``"03"``, ``"03_lstm_from_scratch"`` or the full file name.

    A number alone is looked up in the checkout's ``notebooks/`` folder (``notebooks`` to use
    another); a full ``NN_name.ipynb`` is taken as given.
    """
    if not isinstance(notebook, str):
        raise TypeError(f"notebook must be a str like '03', not {type(notebook).__name__} {notebook!r}")
    match = re.fullmatch(r"(?:notebooks/)?(\d{2})(_[\w-]+)?(\.ipynb)?", notebook.strip())
    if not match:
        raise ValueError(f"notebook={notebook!r}: give a number like '03' or a file name like "
                         "'03_lstm_from_scratch.ipynb'")
    number, rest, _ = match.groups()
    if rest:
        return f"notebooks/{number}{rest}.ipynb"
    folder = notebooks if notebooks is not None else CHECKOUT / "notebooks"
    found = sorted(folder.glob(f"{number}_*.ipynb")) if folder.is_dir() else []
    if len(found) == 1:
        return f"notebooks/{found[0].name}"
    have = sorted(p.name for p in folder.glob("[0-9][0-9]_*.ipynb")) if folder.is_dir() else []
    if not have:
        raise ValueError(f"notebook={notebook!r}: no notebooks folder at {folder} to look the number up "
                         "in; give the full file name, e.g. '03_lstm_from_scratch.ipynb'")
    raise ValueError(f"notebook={notebook!r}: no notebook numbered {number}; "
                     f"there are {', '.join(have)}")


def hub_link(hub: str, repo: str | None = None, notebook: str | None = None,
             branch: str | None = None, notebooks: Path | None = None) -> str:
    """The nbgitpuller link that clones or updates ``repo`` and opens ``notebook`` in JupyterLab.

    ``hub`` is the hub's address (``https://hub.example.org``, or with a base path); ``repo``
    defaults to this course's repository; ``branch`` to the repository's default branch (the
    parameter is left out); without ``notebook`` the link opens the course's ``notebooks/`` folder.
    """
    if not isinstance(hub, str) or urlsplit(hub).scheme not in ("http", "https") or not urlsplit(hub).netloc:
        raise ValueError(f"hub={hub!r}: give the hub's address, e.g. https://hub.example.org")
    if urlsplit(hub).query or urlsplit(hub).fragment:
        raise ValueError(f"hub={hub!r}: the address must have no ?query or #fragment")
    repo = repo or repository_url()
    if branch is not None and (not branch.strip() or any(c.isspace() for c in branch)):
        raise ValueError(f"branch={branch!r}: give a git branch name without spaces, or leave it out")
    folder = folder_name(repo)
    target = notebook_path(notebook, notebooks) if notebook is not None else "notebooks"
    params = [("repo", repo)]
    if branch is not None:
        params.append(("branch", branch))
    params += [("targetpath", folder), ("urlpath", f"lab/tree/{folder}/{target}")]
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params)
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"
