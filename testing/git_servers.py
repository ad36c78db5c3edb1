"""Git servers on 127.0.0.1 for the multi-repository tests: real git transports, no internet.

- `GitHttpsServer`: git's own smart-HTTP server (`git http-backend`, run as CGI) behind TLS with a
  certificate made at run time and HTTP Basic authentication, so that a URL with credentials in it
  (`https://user:token@127.0.0.1:port/repo.git`) really authenticates. Git trusts the certificate through
  `GIT_SSL_CAINFO`.
- `HangingServer`: accepts connections and never answers, so a fetch stays in flight until it is stopped.
- `fake_ssh`: an `ssh` stand-in that runs the remote command locally (what git's own test suite does),
  so that `ssh://` and `git@host:path` URLs go through git's real ssh transport.
"""

from __future__ import annotations

import base64
import http.server
import ipaddress
import os
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from testing.keys import key_and_self_signed_certificate


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written to `folder`."""
    key, certificate = key_and_self_signed_certificate(
        "127.0.0.1",
        [
            (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False),
            (x509.BasicConstraints(ca=True, path_length=None), True),
        ],
    )
    cert_path = folder / "server.crt"
    key_path = folder / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _GitHandler(http.server.BaseHTTPRequestHandler):
    server: _GitHttpServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        expected = "Basic " + base64.b64encode(self.server.credentials.encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.server.rejected += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.server.authenticated += 1
        path, _, query = self.path.partition("?")
        body = self._body()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": self.server.credentials.split(":", 1)[0],
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        completed = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _, payload = completed.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = completed.stdout.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class _GitHttpServer(http.server.ThreadingHTTPServer):
    root: Path
    credentials: str
    authenticated: int = 0
    rejected: int = 0


class GitHttpsServer:
    """Serves the bare repositories under `root` at https://127.0.0.1:PORT/<name>, for `user:password` only."""

    def __init__(self, root: Path, certificate_folder: Path, credentials: str) -> None:
        self.cert_path, key_path = self_signed_certificate(certificate_folder)
        self._server = _GitHttpServer(("127.0.0.1", 0), _GitHandler)
        self._server.root = root
        self._server.credentials = credentials
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def authenticated(self) -> int:
        return self._server.authenticated

    @property
    def rejected(self) -> int:
        return self._server.rejected

    def url(self, name: str, userinfo: str = "") -> str:
        return f"https://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> GitHttpsServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()


class HangingServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte: a fetch from it waits forever.

    With `hang=False` it closes each connection at once instead: a fetch from it fails right away. (A port
    that was closed is no unreachable address on a shared machine: another process may listen there next.)
    """

    def __init__(self, hang: bool = True) -> None:
        self.hang = hang
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = self._socket.getsockname()[1]
        self.accepted = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            if self.hang:
                self._connections.append(connection)
            else:
                connection.close()
            self.accepted.set()

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._socket.close()
        for connection in self._connections:
            connection.close()


def fake_ssh(folder: Path) -> Path:
    """An `ssh` that runs the remote command (git-upload-pack '<path>') on this machine; use it with
    GIT_SSH_COMMAND and GIT_SSH_VARIANT=simple (git then passes only the host and the command)."""
    script = folder / "fake-ssh"
    script.write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    script.chmod(0o755)
    return script
