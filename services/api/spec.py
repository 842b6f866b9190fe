"""flask-smorest wired to our contract: problem+json errors, ETag and Location headers, bearer auth.

Resources import :class:`Blueprint` and the :data:`documented` helpers from here, so that every
operation documents the same error shapes and headers the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import flask_smorest
from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import deepupdate, prepare_response
from webargs.flaskparser import FlaskParser

from services.api.etag import ETAG_HEADER, IF_MATCH
from services.api.operation_ids import OPERATION_IDS
from services.api.problems import MEDIA_TYPE, ProblemSchema
from shared.use_cases.people import Page

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Any unique string (a UUID is good). A retry with the same key and request "
    "gets the first response again, without the work being redone; a key is kept 24 hours. "
    "The same key with another request is 422; a retry while the first is running is 409.",
}


class DepthSafeParser(FlaskParser):
    """webargs' parser, except that a JSON body nested more deeply than Python's parser can
    follow is invalid JSON (400) instead of a RecursionError (500)."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "(body)", 0) from None


class Blueprint(flask_smorest.Blueprint):
    """Documents what operations share: 429 where requests are rate limited, and on every POST
    of the API (not a page's form) the ``Idempotency-Key`` header with its 409 and 422."""

    ARGUMENTS_PARSER = DepthSafeParser()

    def __init__(self, *args, rate_limited: bool = True, idempotent_posts: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rate_limited = rate_limited
        self.idempotent_posts = idempotent_posts
        self._prepare_doc_cbks.append(self._prepare_shared_doc)

    def _prepare_shared_doc(self, doc, doc_info, *, method, **kwargs):
        responses: dict[int, str] = {}
        if self.rate_limited:
            responses[429] = "TOO_MANY_REQUESTS"
        if method == "post" and self.idempotent_posts:
            doc.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            responses.update({409: "CONFLICT", 422: "UNPROCESSABLE_ENTITY"})
        return deepupdate(doc, {"responses": responses}) if responses else doc


RETRY_AFTER = {
    "description": "Seconds to wait before asking again",
    "schema": {"type": "integer", "minimum": 0},
}
RETRY_STATUSES = ("202", "429", "503")


class OperationNames(BasePlugin):
    """Every operation gets its stable ``operationId`` from :mod:`services.api.operation_ids`,
    and every 202, 429 and 503 it answers documents ``Retry-After``."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            key = (method.upper(), path)
            if key in OPERATION_IDS:  # tests/api/test_openapi.py fails for one that is missing
                operation["operationId"] = OPERATION_IDS[key]
            for status, response in operation.get("responses", {}).items():
                if str(status) in RETRY_STATUSES and isinstance(response, dict) and "$ref" not in response:
                    response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER


class SchemaKeywords(BasePlugin):
    """JSON Schema keywords that a marshmallow schema states about itself in ``Meta.json_schema``
    (``minProperties``, say), which apispec cannot derive from its fields."""

    def schema_helper(self, name, definition, schema=None, **kwargs):
        meta = getattr(resolve_schema_cls(schema), "Meta", None) if schema is not None else None
        return dict(getattr(meta, "json_schema", {}))


_OPEN_NULL = {"type": "object", "nullable": True}


def nullable_reference(converter, field, ret, **kwargs) -> dict:
    """A nested schema that may be null as ``allOf: [$ref]`` with ``nullable``, instead of
    apispec's ``anyOf`` with an open object (which also admits any object, and which client
    generators turn into placeholder classes)."""
    any_of = ret.get("anyOf")
    if not field.allow_none or not any_of or _OPEN_NULL not in any_of:
        return {}
    ret.pop("anyOf")
    ret["allOf"] = [schema for schema in any_of if schema != _OPEN_NULL]
    return {"nullable": True}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *, extra_plugins=None, **options):
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), SchemaKeywords(), OperationNames()], **options)
        self.ma_plugin.converter.add_attribute_function(nullable_reference)

    def _register_error_handlers(self):
        """Errors are rendered by :mod:`services.api.problems`, registered by the app factory."""

    def _register_responses(self):
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            if str(status.value) in RETRY_STATUSES:
                response["headers"] = {"Retry-After": RETRY_AFTER}
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def _register_pagination_header(self):
        # The header's value is a JSON document: OpenAPI says so with `content`; a bare `schema`
        # would promise the `simple` style (total,5,page,1) instead.
        header = {
            "description": "Pagination metadata, as JSON",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }
        self.spec.components.header("PAGINATION", header, lazy=True)


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
