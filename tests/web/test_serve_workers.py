"""``potbank serve`` as real processes: N gunicorn workers, or two instances with their own
index folders on one PostgreSQL catalogue, all see a catalogue write within seconds."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.catalogue import get_or_create_institution, upsert_ware
from archive.settings import Settings, load_settings
from web.serving import KEEPALIVE_REQUESTS

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    base: str
    group: int  # the process group: the server and every process it started

    def writer_processes(self) -> list[int]:
        """Live processes of the group running ``index.writer_process``."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if not entry.name.isdigit() or os.getpgid(int(entry.name)) != self.group:
                    continue
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue  # ended meanwhile
            if (
                b"index.writer_process" in command
                and (entry / "stat").read_text().split(") ")[1][0] not in "ZX"
            ):
                found.append(int(entry.name))
        return found


@contextmanager
def _serve(settings: Settings, workers: int) -> Iterator[Served]:
    port = _free_port()
    env = {
        **os.environ,
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-c", "from web.cli import main; main()", "serve"]
    command += ["--port", str(port), "--workers", str(workers), "--threads", "4"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.communicate()[0].decode()
            try:
                with urllib.request.urlopen(f"{base}/api/v1/search?q=x", timeout=5):  # noqa: S310
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
        yield Served(base, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)


def _total(base: str, words: str) -> int:
    url = f"{base}/api/v1/search?q={urllib.parse.quote(words)}"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback http)
        return int(json.load(response)["total"])


def _publish(session_factory, accession: str, title: str) -> None:
    """A catalogue write as any process makes it: committed, logged, nothing else."""
    with session_factory() as session:
        museum = get_or_create_institution(session, "Serving Museum")
        upsert_ware(
            session,
            institution=museum,
            accession_number=accession,
            fields={"title_en": title, "status": "published"},
        )
        session.commit()


def _seconds_until_every_answer_finds(bases: list[str], words: str, limit: float) -> float:
    start = time.monotonic()
    while True:
        # Several requests per server, so that each of its worker processes answers some.
        if all(_total(base, words) == 1 for base in bases for _ in range(6)):
            return time.monotonic() - start
        assert time.monotonic() - start < limit, f"{words!r} not searchable everywhere"
        time.sleep(0.05)


def _connection_headers(base: str, requests: int) -> list[str | None]:
    """The Connection header of each answer to ``requests`` requests on one connection."""
    address = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    headers = []
    try:
        for _ in range(requests):
            connection.request("GET", "/api/v1/search?q=teapot")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            headers.append(response.getheader("Connection"))
            if response.will_close:
                break
    finally:
        connection.close()
    return headers


@pytest.mark.slow
def test_every_worker_sees_a_write_within_seconds(settings, session_factory):
    with _serve(settings, workers=2) as served:
        base = served.base
        # A long-lived connection is handed back after its share of requests, so that new
        # connections spread over the workers (serving.KEEPALIVE_REQUESTS).
        headers = _connection_headers(base, KEEPALIVE_REQUESTS + 5)
        assert len(headers) == KEEPALIVE_REQUESTS
        assert headers[-1] == "close" and "close" not in headers[:-1]
        _publish(session_factory, "SW-1", "Worker-visible teapot")
        assert _seconds_until_every_answer_finds([base], "worker-visible teapot", 5.0) < 5.0
        _publish(session_factory, "SW-2", "Second saucer")
        assert _seconds_until_every_answer_finds([base], "second saucer", 5.0) < 5.0


@pytest.mark.slow
@pytest.mark.postgres
def test_two_instances_on_one_postgresql_catalogue_converge(
    settings, session_factory, database_url, tmp_path
):
    if not database_url.startswith("postgresql"):
        pytest.skip("two machines share a PostgreSQL catalogue; SQLite is one machine's file")
    other = load_settings(
        {"POTBANK_HOME": str(tmp_path / "second"), "POTBANK_DATABASE_URL": database_url}
    )
    with _serve(settings, workers=1) as first, _serve(other, workers=1) as second:
        _publish(session_factory, "TI-1", "Converging celadon bowl")
        _seconds_until_every_answer_finds([first.base, second.base], "converging celadon", 10.0)
    assert settings.index_dir != other.index_dir


@pytest.mark.slow
def test_the_writer_runs_in_its_own_process_and_a_worker_takes_over_when_it_dies(
    settings, session_factory
):
    with _serve(settings, workers=2) as served:
        [writer] = served.writer_processes()
        _publish(session_factory, "WP-1", "Writer-process jug")
        _seconds_until_every_answer_finds([served.base], "writer-process jug", 5.0)
        os.kill(writer, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while served.writer_processes():
            assert time.monotonic() < deadline, "the killed writer process is still there"
            time.sleep(0.1)
        # The standby writer thread of a request worker takes the write lock over.
        _publish(session_factory, "WP-2", "Standby-applied ewer")
        _seconds_until_every_answer_finds([served.base], "standby-applied ewer", 15.0)
