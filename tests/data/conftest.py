"""Fixtures for the data tests: the real MNIST files (from $MINIDL_DATA) and a local HTTP server."""
import functools
import http.server
import os
import socket
import threading

import pytest


@pytest.fixture
def mnist_dir():
    """$MINIDL_DATA/mnist with the four original .gz files, or skip."""
    root = os.environ.get("MINIDL_DATA")
    if not root:
        pytest.skip("MINIDL_DATA is not set (export MINIDL_DATA=<folder with mnist/>)")
    folder = os.path.join(root, "mnist")
    if not os.path.isfile(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")):
        pytest.skip(f"no MNIST .gz files in {folder}")
    return folder


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test output clean
        pass


@pytest.fixture
def http_server():
    """A factory: ``serve(folder) -> base URL`` of a threaded HTTP server on 127.0.0.1."""
    servers = []

    def serve(folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                  daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
