"""A throw-away etcd (Debian's etcd-server, v2 API on) on loopback, for fleetctl's etcd driver."""

from __future__ import annotations

import contextlib
import itertools
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_ports(count: int) -> list[int]:
    """COUNT distinct ports free on loopback now (another process may take one before etcd
    binds it: ``etcd_server`` then tries again)."""
    with contextlib.ExitStack() as probes:
        ports = []
        for _ in range(count):
            probe = probes.enter_context(socket.socket())
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
        return ports


@contextmanager
def etcd_server(etcd: str, directory: Path) -> Iterator[str]:
    """Run ``etcd`` with its data in ``directory``; yield its client URL once it answers."""
    for attempt in itertools.count(1):
        client, peer = free_ports(2)
        client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
        server = subprocess.Popen(
            [etcd, "--enable-v2=true", "--data-dir", str(directory / f"data{attempt}"),
             "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
             "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
             "--initial-cluster", f"default={peer_url}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            if _answers(client_url, server):
                break
        except BaseException:
            _stop(server)
            raise
        _stop(server)
        if attempt == 3:
            raise RuntimeError("etcd did not start")
    try:
        yield client_url
    finally:
        _stop(server)


def _answers(client_url: str, server: subprocess.Popen[bytes]) -> bool:
    """Wait until etcd answers at CLIENT_URL (True), or has exited, a port taken (False)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{client_url}/v2/keys/", timeout=1):
                return True
        except OSError:
            if server.poll() is not None:
                return False
            if time.monotonic() > deadline:
                raise RuntimeError("etcd did not answer in 30 s") from None
            time.sleep(0.05)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)
