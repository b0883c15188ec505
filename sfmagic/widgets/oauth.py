"""The browser sign-in widget shown by ``%sf_login``.

A ``VBox`` of small standard widgets wired to one update method:

* ``link``: "Sign in to Salesforce", an HTML link that opens the authorize URL
  in a new browser tab;
* ``status``: one line saying what is awaited, or who is now signed in to
  which org, or why the sign-in failed;
* ``redirect`` and ``finish``: a text box and a button to paste the address the
  browser ended on, for kernels the browser cannot reach (JupyterHub, a remote
  server), where the page at ``localhost:1717`` fails to load but its address
  holds the authorization code.

The pasted address is cleared from the text box as soon as it is read, so the
authorization code stays in neither the widget's state nor a saved notebook.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from sfmagic.client.auth import BrowserLogin, SignInState
from sfmagic.client.errors import LoginError, LoginProblem

if TYPE_CHECKING:
    from sfmagic.client.connection import Connection

__all__ = ["ConsentWidget"]

LINK_STYLE = (
    "display:inline-block;padding:6px 14px;border-radius:4px;background:#0176d3;"
    "color:#fff;text-decoration:none;font-weight:600"
)
_KEEP_WAITING = (LoginProblem.STATE_MISMATCH, LoginProblem.BAD_REDIRECT)


def _default_explain(error: LoginError) -> str:
    return error.message


class ConsentWidget(widgets.VBox):  # type: ignore[misc]
    """Sign in to Salesforce in the browser, finished by listener or paste.

    Parameters
    ----------
    login
        The sign-in attempt; the widget follows its state.
    explain
        Turns a failure into the sentence shown in the status line.

    Examples
    --------
    Without a browser (as the tests do)::

        widget = ConsentWidget(login)
        widget.redirect.value = "http://localhost:1717/OauthRedirect?code=…&state=…"
        widget.finish.click()
        widget.status.value   # "Signed in as … to org … at …"
    """

    def __init__(
        self,
        login: BrowserLogin[Connection],
        *,
        explain: Callable[[LoginError], str] = _default_explain,
        **kwargs: Any,
    ) -> None:
        self.login = login
        self._explain = explain
        self.link = widgets.HTML(value=self._link_html(), layout={"margin": "4px 0"})
        self.status = widgets.HTML(value="")
        self.hint = widgets.HTML(
            value="<small>If the browser ends on a page that cannot be reached, "
            "copy that page's address here:</small>"
        )
        self.redirect = widgets.Text(
            placeholder=f"{login.flow.redirect_uri}?code=…&state=…",
            layout={"width": "60%"},
        )
        self.finish = widgets.Button(
            description="Finish sign-in", tooltip="Use the pasted address"
        )
        self.finish.on_click(self._on_finish)
        paste = widgets.HBox([self.redirect, self.finish])
        super().__init__([self.link, self.status, self.hint, paste], **kwargs)
        self.add_class("sfmagic-consent")
        login.subscribe(self._update)
        self._update(login)

    def _link_html(self) -> str:
        url = html.escape(self.login.authorize_url, quote=True)
        return (
            f'<a href="{url}" target="_blank" rel="noopener noreferrer" '
            f'class="sfmagic-sign-in" style="{LINK_STYLE}">Sign in to Salesforce</a>'
        )

    def _on_finish(self, _button: widgets.Button) -> None:
        text = self.redirect.value
        self.redirect.value = ""
        if not text.strip():
            self._show("Paste the address of the page the browser ended on first.")
            return
        try:
            self.login.finish(text)
        except LoginError as error:
            if error.problem in _KEEP_WAITING:
                self._show(self._explain(error))
            # Other failures ended the sign-in; _update already reported them.

    def _update(self, login: BrowserLogin[Connection]) -> None:
        if login.state is SignInState.SIGNED_IN and login.result is not None:
            conn = login.result
            self._show(
                f"Signed in as {conn.username} to org {conn.org_id} at "
                f"{conn.instance_url} (alias {conn.alias!r}).",
                css="sfmagic-signed-in",
            )
            self._close_inputs()
        elif login.state is SignInState.FAILED and login.error is not None:
            self._show(self._explain(login.error), css="sfmagic-failed")
            self._close_inputs()
        else:
            self._show(self._waiting_text(login))

    def _waiting_text(self, login: BrowserLogin[Connection]) -> str:
        start = "Click “Sign in to Salesforce”, log in and allow access."
        if login.listening:
            return f"{start} Waiting for the browser at {login.flow.redirect_uri}."
        if login.listen_error:
            return (
                f"{start} Then paste the address the browser ends on below "
                f"({login.listen_error})."
            )
        return f"{start} Then paste the address the browser ends on below."

    def _show(self, text: str, css: str = "sfmagic-waiting") -> None:
        self.status.value = f'<span class="{css}">{html.escape(text)}</span>'

    def _close_inputs(self) -> None:
        self.redirect.value = ""
        self.redirect.disabled = True
        self.finish.disabled = True
        self.link.layout.display = "none"
        self.hint.layout.display = "none"
