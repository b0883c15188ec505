"""Composite resources: several REST calls in one request.

``routes`` serves ``composite`` (dependent subrequests with references and
``allOrNone``), ``composite/batch`` (independent subrequests) and the sObject
collections of ``collections``; ``subrequests`` runs each subrequest as the REST
API would answer it. See ``routes`` for the details and the known limits.
"""

from sfmagic.emulator.composite.routes import ROUTES, run_batch, run_composite

__all__ = ["ROUTES", "run_batch", "run_composite"]
