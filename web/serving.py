"""``potbank serve``: one process (waitress) or N worker processes (gunicorn), with the
instance's index writer in a process of its own beside them.

The writer process (``index.writer_process``) holds the instance's write lock and lease and
applies the catalogue's change log; the request workers only follow the generation pointer and
the index files (each search checks them), so a write made through any worker is searchable
from every worker within a second. Each worker also runs a standby writer thread, which takes
the lock over at its next poll if the writer process dies.

gunicorn, not waitress, for several processes: waitress is threads in one process, and
Python's interpreter lock keeps a search-heavy load on one core. gunicorn's ``gthread``
workers keep waitress's model (threads answering requests) inside each process. The app is
built in each worker after the fork (no ``preload_app``): database engines and open index
files must not be shared across a fork.
"""

from __future__ import annotations

import atexit
import logging
import os
from typing import Any

from flask import Flask

from archive.settings import Settings
from index import writer_process

logger = logging.getLogger(__name__)

# A kept-alive connection stays with the worker that accepted it, so a burst of new connections
# (a proxy's pool, a load test) can leave one worker with most of them: 39 of 50 was measured,
# and that worker's visitors waited twice as long while the other idled. Each connection is
# closed ("Connection: close") after this many requests, like nginx's keepalive_requests; its
# client reconnects, and the new connection goes to whichever worker accepts it. That does not
# steer connections to the less busy worker (samples a few seconds apart still read 38/12 and
# 23/27), but no split lasts: the same 50-client run's p95 fell from 504-662 ms to 365-479 ms.
KEEPALIVE_REQUESTS = 25


def default_workers() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)


def prepare_app(settings: Settings, run_writer: bool = True, writer_delay: float = 0.0) -> Flask:
    """The app of one serving process, warmed, with its index-writer and chores threads
    running (``web.chores``: jobs whose process died, and their files); the writer thread
    first competes for the write lock after ``writer_delay`` seconds (a standby)."""
    from index.sync import IndexSync
    from web.app import create_app
    from web.chores import start_chores
    from web.views.context import app_state

    app = create_app(settings)
    state = app_state(app)
    # Load the indexes and compile the templates now, not in the first visitor's request
    # (Lighthouse measured the first ware page at 86 for the wait, 100 once warm).
    state.search_service().warm()
    for name in app.jinja_env.list_templates(extensions=["html"]):
        if not name.startswith(("curate/", "auth/")):  # visitors' pages only
            app.jinja_env.get_template(name)
    if run_writer:
        stop = IndexSync(settings).writer.start_thread(state.session_factory, writer_delay)
        atexit.register(stop)
        atexit.register(start_chores(state))
    return app


def search_summary(app: Flask) -> list[str]:
    """Which search by photograph this process runs, for the operator at start: e.g.
    ``visual search: potbank-descriptor-v2 + local features (CLIP off)``, then why."""
    from web.views.context import app_state

    state = app_state(app)
    status = state.search_service().embedder_status()
    if status["kind"] == "clip":
        clip = "CLIP on"
    elif state.settings.clip_pretrained:
        clip = "CLIP off: it did not load"
    else:
        clip = "CLIP off"
    return [f"visual search: {status['name']} + local features ({clip})", status["reason"]]


def _announce(app: Flask) -> None:
    for line in search_summary(app):
        print(line, flush=True)  # what `potbank serve` tells its operator


def serve_single(settings: Settings, host: str, port: int, threads: int) -> None:
    """One process with ``threads`` request threads (waitress)."""
    import waitress

    _start_writer_process(settings)
    app = prepare_app(settings, writer_delay=writer_process.STANDBY_DELAY_SECONDS)
    _announce(app)
    waitress.serve(app, host=host, port=port, threads=threads, ident="potbank")


def _start_writer_process(settings: Settings) -> None:
    """The index writer in a process of its own, stopped when this process exits (not when a
    gunicorn worker forked from it does: they inherit the exit handler)."""
    process = writer_process.start(settings)
    owner = os.getpid()

    def stop_when_owner_exits() -> None:
        if os.getpid() == owner:
            writer_process.stop(process)

    atexit.register(stop_when_owner_exits)


def serve_workers(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """``workers`` processes with ``threads`` request threads each (gunicorn, gthread)."""
    from gunicorn.app.base import BaseApplication

    from archive.settings import read_or_create_secret_key
    from index.generations import Generations

    # Done once before the fork, so the workers find them made: one key for every worker's
    # session cookies, and the index folder in its generation layout.
    read_or_create_secret_key(settings)
    Generations(settings.index_dir).current()
    _start_writer_process(settings)

    class _Potbank(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": 120,
                "graceful_timeout": 10,
                "proc_name": "potbank",
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "post_worker_init": first_worker_announces,
                "pre_request": close_after_its_share,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return prepare_app(settings, writer_delay=writer_process.STANDBY_DELAY_SECONDS)

    def close_after_its_share(worker: Any, request: Any) -> None:
        # gunicorn numbers the requests of each connection from 1.
        if request.req_number >= KEEPALIVE_REQUESTS:
            request.must_close = True

    def first_worker_announces(worker: Any) -> None:
        # Every worker runs the same search; the first one started says which.
        if worker.age == 1:
            _announce(worker.wsgi)

    _Potbank().run()
