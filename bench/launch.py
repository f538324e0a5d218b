"""Run a command as the child of this small process and write its rusage as JSON.

    python bench/launch.py RESULT.json CMD [ARGS...]

Why: Linux keeps a process's peak RSS across ``exec``, so a tap started straight from the
benchmark process (which holds the fake server and its payload cache, often larger than the tap)
reports that process's RSS as its own peak (``ru_maxrss``); started from this ~10 MB launcher it
reports its own. The JSON holds the command's CPU seconds (user + sys), peak RSS in KiB and exit
status; the exit code is passed on. stdin/stdout/stderr are inherited.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys


def main() -> int:
    result, cmd = sys.argv[1], sys.argv[2:]
    proc = subprocess.Popen(cmd)
    signal.signal(signal.SIGTERM, lambda *_: proc.kill())
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(result, "w") as fh:
        json.dump(
            {"cpu": usage.ru_utime + usage.ru_stime, "max_rss_kib": usage.ru_maxrss, "exit": code},
            fh,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
