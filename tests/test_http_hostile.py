"""Hostile input at the HTTP edge, on a real uvicorn server on a free loopback port: bodies
capped while they stream in, slow bodies and slow headers cut off, a client vanishing mid-body
logged without a traceback. Timeouts are made short through the server's own parameters."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.http import MAX_BODY, BodyGuard, HttpServer, create_app

READ = {"bytes": 0}


async def echo_size(request: Request) -> JSONResponse:
    body = await request.body()
    READ["bytes"] = len(body)
    return JSONResponse({"size": len(body)})


def _app(body_timeout: float) -> Starlette:
    return Starlette(
        routes=[Route("/in", echo_size, methods=["POST"])],
        middleware=[Middleware(BodyGuard, body_timeout=body_timeout)],
    )


@pytest.fixture
def server() -> Iterator[HttpServer]:
    running = HttpServer(_app(body_timeout=0.5), "127.0.0.1", 0, header_timeout=0.5)
    running.start()
    assert running.wait_started()
    yield running
    running.stop()


def _connect(server: HttpServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def _status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return 0  # closed without an answer
        data += chunk
    return int(data.split(b" ", 2)[1])


def _head(length: str | None = None, chunked: bool = False) -> bytes:
    lines = ["POST /in HTTP/1.1", "Host: x", "Content-Type: application/json"]
    lines += [f"Content-Length: {length}"] if length is not None else []
    lines += ["Transfer-Encoding: chunked"] if chunked else []
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_declared_oversized_body_is_refused_before_it_is_sent(server: HttpServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head(str(256 << 20)))  # announces 256 MB, sends none of it
        assert _status(sock) == 413


def test_a_chunked_body_is_cut_off_at_the_cap(server: HttpServer) -> None:
    READ["bytes"] = 0
    with _connect(server) as sock:
        sock.sendall(_head(chunked=True))
        chunk = b"x" * 65536
        status = 0
        try:
            for _ in range((MAX_BODY // len(chunk)) + 50):  # well past the cap
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server answered and closed while we were still sending
        status = _status(sock)
    assert status == 413
    assert READ["bytes"] == 0  # the route never got a body


def test_a_body_within_the_cap_is_read(server: HttpServer) -> None:
    with _connect(server) as sock:
        body = b"[" + b"1," * 1000 + b"1]"
        sock.sendall(_head(str(len(body))) + body)
        assert _status(sock) == 200


def test_a_slow_body_gets_408(server: HttpServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head("100") + b"{")  # and then nothing
        assert _status(sock) == 408


def test_slow_headers_are_cut_off(server: HttpServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /in HTTP/1.1\r\nHost: x\r\n")  # headers never finish
        assert _status(sock) == 0  # closed by the server, well before the socket's 5 s


def test_headers_growing_past_the_limit_are_refused(server: HttpServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /in HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 * 1024))  # never ends
        assert _status(sock) in (400, 431)  # answered, not left to the header timeout


def test_a_client_leaving_mid_body_logs_no_traceback(server: HttpServer, caplog) -> None:
    with caplog.at_level(logging.INFO):
        with _connect(server) as sock:
            sock.sendall(_head("1000") + b"{" * 10)
        with _connect(server) as sock:  # the server is still fine
            sock.sendall(_head("2") + b"[]")
            assert _status(sock) == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_every_route_of_the_bot_is_guarded() -> None:
    """`create_app` puts the guard in front of all routes, including ones added later."""
    app = create_app([])
    assert any(m.cls is BodyGuard for m in app.user_middleware)
