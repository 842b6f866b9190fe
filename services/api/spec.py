"""flask-smorest wired to our contract: problem+json errors, ETag and Location headers, bearer auth.

Resources import :class:`Blueprint` and the :data:`documented` helpers from here, so that every
operation documents the same error shapes and headers the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import flask_smorest
from flask_smorest.utils import prepare_response

from services.api.etag import ETAG_HEADER, IF_MATCH
from services.api.problems import MEDIA_TYPE, ProblemSchema
from shared.use_cases.people import Page

Blueprint = flask_smorest.Blueprint


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Errors are rendered by :mod:`services.api.problems`, registered by the app factory."""

    def _register_responses(self):
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def page_of(pagination_parameters) -> Page:
    return Page(number=pagination_parameters.page, size=pagination_parameters.page_size)


def _errors(*statuses: int) -> Callable:
    """Document the problem responses an operation can give, besides 401/422/500."""

    def decorator(func):
        for status in (401, *statuses, 500):
            func = flask_smorest.Blueprint.alt_response(
                _DOC_BLUEPRINT, status, response=HTTPStatus(status).name
            )(func)
        return func

    return decorator


def _conditional_read(func):
    return flask_smorest.Blueprint.alt_response(
        _DOC_BLUEPRINT, 304, description="Not modified (If-None-Match matched the ETag)"
    )(
        flask_smorest.Blueprint.doc(
            parameters=[{**IF_MATCH, "name": "If-None-Match", "description": "An ETag you hold; 304 when it is still current."}],
        )(func)
    )


def _conditional_write(func):
    func = flask_smorest.Blueprint.doc(parameters=[IF_MATCH])(func)
    return flask_smorest.Blueprint.alt_response(_DOC_BLUEPRINT, 412, response="PRECONDITION_FAILED")(func)


# alt_response and doc only record documentation on the function; they need no real blueprint.
_DOC_BLUEPRINT = flask_smorest.Blueprint("_doc", __name__)

documented = SimpleNamespace(
    errors=_errors,
    conditional_read=_conditional_read,
    conditional_write=_conditional_write,
    etag={"ETag": ETAG_HEADER},
    created={
        "Location": {"description": "URL of the new resource", "schema": {"type": "string"}},
        "ETag": ETAG_HEADER,
    },
)
