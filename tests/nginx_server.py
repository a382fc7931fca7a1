"""nginx as a real process on loopback, for the tests that go live through it."""

import os
import shutil
import subprocess
from pathlib import Path

import httpx
from conftest import wait_for

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class Nginx:
    """nginx as a real process on loopback, serving one `server` block (a recipe's, or a plain one)."""

    def __init__(self, folder: Path, server: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "site.conf").write_text(server)
        temp = "\n".join(
            f"    {kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root (CI), the workers must be root too to read the test's private temporary folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n    access_log off;\n{temp}\n"
            f"    include {folder / 'site.conf'};\n}}\n"
        )
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self, port: int) -> "Nginx":
        checked = subprocess.run(
            [NGINX, "-t", "-c", str(self.folder / "nginx.conf"), "-p", str(self.folder)],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            [NGINX, "-c", str(self.folder / "nginx.conf"), "-p", str(self.folder), "-g", "daemon off;"],
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code < 500)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
