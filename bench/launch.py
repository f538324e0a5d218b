"""Run a command as the child of this small process and write its rusage as JSON.

    python bench/launch.py RESULT.json CMD [ARGS...]

Why: Linux keeps a process's peak RSS across ``exec``, so a tap started straight from the
benchmark process (which holds the fake server and its payload cache, often larger than the tap)
reports that process's RSS as its own peak (``ru_maxrss``); started from this ~10 MB launcher it
reports its own. The JSON holds the command's CPU seconds (user + sys), peak RSS in KiB and exit
status; the exit code is passed on. stdin/stdout/stderr are inherited.

The tap may start child processes of its own (``parallel_parsing``): ``max_tree_rss_kib`` is the
largest sum of the RSS of the command and its descendants, sampled every 20 ms (Linux /proc; 0
elsewhere), so the memory of a run that uses two cores is the whole tree's, not one process's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc/PID/task/TID/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", "rb") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def _sample_tree(pid: int, peak: list[int], done: threading.Event) -> None:
    while not done.wait(0.02):
        peak[0] = max(peak[0], sum(_rss_kib(p) for p in _tree(pid)))


def main() -> int:
    result, cmd = sys.argv[1], sys.argv[2:]
    proc = subprocess.Popen(cmd)
    signal.signal(signal.SIGTERM, lambda *_: proc.kill())
    peak, done = [0], threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(proc.pid, peak, done), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    with open(result, "w") as fh:
        json.dump(
            {
                "cpu": usage.ru_utime + usage.ru_stime,
                "max_rss_kib": usage.ru_maxrss,
                "max_tree_rss_kib": max(peak[0], usage.ru_maxrss),
                "exit": code,
            },
            fh,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
