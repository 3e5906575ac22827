"""A child process for tests/archive/test_processes.py: answers requests as they ask."""

from __future__ import annotations

from typing import Any

from archive.processes import serve


class Unpicklable(Exception):
    """An exception carrying something that cannot cross a pipe."""

    def __init__(self) -> None:
        super().__init__("holds a lambda")
        self.callback = lambda: None


class Echo:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, request: Any) -> Any:
        if request == "fail":
            raise KeyError("asked to fail")
        if request == "unpicklable":
            raise Unpicklable()
        if request == "exit":
            raise SystemExit(3)  # the process ends without answering
        return f"{self.prefix}{request}" if isinstance(request, str) else request


if __name__ == "__main__":
    from tests.archive.echo_child import Echo as handler

    serve(handler)
