"""A throwaway PostgreSQL server for tests: initdb into a temp dir, pg_ctl start on a free port.

Needs the server binaries (Debian: `apt-get install postgresql`, which .ci/run does). As root
the server runs as the `postgres` OS user (initdb refuses root). No skip: missing binaries fail.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def find_bindir() -> Path:
    explicit = os.environ.get("PG_BINDIR")
    candidates = [explicit] if explicit else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name),
        reverse=True,
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): "
        "run `apt-get install -y postgresql` (.ci/run does) or set PG_BINDIR"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """`with PostgresServer() as pg:` then `pg.port`, `pg.query(sql)`, `pg.env()`."""

    user = "postgres"
    database = "miso"

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="tap-miso-pg-"))
        self.datadir = self.tmp / "data"
        self.as_root = os.geteuid() == 0

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bindir / cmd[0]), *cmd[1:]]
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.tmp, "postgres", "postgres")
        self.tmp.chmod(0o700)
        self._run("initdb", "-D", str(self.datadir), "-U", self.user, "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C")
        self._run("pg_ctl", "-D", str(self.datadir), "-w", "-t", "60", "-l",
                  str(self.tmp / "server.log"), "start", "-o",
                  f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.psql(f"CREATE DATABASE {self.database}", database="postgres")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def psql(self, sql: str, database: str | None = None) -> str:
        out = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
             "-d", database or self.database, "-c", sql],
            capture_output=True, text=True, check=False, timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr}")
        return out.stdout

    def query(self, sql: str) -> list[dict[str, str]]:
        """Rows of ``sql`` as dicts of strings (NULL as '')."""
        text = self.psql(f"COPY ({sql}) TO STDOUT WITH CSV HEADER")
        return list(csv.DictReader(io.StringIO(text)))

    def env(self, schema: str) -> dict[str, str]:
        """`TARGET_POSTGRES_*` variables loading into ``schema`` of this server."""
        return {
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            "TARGET_POSTGRES_PASSWORD": "unused-trust-auth",
            "TARGET_POSTGRES_DATABASE": self.database,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        }


def _has_c_utf8() -> bool:
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    return any(line.lower() in ("c.utf8", "c.utf-8") for line in out.stdout.splitlines())
