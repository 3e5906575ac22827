"""``python -m index.writer_process``: an instance's index writer in a process of its own.

``potbank serve`` starts one beside its request workers. As a thread inside a request worker,
the writer shared that process's interpreter lock with the request threads: under load it
applied changes at a fraction of a core, and a curator's save waited seconds behind an
ingest's backlog. In a process of its own it gets the operating system's fair share of the
cores. The request workers keep a standby writer thread that starts competing for the
instance's write lock a little later (``STANDBY_DELAY_SECONDS``): the lock is a flock, so if
this process dies one of them takes over at its next poll.

The instance is the one named by the environment (``POTBANK_HOME``, ``POTBANK_DATABASE_URL``),
as for every ``potbank`` command. The process dies with its parent, and ends on SIGTERM after
settling the keyword batch it is writing.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from archive.settings import Settings

# How long a request worker's standby writer waits before it first competes for the lock, so
# that the writer process, started first, normally holds it.
STANDBY_DELAY_SECONDS = 5.0


def start(settings: Settings) -> subprocess.Popen[bytes]:
    """Start the writer process for ``settings``' instance (the caller stops it at exit)."""
    environment = {
        **os.environ,
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
    }
    return subprocess.Popen([sys.executable, "-m", "index.writer_process"], env=environment)


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Ask the writer process to end, and wait for it (killed if it does not)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    from archive.db import make_engine, make_session_factory
    from archive.processes import die_with_parent
    from archive.settings import load_settings
    from index.sync import IndexSync

    die_with_parent()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    settings = load_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    finish = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: finish.set())
    signal.signal(signal.SIGINT, lambda *_: finish.set())
    IndexSync(settings).writer.run(factory, finish)


if __name__ == "__main__":
    main()
