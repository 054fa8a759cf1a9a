"""Reading a whole file in as few calls as the platform allows, whatever kind of file it is."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from unitgen.files import read_bytes


@pytest.mark.parametrize("size", [0, 1, 4095, 70_000])
def test_a_regular_file_is_read_whole(tmp_path: Path, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"\r\n" * (size % 256 // 2) + b"x" * (size % 2)
    (tmp_path / "f").write_bytes(data)
    assert read_bytes(tmp_path / "f") == data
    assert read_bytes(os.fspath(tmp_path / "f")) == data


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_file_without_a_size_is_read_to_its_end(tmp_path: Path) -> None:
    """A pipe reports size 0, as /proc files do: its bytes come in several reads."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = b"line\n" * 30_000

    def feed() -> None:
        with open(fifo, "wb") as writer:
            for start in range(0, len(data), 1000):
                writer.write(data[start : start + 1000])
                writer.flush()

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        assert read_bytes(fifo) == data
    finally:
        feeder.join()


def test_what_cannot_be_read_raises_the_error_open_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "missing")
    with pytest.raises(IsADirectoryError):
        read_bytes(tmp_path)
