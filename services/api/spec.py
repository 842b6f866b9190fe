"""flask-smorest wired to our contract: problem+json errors, ETag and Location headers, bearer auth.

Resources import :class:`Blueprint` and the :data:`documented` helpers from here, so that every
operation documents the same error shapes and headers the same way.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import request
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import deepupdate, prepare_response
from webargs.flaskparser import FlaskParser, abort, is_json_request

from services.api.etag import ETAG_HEADER, IF_MATCH
from services.api.operation_ids import OPERATION_IDS
from services.api.problems import MEDIA_TYPE, ProblemSchema
from shared.errors import UnsupportedMediaType
from shared.use_cases.idempotency import KEY_PATTERN, MAX_KEY_LENGTH
from shared.use_cases.paging import Page

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    "description": "Any unique string of 1–255 printable characters (a UUID is good): ASCII from the space to `~` "
    "and printable Latin-1, without a space at either end; another key is 400. A retry with the same key and request "
    "gets the first response again (an error too), marked `Idempotent-Replayed: true`, without the work "
    "being redone; a key is kept 24 hours. The same key with another request is 422; a retry while the "
    "first is running is 409.",
}
IDEMPOTENT_REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
    "schema": {"type": "string", "enum": ["true"]},
}
WWW_AUTHENTICATE = {
    "description": "The scheme to authenticate with: `Bearer realm=\"intervisie\"`",
    "schema": {"type": "string"},
}


NO_BODY = "is missing: send the JSON document as application/json"


class RequestParser(FlaskParser):
    """webargs' parser, except that

    * a body that is not JSON is refused: 415 when its media type is another (webargs would read
      it as no body at all, and a PUT of it would store an empty document), and 400 when it is
      nested more deeply than Python's parser can follow or holds an integer of more digits than
      Python converts (``sys.get_int_max_str_digits``, 4,300): a RecursionError or ValueError,
      which would otherwise be a 500;
    * a schema given as a class is built once, not for every request (building one deep-copies
      its fields: a tenth of a millisecond a request).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap, req) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:  # two threads may both build it; either copy serves
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        if not is_json_request(req) and req.get_data(cache=True):
            raise UnsupportedMediaType(
                f"Send the request body as application/json, not {req.mimetype or 'without a Content-Type'}."
            )
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "(body)", 0) from None
        except json.JSONDecodeError:
            raise
        except ValueError:  # the only other thing json.loads raises: int() refusing a long number
            limit = sys.get_int_max_str_digits()
            raise json.JSONDecodeError(f"a number has more than {limit:,} digits", "(body)", 0) from None

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        reason = error.msg if error.doc == "(body)" else f"{error.msg} (line {error.lineno}, column {error.colno})"
        abort(400, exc=error, messages={"json": [f"is not valid JSON: {reason}"]})


def require_body(view: Callable) -> Callable:
    """The view of an operation whose JSON body is required answers 400 when none was sent,
    instead of reading it as ``{}`` (which a PUT would store as an empty document)."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not request.get_data(cache=True):
            abort(400, messages={"json": [NO_BODY]})
        return view(*args, **kwargs)

    return checked


class Blueprint(flask_smorest.Blueprint):
    """Documents what operations share: 429 where requests are rate limited, 400 and 415 where
    a JSON body is read (see :class:`RequestParser` and :func:`require_body`), and on every POST
    of the API (not a page's form) the ``Idempotency-Key`` header with its 409 and 422."""

    ARGUMENTS_PARSER = RequestParser()
    PAGINATION_ARGUMENTS_PARSER = RequestParser()

    def __init__(self, *args, rate_limited: bool = True, idempotent_posts: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rate_limited = rate_limited
        self.idempotent_posts = idempotent_posts
        self._prepare_doc_cbks.append(self._prepare_shared_doc)

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return parse
        return lambda view: require_body(parse(view))

    def _prepare_shared_doc(self, doc, doc_info, *, method, **kwargs):
        responses: dict[int, str] = {}
        if "application/json" in doc.get("requestBody", {}).get("content", {}):
            responses.update({400: "BAD_REQUEST", 415: "UNSUPPORTED_MEDIA_TYPE"})
        if self.rate_limited:
            responses[429] = "TOO_MANY_REQUESTS"
        if method == "post" and self.idempotent_posts:
            doc.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            responses.update({409: "CONFLICT", 422: "UNPROCESSABLE_ENTITY"})
        return deepupdate(doc, {"responses": responses}) if responses else doc



REQUEST_ID_PATTERN = "^[A-Za-z0-9._-]{1,128}$"
REQUEST_ID_PARAMETER = {
    "in": "header",
    "name": "X-Request-ID",
    "required": False,
    # No pattern here: any value is accepted, and one that is not 1–128 characters of
    # [A-Za-z0-9._-] is replaced by a new id (never refused).
    "schema": {"type": "string"},
    "description": "Your id for this request (1–128 characters of A–Z, a–z, 0–9, '.', '_', '-'), "
    "carried into the logs and the work it causes; any other value, or none, gets a new one. "
    "Every answer echoes the id the request was given.",
}
REQUEST_ID_HEADER = {
    "description": "The request's id (yours when valid, else a new one), as the logs know it",
    "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
}
RETRY_AFTER = {
    "description": "Seconds to wait before asking again",
    "schema": {"type": "integer", "minimum": 0},
}
RETRY_STATUSES = ("202", "429", "503")


class OperationNames(BasePlugin):
    """Every operation gets its stable ``operationId`` from :mod:`services.api.operation_ids`,
    every 202, 429 and 503 it answers documents ``Retry-After``, and every success of a POST
    that takes an ``Idempotency-Key`` documents ``Idempotent-Replayed``."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            key = (method.upper(), path)
            if key in OPERATION_IDS:  # tests/api/test_openapi.py fails for one that is missing
                operation["operationId"] = OPERATION_IDS[key]
            idempotent = IDEMPOTENCY_PARAMETER in operation.get("parameters", [])
            operation.setdefault("parameters", []).append(REQUEST_ID_PARAMETER)
            for status, response in operation.get("responses", {}).items():
                if not isinstance(response, dict) or "$ref" in response:
                    continue
                response.setdefault("headers", {})["X-Request-ID"] = REQUEST_ID_HEADER
                if str(status) in RETRY_STATUSES:
                    response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER
                if idempotent and str(status).startswith("2"):
                    response.setdefault("headers", {})["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED


class SchemaKeywords(BasePlugin):
    """JSON Schema keywords that a marshmallow schema states about itself in ``Meta.json_schema``
    (``minProperties``, say), which apispec cannot derive from its fields; and for an answer
    (``Meta.every_field_present``, see schemas.common.ResponseSchema) every property required."""

    def schema_helper(self, name, definition, schema=None, **kwargs):
        meta = getattr(resolve_schema_cls(schema), "Meta", None) if schema is not None else None
        keywords = dict(getattr(meta, "json_schema", {}))
        if getattr(meta, "every_field_present", False):
            optional = getattr(meta, "optional_fields", ())
            keywords["required"] = [name for name in definition.get("properties", {}) if name not in optional]
        return keywords


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


def enum_reference(converter, field, ret, **kwargs) -> dict:
    """A closed set that has a name (schemas.common.Enumerated) as ``allOf: [$ref]`` to one
    ``enum`` component, registered on first use: generated clients get one ``Weekday`` enum, and
    a nullable one stays an enum without ``null`` in it (``nullable`` on the reference)."""
    component = getattr(field, "component", None)
    if component is None:
        return {}
    if component not in converter.spec.components.schemas:
        described = {"description": field.component_description} if field.component_description else {}
        converter.spec.components.schema(component, {"type": "string", "enum": list(field.choices), **described})
    ret.pop("type", None)
    ret.pop("enum", None)
    ret["allOf"] = [{"$ref": f"#/components/schemas/{component}"}]
    return {}


def one_of_schemas(converter, field, ret, **kwargs) -> dict:
    """An object of one of several schemas told apart by a property (schemas.common.OneOfSchemas)
    as ``oneOf`` their references, each registered on first use, with a ``discriminator`` whose
    ``mapping`` names the schema of each value. Each schema admits only its own values of the
    property, so exactly one matches, as ``oneOf`` needs."""
    schemas = getattr(field, "one_of", None)
    if schemas is None:
        return {}
    mapping = {value: converter.resolve_nested_schema(schema)["$ref"] for value, schema in schemas.items()}
    return {
        "oneOf": [{"$ref": ref} for ref in dict.fromkeys(mapping.values())],
        "discriminator": {"propertyName": field.discriminator, "mapping": mapping},
    }


PAGINATION_EXAMPLE = '{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2}'


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *, extra_plugins=None, **options):
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), SchemaKeywords(), OperationNames()], **options)
        self.ma_plugin.converter.add_attribute_function(nullable_reference)
        self.ma_plugin.converter.add_attribute_function(enum_reference)
        self.ma_plugin.converter.add_attribute_function(one_of_schemas)

    def _register_error_handlers(self):
        """Errors are rendered by :mod:`services.api.problems`, registered by the app factory."""

    def _register_responses(self):
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            if str(status.value) in RETRY_STATUSES:
                response["headers"] = {"Retry-After": RETRY_AFTER}
            if status == HTTPStatus.UNAUTHORIZED:
                response["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE}
            response["headers"] = {**response.get("headers", {}), "X-Request-ID": REQUEST_ID_HEADER}
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem (RFC 9457)", "schema": self.ERROR_SCHEMA, "headers": {"X-Request-ID": REQUEST_ID_HEADER}}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def _register_pagination_header(self):
        # The header's value is a JSON document. As a string with a schema, generators and
        # validators read it as what it is on the wire (an object schema would promise the
        # `simple` style, total,5,page,1); `x-json-schema` names the schema of the JSON in it,
        # which tests/api/test_fuzzing.py checks every answer against.
        self.spec.components.schema("PaginationMetadata", schema=PaginationMetadataSchema)
        header = {
            "description": "Pagination metadata as a JSON object (a PaginationMetadata: total, total_pages, "
            "first_page, last_page, page, and previous_page and next_page where there is one)",
            "schema": {"type": "string", "example": PAGINATION_EXAMPLE},
            "x-json-schema": {"$ref": "#/components/schemas/PaginationMetadata"},
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


NOT_MODIFIED = "Not modified (If-None-Match matched the ETag)"


def _conditional_read(func):
    return flask_smorest.Blueprint.alt_response(
        _DOC_BLUEPRINT, 304, description=NOT_MODIFIED, headers={"ETag": ETAG_HEADER}
    )(
        flask_smorest.Blueprint.doc(
            parameters=[{**IF_MATCH, "name": "If-None-Match", "description": "An ETag you hold; 304 when it is still current."}],
        )(func)
    )


def _conditional_write(func):
    func = flask_smorest.Blueprint.doc(parameters=[IF_MATCH])(func)
    return flask_smorest.Blueprint.alt_response(_DOC_BLUEPRINT, 412, response="PRECONDITION_FAILED")(func)


_TEXT_HEADER = {"schema": {"type": "string"}}
_FEED_CACHING = {
    "Cache-Control": {**_TEXT_HEADER, "description": "private, max-age=0, must-revalidate"},
    "Referrer-Policy": {**_TEXT_HEADER, "description": "no-referrer: the URL holds the token"},
}

# alt_response and doc only record documentation on the function; they need no real blueprint.
_DOC_BLUEPRINT = flask_smorest.Blueprint("_doc", __name__)

documented = SimpleNamespace(
    errors=_errors,
    conditional_read=_conditional_read,
    conditional_write=_conditional_write,
    etag={"ETag": ETAG_HEADER},
    location=lambda what: {"Location": {"description": what, "schema": {"type": "string", "format": "uri-reference"}}},
    retry_after={"Retry-After": {**RETRY_AFTER, "description": "While queued or running: seconds to wait before polling again"}},
    created={
        "Location": {"description": "URL of the new resource", "schema": {"type": "string", "format": "uri-reference"}},
        "ETag": ETAG_HEADER,
    },
    text={"type": "string"},
    binary={"type": "string", "format": "binary"},
    # The public feeds (services.api.resources.public_feeds): what they send besides the body.
    if_none_match={**IF_MATCH, "name": "If-None-Match", "description": "The ETag you hold; 304 while the feed is unchanged."},
    feed_headers={"ETag": {**_TEXT_HEADER, "description": "Fingerprint of everything the feed shows"}, **_FEED_CACHING},
    # The pages for people (/answer, /availability, a feed's page; services.api.page_headers):
    # not to be cached, framed or sniffed.
    page_headers={name: _TEXT_HEADER for name in ("Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "Content-Security-Policy")},
    feed_not_found={
        "description": "No feed at this address (the link may have been replaced)",
        "schema": ProblemSchema, "content_type": MEDIA_TYPE, "headers": _FEED_CACHING,
    },
)
