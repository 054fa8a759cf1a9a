"""A throw-away etcd (Debian's etcd-server, v2 API on) on loopback, for fleetctl's etcd driver."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def etcd_server(etcd: str, directory: Path) -> Iterator[str]:
    """Run ``etcd`` with its data in ``directory``; yield its client URL once it answers."""
    client, peer = free_port(), free_port()
    client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    server = subprocess.Popen(
        [etcd, "--enable-v2=true", "--data-dir", str(directory / "data"),
         "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
         "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
         "--initial-cluster", f"default={peer_url}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{client_url}/v2/keys/", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("etcd did not start") from None
                time.sleep(0.1)
        yield client_url
    finally:
        server.terminate()
        server.wait(timeout=30)
