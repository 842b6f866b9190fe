"""Pages of a list: which page is asked for, and one page of a query with the count of all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    number: int
    size: int


MAX_OFFSET = 2**31 - 1
"""The largest OFFSET the databases take as a parameter (a 4-byte integer)."""


def paginate(session: Session, query: Select, page: Page) -> tuple[list[Any], int]:
    """One page of ``query`` and how many rows all pages hold, in one statement: the count is a
    window over the whole result, taken before LIMIT. Past the last page it is counted alone."""
    offset = (page.number - 1) * page.size
    if offset <= MAX_OFFSET:
        # unique(): a query may load collections in the same statement (joined eager loading).
        rows = session.execute(query.add_columns(func.count().over()).limit(page.size).offset(offset)).unique().all()
        if rows:
            return [row[0] for row in rows], rows[0][1]
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return [], total
