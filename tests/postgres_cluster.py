"""A PostgreSQL of the test run's own: a throwaway cluster (initdb) on a free loopback port, for a
clone whose machine has PostgreSQL's programs but no database set up for the tests (CI's .ci/run
may name one in REFLECTIONS_TEST_POSTGRES_URL instead). Stopped and removed when the run ends.
Under pytest-xdist each worker makes a database of its own in that cluster."""

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _programs() -> Path | None:
    """The folder with initdb, pg_ctl and createdb: Debian's newest /usr/lib/postgresql/<version>/bin,
    else the one on PATH that holds all three."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parts[4]), reverse=True
    )
    found = shutil.which("initdb")
    candidates += [str(Path(found).parent)] if found else []
    for folder in map(Path, candidates):
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "createdb")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start() -> tuple[str, str]:
    """(URL, "") of a running cluster's test database, or ("", why there is none)."""
    programs = _programs()
    if programs is None:
        return "", "PostgreSQL's programs are not installed (apt-get install postgresql)"
    folder = Path(tempfile.mkdtemp(prefix="withness-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL will not run as root: as its own user, which owns the folder
        if shutil.which("runuser") is None:
            return "", "running as root, and there is no runuser to start PostgreSQL as its own user"
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)

    made = run(str(programs / "initdb"), "-D", str(data), "-U", "withness", "--auth=trust", "-E", "UTF8")
    if made.returncode != 0:
        return "", f"initdb failed: {made.stderr.strip()[-300:]}"
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off"
    started = run(
        str(programs / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"
    )
    if started.returncode != 0:
        return "", f"the test cluster did not start: {started.stderr.strip()[-300:]}"
    atexit.register(lambda: (run(str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
                             shutil.rmtree(folder, ignore_errors=True)))  # fmt: skip
    for _ in range(50):
        created = run(
            str(programs / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "withness", "withness_test"
        )
        if created.returncode == 0:
            return f"postgresql+psycopg://withness@127.0.0.1:{port}/withness_test", ""
        time.sleep(0.1)
    return "", f"the test database could not be made: {created.stderr.strip()[-300:]}"


def database_of_its_own(url: str, worker: str) -> str:
    """The URL of a fresh database named after url's, for one parallel worker (the role needs
    CREATEDB: this run's own cluster's role is its superuser)."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
