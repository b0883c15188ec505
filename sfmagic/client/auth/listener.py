"""A one-shot HTTP listener on the loopback interface for the OAuth redirect.

When the browser and the kernel share a machine, the browser's last redirect
(``http://localhost:1717/OauthRedirect?code=…&state=…``, as the Salesforce CLI
uses) reaches this listener, which hands the URL to the sign-in and answers
the browser with a short page. Requests to other paths get 404; a redirect
that the sign-in does not accept as its own (wrong ``state``) is answered 400
and the listener keeps waiting, so a stray request cannot end the sign-in.
The listener closes after the first accepted redirect, or when told to.

Known limit: it binds IPv4 loopback only (``127.0.0.1``); browsers fall back
to it when ``localhost`` first resolves to ``::1``.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["CallbackListener", "CallbackResult"]

logger = logging.getLogger("sfmagic.client")

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})
REQUEST_TIMEOUT = 10.0
"""Seconds a browser connection may stay idle (browsers open spare sockets)."""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sfmagic sign-in</title>
<style>body{{font-family:system-ui,sans-serif;margin:3em auto;max-width:36em}}</style>
</head><body><h1>{heading}</h1><p id="sfmagic-result">{message}</p></body></html>
"""


class CallbackResult:
    """What the listener tells the browser, and whether it is done."""

    def __init__(self, *, done: bool, heading: str, message: str) -> None:
        self.done = done
        self.heading = heading
        self.message = message

    @property
    def status(self) -> int:
        """200 once the redirect was taken, 400 while it was not ours."""
        return 200 if self.done else 400


class CallbackListener:
    """Serve ``redirect_uri`` on loopback until one redirect is accepted.

    Parameters
    ----------
    redirect_uri
        ``http://localhost:PORT/PATH`` or ``http://127.0.0.1:PORT/PATH``.
    handle
        Called with the full redirect URL, in the listener's thread; returns
        what to show the browser and whether the listener may close.
    """

    def __init__(
        self, redirect_uri: str, handle: Callable[[str], CallbackResult]
    ) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError("the callback must be http on localhost or 127.0.0.1")
        self.redirect_uri = redirect_uri
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self._base = f"{parts.scheme}://{parts.netloc}"
        self._handle = handle
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<CallbackListener {self.redirect_uri} {state}>"

    @property
    def closed(self) -> bool:
        """Whether the listener has stopped (or never started)."""
        return self._server is None or self._closed.is_set()

    def start(self) -> None:
        """Bind the port and serve in a daemon thread; ``OSError`` if it is taken."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sfmagic-oauth-callback-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.debug("listening for the OAuth redirect on port %d", self.port)

    def close(self) -> None:
        """Stop serving and release the port; safe to call from any thread."""
        if self._server is None or self._closed.is_set():
            return
        self._closed.set()
        server = self._server
        if self._thread is not None and self._thread is not threading.current_thread():
            server.shutdown()
            server.server_close()
        else:
            # Called from a request thread of this server: shut down elsewhere.
            threading.Thread(target=_stop, args=(server,), daemon=True).start()

    def _accept(self, request_path: str) -> CallbackResult | None:
        """The answer for a request, or None for a path that is not the callback."""
        if urlsplit(request_path).path != self.path:
            return None
        result = self._handle(self._base + request_path)
        if result.done:
            self.close()
        return result

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            timeout = REQUEST_TIMEOUT

            def do_GET(self) -> None:
                result = listener._accept(self.path)
                if result is None:
                    self._answer(404, "Not found", "Nothing is served here.")
                else:
                    self._answer(result.status, result.heading, result.message)

            def _answer(self, status: int, heading: str, message: str) -> None:
                page = _PAGE.format(
                    heading=html.escape(heading), message=html.escape(message)
                ).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:
                # The request line holds the authorization code: never log it.
                return None

        return Handler


def _stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
