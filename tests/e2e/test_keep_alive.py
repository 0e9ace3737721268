"""Keep-alive connections survive requests whose body the view never reads.

A client may send a request's headers and its body in separate writes (Python's http.client does for
every POST). When the view answers without reading the body (a resolve, a 404, a 401) and the body
arrives after the answer, the server must still read it: otherwise it closes the connection with the
body unread, the client's late body draws a reset, and its next request on that connection fails
with a broken pipe. Seen under load in bench/first_page.py before the web app drained such bodies.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from tests.support.config import apply_test_config, make_token, one_responder_config
from tests.support.processes import KlaxonProcesses

pytestmark = pytest.mark.e2e

KEY = "k" * 32
CONFIG = one_responder_config(KEY, "web")


def read_response(connection: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length: (status, body); fails if the server closes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"the server closed the connection; got {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    return int(lines[0].split()[1]), body


def post_with_late_body(connection: socket.socket, path: str, headers: dict[str, str],
                        body: bytes) -> tuple[int, bytes]:
    """POST `path` with the body sent 50 ms after the headers, as a slow client would; (status, body)."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    connection.sendall(f"POST {path} HTTP/1.1\r\nHost: klaxon\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n{head}\r\n".encode())
    time.sleep(0.05)
    connection.sendall(body)
    return read_response(connection)


@pytest.mark.parametrize("case", ["resolve", "unknown incident", "no token"])
def test_a_late_unread_body_keeps_the_connection_open(runtime: Any, klaxon: KlaxonProcesses, case: str) -> None:
    apply_test_config(runtime, CONFIG)
    token = make_token(runtime, "rita", "admin")
    klaxon.start_web()
    host, port = "127.0.0.1", klaxon.web_port
    with socket.create_connection((host, port), timeout=10) as connection:
        if case == "no token":
            expected, path, headers = 401, "/api/v1/incidents/1/resolve", {}
        else:
            status, answer = post_with_late_body(
                connection, f"/integrations/generic/{KEY}", {},
                b'{"summary": "disk full", "severity": "critical", "dedup_key": "disk"}')
            assert status == 202, answer
            incident = json.loads(answer)["incident_id"] if case == "resolve" else 999999
            expected, path, headers = (200 if case == "resolve" else 404), f"/api/v1/incidents/{incident}/resolve", token
        assert post_with_late_body(connection, path, headers, b"{}")[0] == expected
        time.sleep(0.05)  # the server would have closed by now
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: klaxon\r\n\r\n")
        assert read_response(connection)[0] == 200, "the connection stayed open for the next request"
