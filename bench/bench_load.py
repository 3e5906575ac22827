"""Load on a real ``potbank serve``: one process against ``--workers 2``, then the same while an
ingest and a curator's saves write into the instance.

A temporary instance gets the demo collection (photographs, so IIIF images are served) and N
synthetic wares. The server runs as a real process on a loopback port. C keep-alive connections
send for T seconds a mix of English, Chinese and faceted API searches, search pages, ware pages and
IIIF images, each request a path drawn at random. The table gives requests/s, p50/p95 latency and
errors for each phase; the single-process figures are the baseline of the same run. Each server
is loaded once it has settled (its CPU quiet for a second: workers warmed, writer prepared).

The third phase runs the two-worker server while ``potbank ingest`` loads M more wares and a
curator saves a ware every 3 s (a committed catalogue change, as the curating page makes): each
save's searchable delay is measured, and ``potbank index verify`` must be clean afterwards.

The load is driven by wrk (Debian's ``wrk``; ``make bench`` installs it) with
``bench/load_mix.lua``, as locust's equivalent: a C event loop that costs the two cores a few per
cent. A Python client (threads over ``http.client``, or locust with gevent) took most of a core
from the server it measured: the single process got one core either way, the two workers one
between them, and the ratio read about 1.1x whatever the server did. The client still shares the
cores with the server, which understates the server slightly (say so when quoting it).

    python bench/bench_load.py [--quick] [--clients 50] [--seconds 60] [--wares 20000]
                               [--ingest 28258] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from archive.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from archive.index_log import log_position  # noqa: E402
from archive.models import Photograph, Ware, WareStatus  # noqa: E402
from archive.settings import Settings, load_settings  # noqa: E402
from index.generations import Generations  # noqa: E402

ENGLISH = ["blue and white", "celadon vase", "porcelain bowl", "teapot", "dragon", "famille rose"]
CHINESE = ["青花", "青瓷", "粉彩", "景德镇", "龙纹"]
FACETS = ["material=porcelain", "object_type=vase", "material=stoneware&q=bowl"]
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass
class Phase:
    """One load phase as wrk reported it (see bench/load_mix.lua)."""

    name: str
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    errors: int = 0
    server_cores: float = 0.0
    notes: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        return (
            f"| {self.name} | {self.requests} | {self.rate:.1f} | {self.p50_ms:.0f} "
            f"| {self.p95_ms:.0f} | {self.errors} | {self.server_cores:.2f} | {self.notes} |"
        )


def _synthetic(path: Path, count: int, prefix: str) -> Path:
    materials = ["porcelain", "stoneware", "earthenware", "bone china"]
    kinds = ["vase", "bowl", "dish", "teapot", "jar", "cup"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["accession_number", "institution", "title_en", "title_zh", "object_type",
             "material", "description_en", "rights", "status"]
        )  # fmt: skip
        for number in range(count):
            kind = kinds[number % len(kinds)]
            writer.writerow(
                [
                    f"{prefix}-{number:06d}",
                    "Load Test Museum",
                    f"{random.choice(['Blue and white', 'Celadon', 'Famille rose'])} {kind} "
                    f"{number}",
                    random.choice(["青花瓷瓶", "青瓷碗", "粉彩盘", "龙纹罐"]),
                    kind,
                    materials[number % len(materials)],
                    f"A {kind} with dragon and lotus pattern, number {number}",
                    "https://creativecommons.org/publicdomain/zero/1.0/",
                    "published",
                ]
            )
    return path


@dataclass
class Server:
    """A running ``potbank serve``: its port, and its process group (started in a session of
    its own, so the group is the server and every worker it forks)."""

    port: int
    group: int

    def cpu_seconds(self) -> float:
        """User and system CPU time of every live process in the server's group."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # Fields after the ")" that ends the command name: state is [0], pgrp [2],
                # utime [11], stime [12].
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended while the folder was read
            if int(fields[2]) == self.group:
                total += int(fields[11]) + int(fields[12])
        return total / tick


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(ROOT),
    }


def _potbank(settings: Settings, *arguments: str, **options: object) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from web.cli import main; main()", *arguments]
    return subprocess.Popen(command, env=_env(settings), **options)  # type: ignore[call-overload]


@contextmanager
def _server(settings: Settings, workers: int) -> Iterator[Server]:
    port = _free_port()
    process = _potbank(
        settings,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError("the server stopped")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/api/v1/search?q=vase")
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        server = Server(port, process.pid)
        _settle(server)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _settle(server: Server, limit: float = 90.0) -> None:
    """Wait until the server's start-up work is done: every worker warmed (indexes opened,
    templates compiled), the writer prepared and its drift check made. The first answer comes
    from the first worker ready; load started then measured the start-up, and the connections
    opened at once all went to that one worker."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(1.0)
        if server.cpu_seconds() - before < 0.1:
            return


def _paths(ware_ids: list[int], shas: list[str]) -> list[str]:
    paths = []
    for words in ENGLISH + CHINESE:
        quoted = urllib.parse.quote(words)
        paths += [f"/api/v1/search?q={quoted}", f"/?q={quoted}"]
    paths += [f"/api/v1/search?{facet}" for facet in FACETS]
    paths += [f"/?q=&{facet}" for facet in FACETS]
    paths += [f"/wares/{ware_id}" for ware_id in random.sample(ware_ids, min(20, len(ware_ids)))]
    paths += [f"/iiif/3/{sha}/full/320,/0/default.jpg" for sha in shas[:10]]
    paths += [f"/iiif/3/{sha}/info.json" for sha in shas[:5]]
    return paths


def _load(server: Server, paths: list[str], clients: int, seconds: float, phase: Phase) -> None:
    """``clients`` keep-alive connections for ``seconds``, driven by wrk (C, event loop): a
    Python client would take most of a core from the server it measures on these two cores."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    cpu_before = server.cpu_seconds()
    try:
        done = subprocess.run(
            ["wrk", "--threads", "1", "--connections", str(clients),
             "--duration", f"{seconds:.0f}s", "--timeout", "30s",
             "--script", str(ROOT / "bench" / "load_mix.lua"),
             f"http://127.0.0.1:{server.port}", "--", listing.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(listing.name)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    phase.server_cores = (server.cpu_seconds() - cpu_before) / report["seconds"]
    phase.requests = report["requests"]
    phase.seconds = report["seconds"]
    phase.p50_ms, phase.p95_ms = report["p50_ms"], report["p95_ms"]
    # Any answer >= 400 (every path in the mix exists), and every failed or timed-out request.
    phase.errors = sum(report[kind] for kind in ("connect", "read", "write", "status", "timeout"))


def _searchable_after(port: int, token: str, limit: float = 10.0) -> float:
    start = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while time.monotonic() - start < limit:
            connection.request("GET", f"/api/v1/search?q={token}")
            body = connection.getresponse().read()
            if b'"total":1' in body.replace(b" ", b""):
                return time.monotonic() - start
            time.sleep(0.05)
    finally:
        connection.close()
    return float("inf")


def _curator(settings: Settings, port: int, ware_ids: list[int], stop: threading.Event,
             delays: list[float]) -> None:  # fmt: skip
    """Save a ware every 3 s (a committed change, logged like the curating page's) and time
    until the public search finds it."""
    factory = make_session_factory(make_engine(settings.database_url))
    while not stop.wait(3.0):
        token = "saved" + uuid.uuid4().hex[:10]
        with factory() as session:
            ware = session.get(Ware, random.choice(ware_ids))
            assert ware is not None
            ware.description_en = f"Curator note {token}"
            session.commit()
        delays.append(_searchable_after(port, token))


def _writer_drained(settings: Settings, factory: sessionmaker[Session], limit: float) -> float:
    """Seconds until the serving generation has applied the whole change log (the writer
    works through the ingest's backlog after the ingest ends)."""
    start = time.monotonic()
    generations = Generations(settings.index_dir)
    while time.monotonic() - start < limit:
        with factory() as session:
            if generations.current().applied_seq >= log_position(session).last_seq:
                return time.monotonic() - start
        time.sleep(0.5)
    return float("inf")


def _instance(args: argparse.Namespace, folder: Path) -> Settings:
    if args.database == "postgresql":
        name = "potbank_bench_" + uuid.uuid4().hex[:8]
        engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        url = f"{PG_SERVER}/{name}"
    else:
        url = f"sqlite:///{folder / 'potbank.sqlite3'}"
    settings = load_settings({"POTBANK_HOME": str(folder), "POTBANK_DATABASE_URL": url})
    upgrade_database(url)
    return settings


def _run(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-c", "from web.cli import main; main()", *arguments]
    return subprocess.run(command, env=_env(settings), capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s, 12 clients, small data")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--wares", type=int, default=20000)
    parser.add_argument("--ingest", type=int, default=28258)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="the catalogue's database (both: one run on each, SQLite first)",
    )
    args = parser.parse_args()
    if args.quick:
        args.clients, args.seconds, args.wares, args.ingest = 12, 10.0, 1500, 3000
    if shutil.which("wrk") is None:
        parser.exit(2, "bench_load needs wrk: apt-get install wrk (make bench installs it)\n")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for database in databases:
        if database == "postgresql" and not _postgresql_answers():
            print(f"\nPostgreSQL run skipped: no server answers at {PG_SERVER}")
            continue
        random.seed(7)
        with tempfile.TemporaryDirectory(prefix="potbank-load-") as temp:
            folder = Path(temp)
            settings = _instance(argparse.Namespace(**{**vars(args), "database": database}),
                                 folder / "instance")  # fmt: skip
            try:
                _bench(args, settings, folder)
            finally:
                _drop(settings)


def _postgresql_answers() -> bool:
    try:
        engine = create_engine(f"{PG_SERVER}/postgres")
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # no driver, no server, refused: the run is skipped, and says so
        return False


def _drop(settings: Settings) -> None:
    if not settings.database_url.startswith("postgresql"):
        return
    name = settings.database_url.rsplit("/", 1)[1]
    engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _bench(args: argparse.Namespace, settings: Settings, folder: Path) -> None:
    for sample in sorted((ROOT / "samples").glob("*/wares.csv")):
        images = sample.parent / "images"
        extra = ["--images", str(images)] if images.is_dir() else []
        done = _run(settings, "ingest", str(sample), *extra)
        assert done.returncode == 0, done.stdout + done.stderr
    source = _synthetic(folder / "base.csv", args.wares, "LB")
    done = _run(settings, "ingest", str(source))
    assert done.returncode == 0, done.stdout + done.stderr
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session:
        ware_ids = list(session.scalars(select(Ware.id).where(Ware.status == WareStatus.PUBLISHED)))
        shas = list(session.scalars(select(Photograph.sha256).distinct()))
    paths = _paths(ware_ids, shas)
    phases = []
    for workers in (1, 2):
        phase = Phase(f"{workers} process{'es' if workers > 1 else ''}")
        with _server(settings, workers) as server:
            _load(server, paths, args.clients, args.seconds, phase)
        phases.append(phase)
    busy = Phase("2 processes + ingest + curator")
    delays: list[float] = []
    more = _synthetic(folder / "more.csv", args.ingest, "LI")
    with _server(settings, 2) as server:
        port = server.port
        stop = threading.Event()
        curator = threading.Thread(target=_curator, args=(settings, port, ware_ids, stop, delays))
        ingest = _potbank(settings, "ingest", str(more), stdout=subprocess.DEVNULL,
                          stderr=subprocess.STDOUT)  # fmt: skip
        curator.start()
        _load(server, paths, args.clients, args.seconds, busy)
        stop.set()
        curator.join()
        ingest_ok = ingest.wait(timeout=3600) == 0
        drained = _writer_drained(settings, factory, limit=600.0)
        verify = _run(settings, "index", "verify")
    busy.notes = (
        f"ingest {'complete' if ingest_ok else 'FAILED'}, indexed {drained:.0f} s after it "
        f"ended; {len(delays)} saves, slowest "
        f"searchable after {max(delays, default=0):.2f} s; verify "
        f"{'clean' if verify.returncode == 0 else 'DRIFT'}"
    )
    single, double = phases
    ratio = double.rate / max(1e-9, single.rate)
    double.notes = f"{ratio:.2f}x the single process (bar: >= 1.8x)"
    single.notes = "baseline (waitress)"
    print(
        f"\nLoad: {args.clients} clients x {args.seconds:.0f} s, {len(ware_ids)} wares, "
        f"{settings.database_url.split(':', 1)[0].split('+')[0]}, {os.cpu_count()} cores "
        "(client and server share them)\n"
    )
    print("| phase | requests | req/s | p50 ms | p95 ms | errors | server cores | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for phase in (*phases, busy):
        print(phase.row())
    print(f"\nsaves searchable after (s): {[round(d, 2) for d in delays]}")
    print(f"verify: {verify.stdout.decode().strip() or verify.stderr.decode().strip()}")


if __name__ == "__main__":
    main()
