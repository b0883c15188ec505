"""Bulk API 2.0: query and ingest jobs over CSV, run by background workers.

``ROUTES`` serves ``/services/data/vNN.N/jobs/query`` and ``…/jobs/ingest`` (see
``routes``); ``service.BulkService`` holds the jobs of one org and runs them;
``jobs`` stores them in private SQLite tables so they outlive a restart;
``query`` and ``ingest`` hold what each kind of job accepts and does.

Known limits: the multipart form of job creation (data sent with the create
request), PK chunking headers, ``assignmentRuleId`` and the Bulk API 1.0
(``/services/async``) resources are not implemented; jobs are kept until deleted
(Salesforce removes them after seven days).
"""

from sfmagic.emulator.bulk.routes import ROUTES, bulk_service
from sfmagic.emulator.bulk.service import BulkService

__all__ = ["ROUTES", "BulkService", "bulk_service"]
