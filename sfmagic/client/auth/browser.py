"""Browser sign-in: the web-server flow finished by a listener or a pasted URL.

``BrowserLogin`` runs one sign-in attempt. The user opens ``authorize_url``;
the attempt then ends in one of two ways, whichever comes first:

* the loopback ``CallbackListener`` receives the browser's redirect (browser
  and kernel on one machine);
* ``finish(url)`` is called with the redirect URL the user copied from the
  browser's address bar (a remote kernel: JupyterHub, a server).

It fails on a denial, a refused code, or when ``timeout`` seconds pass first.
Subscribers are called after every change of state, from whichever thread
made it (the listener's, a timer's, or the caller's).
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sfmagic.client.auth.grants import Grant
from sfmagic.client.auth.listener import CallbackListener, CallbackResult
from sfmagic.client.auth.webserver import WebServerFlow
from sfmagic.client.errors import LoginError, LoginProblem

__all__ = ["BrowserLogin", "SignInState"]

logger = logging.getLogger("sfmagic.client")

T = TypeVar("T")
DEFAULT_TIMEOUT = 300.0
_NOT_OURS = (LoginProblem.STATE_MISMATCH, LoginProblem.BAD_REDIRECT)


class SignInState(enum.Enum):
    """Where a browser sign-in stands."""

    WAITING = "waiting"
    SIGNED_IN = "signed_in"
    FAILED = "failed"


class BrowserLogin(Generic[T]):
    """One browser sign-in attempt.

    Parameters
    ----------
    flow
        The authorize URL, state and PKCE verifier of this attempt.
    connect
        Turns the authorization-code grant into the result (a ``Connection``);
        raises ``LoginError`` when the code is refused.
    listen
        Start a loopback listener on the flow's redirect URI.
    timeout
        Seconds the user has to finish; afterwards the attempt fails with
        ``CONSENT_TIMEOUT`` and pasted URLs are refused.
    """

    def __init__(
        self,
        flow: WebServerFlow,
        connect: Callable[[Grant], T],
        *,
        listen: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.flow = flow
        self.timeout = timeout
        self.state = SignInState.WAITING
        self.result: T | None = None
        self.error: LoginError | None = None
        self.listen_error: str | None = None
        """Why the listener could not start (the port is taken), or None."""
        self._connect = connect
        self._listen = listen
        self._listener: CallbackListener | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.RLock()
        self._done = threading.Event()
        self._subscribers: list[Callable[[BrowserLogin[T]], None]] = []

    def __repr__(self) -> str:
        return f"<BrowserLogin {self.flow.redirect_uri} {self.state.value}>"

    @property
    def authorize_url(self) -> str:
        """The page where the user signs in and allows access."""
        return self.flow.authorize_url

    @property
    def listening(self) -> bool:
        """Whether the loopback listener is waiting for the redirect."""
        return self._listener is not None and not self._listener.closed

    def subscribe(self, callback: Callable[[BrowserLogin[T]], None]) -> None:
        """Call ``callback(self)`` after each change of state."""
        self._subscribers.append(callback)

    def start(self) -> None:
        """Start the listener (when asked) and the timeout clock."""
        if self._listen:
            listener = CallbackListener(self.flow.redirect_uri, self._on_callback)
            try:
                listener.start()
            except OSError as error:
                self.listen_error = (
                    f"port {listener.port} is not free ({error.strerror or error})"
                )
                logger.info("OAuth callback listener not started: %s", error)
            else:
                self._listener = listener
        self._timer = threading.Timer(self.timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        self._notify()

    def finish(self, redirect_url: str) -> T:
        """Complete the sign-in with the redirect URL the browser landed on.

        Raises ``LoginError``: ``BAD_REDIRECT`` or ``STATE_MISMATCH`` for text
        that is not this attempt's redirect (the attempt goes on waiting), or
        the error that ended the attempt.
        """
        with self._lock:
            if self.state is SignInState.SIGNED_IN and self.result is not None:
                return self.result
            if self.error is not None:
                raise self.error
            try:
                code = self.flow.code_from_redirect(redirect_url)
            except LoginError as error:
                if error.problem not in _NOT_OURS:
                    self._fail(error)
                raise
        return self._redeem(code)

    def wait(self, timeout: float | None = None) -> T:
        """Block until the attempt ends; its result, or its ``LoginError``."""
        self._done.wait(self.timeout + 5 if timeout is None else timeout)
        with self._lock:
            if self.result is not None:
                return self.result
            if self.error is None:
                self._fail(_timeout_error(timeout or self.timeout))
            assert self.error is not None
            raise self.error

    def cancel(self) -> None:
        """Stop listening and waiting; the attempt fails (``CANCELLED``) if not done."""
        with self._lock:
            if self.state is SignInState.WAITING:
                self._fail(LoginError(LoginProblem.CANCELLED, "Sign-in was cancelled."))
            self._stop()

    def _redeem(self, code: str) -> T:
        with self._lock:
            if self.result is not None:
                return self.result
            if self.error is not None:
                raise self.error
            try:
                result = self._connect(self.flow.grant(code))
            except LoginError as error:
                self._fail(error)
                raise
            self.result = result
            self.state = SignInState.SIGNED_IN
            self._stop()
            self._done.set()
        self._notify()
        return result

    def _on_callback(self, url: str) -> CallbackResult:
        try:
            self.finish(url)
        except LoginError as error:
            if error.problem in _NOT_OURS and self.state is SignInState.WAITING:
                return CallbackResult(
                    done=False,
                    heading="Not this sign-in",
                    message="This link does not belong to the sign-in sfmagic is "
                    "waiting for.",
                )
            return CallbackResult(
                done=True, heading="Sign-in failed", message=error.message
            )
        return CallbackResult(
            done=True,
            heading="Signed in",
            message="You are signed in. You can close this tab and return to "
            "the notebook.",
        )

    def _expire(self) -> None:
        with self._lock:
            if self.state is not SignInState.WAITING:
                return
            self._fail(_timeout_error(self.timeout))

    def _fail(self, error: LoginError) -> None:
        with self._lock:
            if self.state is not SignInState.WAITING:
                return
            self.error = error
            self.state = SignInState.FAILED
            self._stop()
            self._done.set()
        self._notify()

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._listener is not None:
            self._listener.close()

    def _notify(self) -> None:
        for callback in list(self._subscribers):
            try:
                callback(self)
            except Exception:
                logger.exception("a sign-in subscriber failed")


def _timeout_error(seconds: float) -> LoginError:
    return LoginError(
        LoginProblem.CONSENT_TIMEOUT,
        f"Browser sign-in was not finished within {seconds:g} seconds.",
    )
