"""ETags from a resource's version, and the If-Match / If-None-Match preconditions.

If-Match is optional: a client that sends it gets 412 when the version it read is no longer
current. The check here compares with the row as read in the transaction; the UPDATE itself
carries ``WHERE version = …`` (SQLAlchemy's ``version_id_col``), so a concurrent writer that
slipped in between also ends in 412.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import request
from werkzeug.exceptions import HTTPException

from shared.errors import PreconditionFailed


class NotModified(HTTPException):
    """304: the client's copy is current. Rendered without a body by the error handlers."""

    code = 304

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__()
        self.headers = headers


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag you read; the write fails with 412 when the resource changed since.",
}
ETAG_HEADER = {"description": "Version of the resource, for If-Match and If-None-Match", "schema": {"type": "string"}}


def etag_of(row: Any) -> str:
    material = f"{row.id}:{row.version}:{getattr(row, 'etag_material', '')}"
    digest = hashlib.blake2b(material.encode(), digest_size=10).hexdigest()
    return f'"{digest}"'


def headers_for(row: Any) -> dict[str, str]:
    return {"ETag": etag_of(row)}


def check_if_match(row: Any) -> None:
    if request.if_match and not request.if_match.contains(etag_of(row).strip('"')) and not request.if_match.star_tag:
        raise PreconditionFailed(
            "The resource has changed since you read it (If-Match does not match its ETag); read it again."
        )


def check_if_none_match(row: Any) -> None:
    if request.if_none_match and request.if_none_match.contains(etag_of(row).strip('"')):
        raise NotModified(headers_for(row))
