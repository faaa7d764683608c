"""Start/stop Azurite's blob service (npm package ``azurite``, pinned in package.json) on a free loopback port."""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .server import AZURITE_ACCOUNT, AZURITE_KEY

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_azurite_blob() -> str | None:
    """``node_modules/.bin/azurite-blob`` of this repo (``npm ci``), else one on PATH."""
    local = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return str(local)
    return shutil.which("azurite-blob")


class Azurite:
    """Azurite blob emulator in memory, listening on 127.0.0.1:<free port>.

    ``account_name`` / ``account_key`` are the emulator's well-known devstoreaccount1 credentials.
    """

    account_name = AZURITE_ACCOUNT
    account_key = AZURITE_KEY

    def __init__(self, port: int | None = None, startup_timeout: float = 30.0) -> None:
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen | None = None
        self._workdir: str | None = None

    @property
    def blob_endpoint(self) -> str:
        """``http://127.0.0.1:PORT`` (no account segment)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def account_url(self) -> str:
        return f"{self.blob_endpoint}/{self.account_name}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account_name};AccountKey={self.account_key};BlobEndpoint={self.account_url};"
        )

    def service_client(self):
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)

    def list_blobs(self, container: str, prefix: str | None = None) -> list[str]:
        client = self.service_client().get_container_client(container)
        return [b.name for b in client.list_blobs(name_starts_with=prefix)]

    def read_blob(self, container: str, name: str) -> bytes:
        return self.service_client().get_blob_client(container, name).download_blob().readall()

    def _spawn(self, binary: str, log) -> subprocess.Popen:
        return subprocess.Popen(
            [
                binary,
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.port),
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
                "--silent",
            ],
            cwd=self._workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def start(self) -> Azurite:
        binary = find_azurite_blob()
        if not binary:
            raise RuntimeError("azurite-blob not found: run `npm ci` at the repo root (package.json pins azurite)")
        self._workdir = tempfile.mkdtemp(prefix="azurite-")
        with (Path(self._workdir) / "azurite.log").open("wb") as log:
            self._proc = self._spawn(binary, log)
        atexit.register(self.stop)  # no orphan emulator if the test run ends without teardown
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"azurite exited with {self._proc.returncode}: {self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"azurite did not listen on {self.port} within {self.startup_timeout}s")

    def log_text(self) -> str:
        if not self._workdir:
            return ""
        try:
            return Path(self._workdir, "azurite.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
