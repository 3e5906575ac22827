"""Child processes over pipes: replies in order, the child's exceptions raised in the parent,
large messages both ways, and a child that ends without answering reported, not waited on."""

from __future__ import annotations

import pytest

from archive.processes import ChildProcess, ChildProcessFailed


def test_replies_exceptions_and_large_messages_cross_the_pipes():
    child = ChildProcess("tests.archive.echo_child", "echo: ", label="/tmp/label-shown-by-ps")
    try:
        big = bytes(range(256)) * 40_000  # 10 MB: far more than a pipe holds, both ways
        for request in ("one", big, "two"):
            child.send(request)
        assert child.receive() == "echo: one"
        assert child.receive() == big
        assert child.receive() == "echo: two"
        child.send("fail")
        with pytest.raises(KeyError, match="asked to fail"):
            child.receive()
        child.send("unpicklable")
        with pytest.raises(RuntimeError, match="Unpicklable: holds a lambda"):
            child.receive()
        child.send("still here")
        assert child.receive() == "echo: still here"
    finally:
        child.close()


def test_a_child_that_ends_without_answering_is_reported():
    child = ChildProcess("tests.archive.echo_child", "")
    try:
        child.send("exit")
        with pytest.raises(ChildProcessFailed, match="ended unexpectedly"):
            child.receive()
        with pytest.raises(ChildProcessFailed):
            for _ in range(100):  # the pipe may take a write or two to notice
                child.send(b"x" * 100_000)
    finally:
        child.close()
