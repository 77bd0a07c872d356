"""A local stand-in for the Hugging Face Hub, on 127.0.0.1, for download tests.

It answers exactly what huggingface_hub asks when downloading (read from its source,
hf_api.model_info and file_download.get_hf_file_metadata / http_get):
- GET  /api/models/<org>/<name>/revision/<rev>   the file listing with sizes and the commit
- HEAD /<org>/<name>/resolve/<rev>/<path>        X-Repo-Commit, ETag, Content-Length
- GET  /<org>/<name>/resolve/<rev>/<path>        the bytes, honouring `Range: bytes=N-`
Every request is recorded so tests can check what was (and was not) fetched.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

COMMIT = "a" * 40


class HubServer:
    """Serves `repos` ({repo_id: {path: bytes}}) at one commit; use as a context manager."""

    def __init__(self, repos: dict[str, dict[str, bytes]], chunk_delay: float = 0.0) -> None:
        self.repos = repos
        self.chunk_delay = chunk_delay  # > 0: file bodies trickle out 8 kB at a time
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Range header
        handler = self._handler()
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        self.server.timeout = 5
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def fetched(self, filename: str) -> list[str | None]:
        """Range headers of every GET of `filename` (None: the whole file)."""
        return [r for m, p, r in self.requests if m == "GET" and p.endswith("/" + filename)]

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet test output
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append((self.command, path, self.headers.get("Range")))
                parts = path.strip("/").split("/")
                if parts[:2] == ["api", "models"] and "revision" in parts:
                    at = parts.index("revision")
                    return self._listing("/".join(parts[2:at]), body)
                if len(parts) >= 5 and parts[2] == "resolve":
                    return self._file("/".join(parts[:2]), "/".join(parts[4:]), body)
                self._send(404, b"not found", {"X-Error-Code": "EntryNotFound"}, body)

            def _listing(self, repo_id: str, body: bool) -> None:
                files = hub.repos.get(repo_id)
                if files is None:
                    error = {"X-Error-Code": "RepoNotFound"}
                    return self._send(404, b'{"error":"Repository not found"}', error, body)
                siblings = [
                    {"rfilename": name, "size": len(data), "blobId": _etag(data)}
                    for name, data in files.items()
                ]
                listing = {"id": repo_id, "modelId": repo_id, "sha": COMMIT, "siblings": siblings}
                payload = json.dumps(listing).encode()
                self._send(200, payload, {"Content-Type": "application/json"}, body)

            def _file(self, repo_id: str, name: str, body: bool) -> None:
                data = hub.repos.get(repo_id, {}).get(name)
                if data is None:
                    return self._send(404, b"no such file", {"X-Error-Code": "EntryNotFound"}, body)
                headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{_etag(data)}"'}
                wanted = self.headers.get("Range")
                if wanted and body and wanted.startswith("bytes="):
                    start = int(wanted[len("bytes=") :].split("-")[0])
                    headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                    return self._send(206, data[start:], headers, body)
                self._send(200, data, headers, body)

            def _send(self, status: int, data: bytes, headers: dict, body: bool) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not body:
                    return
                if not hub.chunk_delay or len(data) <= 8192:
                    self.wfile.write(data)
                    return
                for start in range(0, len(data), 8192):
                    self.wfile.write(data[start : start + 8192])
                    self.wfile.flush()
                    time.sleep(hub.chunk_delay)

        return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A cancelled download closes the connection mid-body: expected, not an error.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
