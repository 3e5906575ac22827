"""Child processes that answer pickled requests over their pipes (ingest's helpers).

A child is a plain ``python -m package.module`` process, not multiprocessing's spawn: that would
import the caller's main module again in every child, which breaks any script whose top level
does real work (multiprocessing requires a ``__main__`` guard; we do not ask callers for one).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])


class ChildProcessFailed(RuntimeError):
    """A child process ended without answering."""


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux's PR_SET_PDEATHSIG).

    A killed ingest must leave no child behind: one would hold the keyword index's write lock
    or go on writing to the image store. Elsewhere a child ends when its input pipe closes.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux (see above)


class ChildProcess:
    """``python -m module`` started with ``setup`` as its first message; then each ``send``
    is answered, in order, by one ``receive`` (the child's result, or its exception raised).

    ``label`` goes on the child's command line for ``ps`` to show: the folder it works on.
    """

    def __init__(self, module: str, setup: Any, label: str = "") -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        self.module = module
        # Our own interpreter and one of our own modules.
        self._process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", module, *([label] if label else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=_ROOT,
        )
        self.send(setup)

    def send(self, request: Any) -> None:
        assert self._process.stdin is not None
        try:
            pickle.dump(request, self._process.stdin, protocol=5)
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError) as error:
            raise ChildProcessFailed(f"{self.module} process ended unexpectedly") from error

    def receive(self) -> Any:
        assert self._process.stdout is not None
        try:
            ok, value = pickle.load(self._process.stdout)  # noqa: S301 - our own child's reply
        except (EOFError, OSError, ValueError) as error:
            raise ChildProcessFailed(f"{self.module} process ended unexpectedly") from error
        if not ok:
            raise value
        return value

    def close(self, timeout: float = 60) -> None:
        """Close its input (it finishes what it has and exits) and wait for it."""
        assert self._process.stdin is not None and self._process.stdout is not None
        with contextlib.suppress(BrokenPipeError):  # it may have gone already
            self._process.stdin.close()
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


def serve(make_handler: Callable[[Any], Callable[[Any], Any]]) -> None:
    """The child's side: ``make_handler(setup)``, then answer each request until input ends."""
    die_with_parent()
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but replies on the pipe
    handler = make_handler(pickle.load(requests))  # noqa: S301 - from our parent
    # Requests are read by a thread of their own: a parent that sends the next request before
    # reading the last reply must never find this process blocked writing a reply that does
    # not fit in the pipe, unable to read what it is being sent.
    incoming: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_read_requests, args=(requests, incoming), daemon=True).start()
    while True:
        request = incoming.get()
        if request is _END:
            break
        try:
            reply: tuple[bool, Any] = (True, handler(request))
        except Exception as error:  # handed to the parent, which raises it
            reply = (False, _picklable(error))
        pickle.dump(reply, replies, protocol=5)
        replies.flush()
    close = getattr(handler, "close", None)
    if close is not None:
        close()


_END = object()


def _read_requests(requests: Any, incoming: queue.SimpleQueue[Any]) -> None:
    while True:
        try:
            incoming.put(pickle.load(requests))  # noqa: S301 - from our parent
        except Exception:  # EOFError when the parent closes the pipe; anything else ends too
            incoming.put(_END)
            return


def _picklable(error: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    except Exception:  # an exception that cannot cross the pipe is described instead
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
