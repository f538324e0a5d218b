"""Run a parser in a child Python process and stream what it yields back (a second CPU core).

Parsing a large Market Reports file is pure-Python CPU work: in a thread it would share the
interpreter lock with the thread that builds, checks and writes the records, so it would not run
any sooner. A child process parses while this one emits.

Not `multiprocessing`: its "spawn" start re-imports the parent's ``__main__`` (under Airflow or
PyAirbyte, the user's own script) and "fork" copies a process whose threads (HTTP prefetch, rate
limiter) may hold locks. The child here is a plain ``python -c`` that imports only the job's
module; it gets the parent's ``sys.path`` and, for a job reading an open file, that file's
descriptor (``pass_fds``; POSIX only).

Protocol: the parent writes the job (pickled: module, function, arguments) to the child's stdin;
the child answers with length-prefixed pickled frames on stdout: ``ready`` once the job's module
is imported, then ``item`` frames (whatever the job yields), ``log`` frames (the child's log
records, logged again here under the same logger), ``drift`` frames (calls of the
``on_unexpected_columns`` callback), and one ``end`` or error frame. The OS pipe bounds how far the
child runs ahead. Closing the iterator early ends the child.

A child that cannot start (no usable interpreter, an import failing before ``ready``) is not an
error: the job runs in this process instead (`local`), and offloading stays off for the run
(one warning). A child that dies after ``ready`` is a `PayloadError` naming the file, like a
file that cannot be read: the items before it were delivered, the source chain decides the rest.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import IO, Any

from tap_miso.parsers.errors import PayloadError

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<I")
_PIPE_BYTES = 1 << 20  # how far the child may run ahead (Linux; elsewhere the OS default)
_BOOT = (
    "import sys, pickle\n"
    "job = pickle.load(sys.stdin.buffer)\n"
    "sys.path[:0] = job['path']\n"
    "from tap_miso.parsers.offload import child_main\n"
    "child_main(job)\n"
)

#: Set when a child could not start: later jobs of this run parse in-process.
_unavailable: list[str] = []


class OffloadError(RuntimeError):
    """The job raised something other than a `PayloadError` in the child (a bug: its
    traceback is in the message)."""


def available() -> bool:
    """True when jobs can run in a child process here: POSIX, a Python interpreter to start
    (not a frozen application, whose executable is the application itself), and no child
    failed to start earlier in this run."""
    return (
        os.name == "posix"
        and bool(sys.executable)
        and not getattr(sys, "frozen", False)
        and not _unavailable
    )


def offloaded(
    job: str,
    args: tuple[Any, ...],
    *,
    local: Callable[[], Iterator[Any]],
    what: str,
    fds: tuple[int, ...] = (),
    on_unexpected_columns: Callable[[list[str]], None] | None = None,
) -> Iterator[Any]:
    """What ``job(*args, on_unexpected_columns=...)`` yields, computed in a child process.

    ``job`` is ``"module:function"``; ``fds`` are descriptors the child inherits (numbers
    unchanged). ``local()`` gives the same items in this process: used when no child can start.
    ``what`` names the file in errors.
    """
    if not available():
        yield from local()
        return
    try:
        child = _start(job, args, fds)
    except OSError as exc:
        _disable(f"cannot start {sys.executable}: {exc}")
        yield from local()
        return
    try:
        assert child.stdout is not None
        try:
            frame = _read_frame(child.stdout)
        except _Garbled:
            frame = None
        if frame is None or frame[0] != "ready":
            _stop(child)
            code = child.returncode
            detail = frame[1] if frame is not None and frame[0] == "error" else ""
            _disable(f"child exited with code {code} before starting the job {detail}".strip())
            yield from local()
            return
        log.info("%s: parsing in child process %d", what, child.pid)
        while True:
            try:
                frame = _read_frame(child.stdout)
            except _Garbled:
                raise PayloadError(what, "parser process sent an unreadable answer") from None
            if frame is None:
                code = child.wait()
                raise PayloadError(what, f"parser process ended early (exit code {code})")
            kind = frame[0]
            if kind == "item":
                yield frame[1]
            elif kind == "log":
                _, name, level, message = frame
                logging.getLogger(name).log(level, "%s", message)
            elif kind == "drift":
                if on_unexpected_columns is not None:
                    on_unexpected_columns(frame[1])
            elif kind == "payload_error":
                _, format_name, message, missing = frame
                raise PayloadError(format_name, message, missing)
            elif kind == "error":
                raise OffloadError(f"{what}: the parser process failed:\n{frame[1]}")
            else:  # "end": the child exits by itself
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=10)
                return
    finally:
        _stop(child)


def _start(job: str, args: tuple[Any, ...], fds: tuple[int, ...]) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        [sys.executable, "-c", _BOOT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        pass_fds=fds,
    )
    assert child.stdin is not None and child.stdout is not None
    with contextlib.suppress(AttributeError, OSError):  # F_SETPIPE_SZ: Linux only
        import fcntl

        fcntl.fcntl(child.stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    try:
        pickle.dump({"path": list(sys.path), "job": job, "args": args}, child.stdin, protocol=5)
        child.stdin.close()
    except OSError:
        _stop(child)
        raise
    return child


def _stop(child: subprocess.Popen[bytes]) -> None:
    """End the child (at once when it is still running: the caller stopped reading)."""
    if child.poll() is None:
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _disable(reason: str) -> None:
    if not _unavailable:
        log.warning("parsing in a child process is not available (%s); parsing in-process", reason)
    _unavailable.append(reason)


class _Garbled(Exception):
    """Bytes on the pipe that are not a frame."""


def _read_frame(pipe: IO[bytes]) -> tuple[Any, ...] | None:
    """The next frame; None at the end of the pipe (the child exited)."""
    head = pipe.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    body = pipe.read(size)
    if len(body) < size:
        return None
    try:
        frame = pickle.loads(body)
    except Exception as exc:  # something else wrote to the child's stdout: the stream is lost
        raise _Garbled from exc
    if not isinstance(frame, tuple) or not frame:
        raise _Garbled
    return frame


# -- the child ---------------------------------------------------------------------------------


class _Frames:
    """The child's side of the pipe."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def send(self, *frame: Any) -> None:
        body = pickle.dumps(frame, protocol=5)
        self.out.write(_HEADER.pack(len(body)))
        self.out.write(body)


class _ForwardLogs(logging.Handler):
    def __init__(self, frames: _Frames) -> None:
        super().__init__()
        self.frames = frames

    def emit(self, record: logging.LogRecord) -> None:
        self.frames.send("log", record.name, record.levelno, record.getMessage())


def child_main(spec: dict[str, Any]) -> None:
    """Run ``spec["job"]`` and send its frames on stdout (the body of the child process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops this child
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the frames
    frames = _Frames(out)
    root = logging.getLogger()
    root.handlers[:] = [_ForwardLogs(frames)]
    root.setLevel(logging.INFO)
    try:
        module, name = spec["job"].split(":")
        job = getattr(importlib.import_module(module), name)
    except Exception:
        frames.send("error", traceback.format_exc())
        out.flush()
        return
    frames.send("ready")
    try:
        for item in job(*spec["args"], on_unexpected_columns=lambda names: frames.send(
            "drift", list(names))):
            frames.send("item", item)
    except PayloadError as exc:
        frames.send("payload_error", exc.format_name, exc.message, exc.missing_columns)
    except Exception:
        frames.send("error", traceback.format_exc())
    else:
        frames.send("end")
    with contextlib.suppress(BrokenPipeError):  # the parent stopped reading
        out.flush()
