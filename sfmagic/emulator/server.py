"""Serve an ASGI app over HTTPS from a background thread.

uvicorn runs in a thread of its own with its own event loop, so the caller (a test,
a notebook kernel, the CLI) keeps its thread and its loop. The listening socket is
bound before the thread starts: the port is known at once, even when the system
picked it, and the instance URL can be built before the app is.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from sfmagic.emulator.certs import CertificateFiles

__all__ = ["HttpsServer", "bind_socket", "url_host"]

logger = logging.getLogger("sfmagic.emulator")

_STARTUP_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0: the system picks one)."""
    family = socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this. Without it, Nagle's algorithm and
        # the client's delayed ACK hold the end of every small TLS answer ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def url_host(host: str) -> str:
    """How ``host`` appears in a URL: IPv6 in brackets, wildcards as loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if _is_ipv6(host) else host


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


class HttpsServer:
    """uvicorn serving one app over TLS on an already bound socket.

    Parameters
    ----------
    app
        The ASGI application.
    sock
        A listening socket from ``bind_socket``; the server owns it from now on.
    certificates
        The server certificate chain and key.
    log_level
        Level for uvicorn's own loggers; access logging is always off (the app
        logs requests on ``sfmagic.emulator`` instead).
    """

    def __init__(
        self,
        app: ASGIApp,
        sock: socket.socket,
        certificates: CertificateFiles,
        *,
        log_level: str = "warning",
    ) -> None:
        self._socket = sock
        config = uvicorn.Config(
            app,
            ssl_certfile=str(certificates.cert_file),
            ssl_keyfile=str(certificates.key_file),
            log_config=None,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name="sfmagic-emulator", daemon=True
        )
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._socket.getsockname()[1])

    def start(self) -> None:
        """Start serving and return once connections are accepted.

        Raises ``RuntimeError`` when the server fails to start.
        """
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator server stopped during startup") from (
                    self._failure
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator server did not start in time")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop accepting connections, finish open requests and join the thread.

        Requests in flight get up to ``_STOP_TIMEOUT`` seconds to finish. Idle
        keep-alive connections are not waited for: closing them politely would
        wait for each client's TLS close_notify, which an idle client never sends.
        """
        self._server.should_exit = True
        deadline = time.monotonic() + _STOP_TIMEOUT
        while self._thread.is_alive() and time.monotonic() < deadline:
            if not self._server.server_state.tasks:
                self._server.force_exit = True
            self._thread.join(0.05)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(_STOP_TIMEOUT)
        self._socket.close()

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as error:  # a SystemExit from uvicorn included
            self._failure = error
            logger.error("emulator server stopped: %r", error)
