"""The app's Flask class: each request one unit of work (`omniorder.core.unit_of_work`).

Read or write is decided here, once, from the request's method, before any hook or view runs
(`decide_access`); a request that writes commits once at its end if its answer is a success
and rolls back otherwise, so a view never commits halfway.
"""

from flask import Flask, request

from omniorder.core.database import db, decide_access, reads_only
from omniorder.core.unit_of_work import rollback_quietly
from omniorder.web.input import allow_upload_size


class UnitOfWorkFlask(Flask):
    """Flask, with each writing request as one transaction around its view."""

    def preprocess_request(self):
        # Read or write is decided here, once, before any hook or view runs.
        decide_access(request.method)
        allow_upload_size()  # and how big a body may be, before a hook reads the form
        return super().preprocess_request()

    def dispatch_request(self):
        if reads_only():
            return super().dispatch_request()
        try:
            response = self.make_response(super().dispatch_request())
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        except BaseException:
            rollback_quietly()
            raise
        return response
