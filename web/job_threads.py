"""The background threads of one serving process's jobs, by job id.

Bulk uploads, batch edits, rebuilds and harvests each run in a thread of the process whose
request started them. Each kind keeps one ``JobThreads``: a page asks whether a job's thread is
alive here (a job whose thread is gone is orphaned), and tests wait for every thread before they
remove an instance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class JobThreads:
    """This process's threads of one kind of job."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._lock = threading.Lock()
        self._threads: dict[int, threading.Thread] = {}

    def start(self, job_id: int, body: Callable[[], None]) -> None:
        """Run ``body`` in a daemon thread named after the job; the job is this process's
        until ``body`` calls ``forget`` (after the job's final state is committed)."""
        thread = threading.Thread(target=body, name=f"potbank-{self.kind}-{job_id}", daemon=True)
        with self._lock:
            self._threads[job_id] = thread
        thread.start()

    def forget(self, job_id: int) -> None:
        with self._lock:
            self._threads.pop(job_id, None)

    def alive(self, job_id: int) -> bool:
        """Whether a thread of this process is running the job now."""
        with self._lock:
            thread = self._threads.get(job_id)
        return thread is not None and thread.is_alive()

    def wait(self, job_id: int, timeout: float = 60) -> bool:
        """Wait for the job's thread to end; returns whether it has (or there was none)."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def wait_all(self, timeout: float = 120) -> bool:
        """Wait for every thread of this kind; returns whether all ended."""
        with self._lock:
            ids = list(self._threads)
        return all(self.wait(job_id, timeout) for job_id in ids)
