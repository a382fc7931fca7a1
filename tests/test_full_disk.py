"""A full disk, for real: the site and its queue on a 4 MB filesystem that fills up. Health says so
(503, with the reason), a command says "the disk is full", and nothing is lost once there is room."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import REFLECTIONS, RunningService, copy_site, fetch, submit_reflection, wait_for


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs (mounting needs root: CI runs as root; elsewhere the test is skipped)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        message = f"cannot mount a tmpfs here (the full-disk tests need root): {made.stderr.decode().strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    ballast = disk / "ballast"
    with open(ballast, "wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
                stream.flush()
        except OSError:
            pass
    return ballast


def test_a_full_disk_is_not_ok_and_a_command_says_so(small_disk, tmp_path):
    site = copy_site(tmp_path / "site")
    database = f"sqlite:///{small_disk / 'reflections.db'}"
    service = RunningService(
        site,
        tmp_path / "service.log",
        role="intake",
        REFLECTIONS_DATABASE_URL=database,
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
    ).start()
    try:
        item = submit_reflection(service.base, "learning-to-stay", "Words before the disk filled.")
        assert fetch(service.base + "/reflections/health")[0] == 200
        ballast = fill(small_disk)
        status, text = fetch(service.base + "/reflections/health")
        assert status == 503 and json.loads(text)["reason"].startswith("the disk is full")
        env = {**os.environ, "REFLECTIONS_SITE": str(site), "REFLECTIONS_DATABASE_URL": database}
        refused = subprocess.run(
            [REFLECTIONS, "reject", item], cwd=site, env=env, capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert refused.stderr.startswith("Error: the disk is full"), refused.stderr
        ballast.unlink()
        wait_for(lambda: fetch(service.base + "/reflections/health")[0] == 200)
        done = subprocess.run(
            [REFLECTIONS, "reject", item], cwd=site, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
    finally:
        service.stop()
