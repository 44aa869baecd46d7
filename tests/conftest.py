"""Fixtures: a fresh data folder per test, and a local HTTP server standing in for the web."""

import functools
import http.server
import threading

import pytest


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty data folder for one test (LSTM_TEACH_DATA points at it)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("LSTM_TEACH_DATA", str(folder))
    monkeypatch.delenv("LSTM_TEACH_OFFLINE", raising=False)
    return folder


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / "www"`` on 127.0.0.1; yields ``(folder, base_url)``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_url():
    """A URL on 127.0.0.1 where nothing listens: a download fails at once, as offline."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
