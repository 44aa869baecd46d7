"""N students on one JupyterHub at once: notebook 02 in quick mode through the hub's own kernels.

    sudo python benchmarks/hub_load.py                 # 1, 2, 4 and 8 students
    sudo python benchmarks/hub_load.py --students 2 4  # other class sizes

Starts the hub of ``hub/jupyterhub_config.py`` on 127.0.0.1 (hub/localhub.py: dummy login, a
real Unix account per simulated student, removed afterwards). For each class size N, N students'
servers are started through the hub's REST API, then each student's kernel runs every code cell
of ``notebooks/02_lstm_cell.ipynb`` in order, all N at the same time, over the same websocket
a browser uses (Jupyter's kernel messaging protocol, version 5.3). It prints each student's
wall time and failures, the peak memory of each student's processes (server + kernel) and the
load average of the machine before and after: a measurement, not a test. Run it on a quiet
machine if you can; other users' work on the same cores shows up in the times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hub"))
import localhub  # noqa: E402


def code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _message(code: str, session: str) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "bench",
                       "session": session, "date": datetime.now(timezone.utc).isoformat(), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}


async def run_student(hub: localhub.LocalHub, name: str, cells: list[str]) -> dict:
    """Start a kernel in ``name``'s server and run ``cells`` one after another; times and failure."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    base = f"{hub.url}/user/{name}/api/kernels"
    headers = {"Authorization": f"token {hub.token}"}
    client = AsyncHTTPClient()
    start = time.monotonic()
    response = await client.fetch(HTTPRequest(base, method="POST", headers=headers, body=json.dumps({}),
                                              request_timeout=300))
    kernel = json.loads(response.body)["id"]
    ws_url = base.replace("http://", "ws://") + f"/{kernel}/channels"
    ws = await websocket_connect(HTTPRequest(ws_url, headers=headers, request_timeout=300))
    session, failure, ran = uuid.uuid4().hex, None, 0
    started = time.monotonic()
    try:
        for code in cells:
            request = _message(code, session)
            await ws.write_message(json.dumps(request))
            while True:
                raw = await ws.read_message()
                if raw is None:
                    failure = "the kernel's websocket closed"
                    break
                reply = json.loads(raw)
                if reply.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                    continue
                if reply["msg_type"] == "execute_reply":
                    if reply["content"]["status"] != "ok":
                        failure = f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
                    break
            if failure:
                break
            ran += 1
    finally:
        ws.close()
        await client.fetch(HTTPRequest(f"{base}/{kernel}", method="DELETE", headers=headers), raise_error=False)
    end = time.monotonic()
    return {"student": name, "kernel_start_s": started - start, "run_s": end - started, "cells": ran,
            "failure": failure}


class PeakMemory:
    """Samples the resident memory of each account's processes every half second; keeps the peak."""

    def __init__(self, uids: dict[str, int]):
        self.uids, self.peak = uids, dict.fromkeys(uids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import psutil

        by_uid = {uid: name for name, uid in self.uids.items()}
        while not self._stop.wait(0.5):
            now = dict.fromkeys(self.uids, 0)
            for p in psutil.process_iter(["uids", "memory_info"]):
                name = by_uid.get(p.info["uids"].real if p.info["uids"] else None)
                if name and p.info["memory_info"]:
                    now[name] += p.info["memory_info"].rss
            for name, rss in now.items():
                self.peak[name] = max(self.peak[name], rss)

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peak


def wait_servers(hub: localhub.LocalHub, names: list[str], timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        users = {u["name"]: u for u in hub.api("/users")}
        if all(users[n]["servers"].get("", {}).get("ready") for n in names):
            return
        time.sleep(1)
    raise RuntimeError(f"servers not ready after {timeout:.0f} s:\n{hub.log()}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 2, 4, 8], help="class sizes to run")
    parser.add_argument("--notebook", default=str(ROOT / "notebooks" / "02_lstm_cell.ipynb"))
    args = parser.parse_args(argv)
    reason = localhub.missing_tools()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    cells = code_cells(Path(args.notebook))
    with localhub.Classroom("ltb", max(args.students)) as room:
        names = room.names
        hub = room.start_hub()
        hub.wait_ready()
        cpus = os.cpu_count()
        print(f"{len(cells)} code cells of {Path(args.notebook).name}, quick mode, one torch thread per kernel; "
              f"{cpus} CPU cores; load average at start {os.getloadavg()[0]:.2f}")
        for n in args.students:
            group = names[:n]
            for name in group:
                hub.api(f"/users/{name}/server", method="POST", body={})
            wait_servers(hub, group)
            load_before = os.getloadavg()
            memory = PeakMemory({name: room.accounts.uid(name) for name in group})

            async def everyone(group=group):  # bound now: the loop moves on to the next group
                return await asyncio.gather(*(run_student(hub, name, cells) for name in group),
                                            return_exceptions=True)

            start = time.monotonic()
            results = asyncio.run(everyone())
            wall = time.monotonic() - start
            peak = memory.stop()
            load_after = os.getloadavg()
            print(f"\n{n} student(s) at once: all done in {wall:.0f} s; load average (1 min) "
                  f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
            failures = 0
            for name, result in zip(group, results):
                if isinstance(result, BaseException):
                    failures += 1
                    print(f"  {name}: FAILED {type(result).__name__}: {result}")
                    continue
                failures += bool(result["failure"])
                state = f"FAILED at cell {result['cells'] + 1}: {result['failure']}" if result["failure"] else "ok"
                print(f"  {name}: kernel start {result['kernel_start_s']:5.1f} s, notebook {result['run_s']:6.1f} s, "
                      f"{result['cells']}/{len(cells)} cells, peak memory {peak[name] / 2**20:5.0f} MiB, {state}")
            times = [r["run_s"] for r in results if isinstance(r, dict) and not r["failure"]]
            if times:
                print(f"  notebook time: mean {sum(times) / len(times):.1f} s, max {max(times):.1f} s; "
                      f"{n / cpus:.1f} students per core; {failures} failure(s)")
            for name in group:
                hub.api(f"/users/{name}/server", method="DELETE")
        return 0

if __name__ == "__main__":
    sys.exit(main())
