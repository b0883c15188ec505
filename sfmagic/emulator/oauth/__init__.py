"""OAuth 2.0 for the emulated org, on the same loopback host as its API.

Routes (``ROUTES``, mounted by the app):

* ``/services/oauth2/authorize``: the web-server flow's sign-in and consent
  pages (``pages``);
* ``/services/oauth2/token``: the authorization-code, refresh-token,
  username-password, client-credentials, JWT bearer and device grants, and the
  device flow's first step (``endpoints``);
* ``/services/oauth2/revoke``, ``/services/oauth2/introspect``,
  ``/services/oauth2/userinfo`` and the identity URL ``/id/<org>/<user>``;
* ``/setup/connect``: the device flow's verification page.

Answers follow Salesforce's shapes (reference §8); where Salesforce's exact
answer is unknown the choice is written in the docstring of the module that
makes it.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from sfmagic.emulator.oauth.common import blocking
from sfmagic.emulator.oauth.endpoints import (
    identity,
    introspect,
    revoke,
    token,
    userinfo,
)
from sfmagic.emulator.oauth.pages import authorize, device_verification

__all__ = ["ROUTES"]

ROUTES: list[BaseRoute] = [
    Route("/services/oauth2/authorize", blocking(authorize), methods=["GET", "POST"]),
    Route("/services/oauth2/token", blocking(token), methods=["GET", "POST"]),
    Route("/services/oauth2/revoke", blocking(revoke), methods=["GET", "POST"]),
    Route("/services/oauth2/introspect", blocking(introspect), methods=["POST"]),
    Route("/services/oauth2/userinfo", blocking(userinfo), methods=["GET", "POST"]),
    Route("/id/{org_id}/{user_id}", blocking(identity), methods=["GET", "POST"]),
    Route("/setup/connect", blocking(device_verification), methods=["GET", "POST"]),
]
