"""The capacity gaps, computed once per worker until the records change.

Computing the gaps ranks every waiting child (for unmet demand), so the API and the
recruiter's pages share one computation: results are kept per horizon, segment and day
until the change counter moves, at most :data:`CACHE_SIZE` of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from api.services.errors import NotFound, invalid
from api.services.recruitment import load_recruitment_inputs
from api.services.snapshots import records_version
from geo import CommunityIndex
from recruitment import GapResult, compute_gaps, load_recruitment_policy, parse_segment

__all__ = ["CACHE_SIZE", "GapCache", "Gaps"]

CACHE_SIZE = 8  # results kept: a recruiter moves between a few horizons and segments

Gaps = tuple[GapResult, CommunityIndex, str | None]  # result, communities, segment key


class GapCache:
    """The gaps over ``engine``'s records, kept until they change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._kept: OrderedDict[tuple[object, ...], tuple[GapResult, CommunityIndex]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def gaps(self, horizon_months: int, segment: str | None, as_of: date | None) -> Gaps:
        """The gaps for a horizon and segment (default all children) on a day (default the
        last day the records mention).

        Raises
        ------
        Invalid
            When ``segment`` does not parse (``query.segment``).
        NotFound
            When the records hold nothing to compute gaps from.
        """
        key_segment = None
        if segment is not None:
            try:
                key_segment = parse_segment(segment).key
            except ValueError as exc:
                raise invalid(["query", "segment"], str(exc)) from None
        with Session(self.engine) as session:
            key = (records_version(session), horizon_months, key_segment, as_of)
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
                    return (*self._kept[key], key_segment)
            try:
                data = load_recruitment_inputs(session, as_of=as_of)
            except LookupError as exc:
                raise NotFound(str(exc)) from None
        result = compute_gaps(
            data.inputs,
            load_recruitment_policy(),
            horizon_months=horizon_months,
            segments=[key_segment or "all"],
        )
        with self._lock:
            self._kept[key] = (result, data.index)
            while len(self._kept) > CACHE_SIZE:
                self._kept.popitem(last=False)
        return result, data.index, key_segment
