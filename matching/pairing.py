"""Candidate homes paired with the children each would take: what the factors score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from geo.distance import haversine_km
from matching.inputs import Communities
from matching.messages import Message
from matching.policy import Policy
from matching.request import Context, PlacementRequest
from matching.snapshot import HomeSnapshot

__all__ = ["NEUTRAL", "Pairing"]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
Positions = NDArray[np.intp]

NEUTRAL = 0.5  # a factor that applies to the request but not to the children a home takes


@dataclass(frozen=True, eq=False)
class Pairing:
    """Candidate homes with the children each would take: what factors score.

    Parameters
    ----------
    context
        The request, snapshot and policy.
    communities
        Names and adjacency, for the community factor and the reasons.
    positions
        Snapshot positions of the homes to score.
    takes
        ``(children, homes)``: which children each home would take (at least one each).
    """

    context: Context
    communities: Communities
    positions: Positions
    takes: BoolArray

    @property
    def request(self) -> PlacementRequest:
        return self.context.request

    @property
    def snapshot(self) -> HomeSnapshot:
        return self.context.snapshot

    @property
    def policy(self) -> Policy:
        return self.context.policy

    @cached_property
    def taken(self) -> IntArray:
        """How many children each home takes."""
        taken: IntArray = self.takes.sum(axis=0)
        return taken

    @cached_property
    def distances_by_child(self) -> FloatArray:
        """``(children, homes)``: km from each child's removal address."""
        return self.context.distances_km(self.positions)

    @cached_property
    def school_distances_km(self) -> FloatArray:
        """``(children, homes)``: km from each child's school of origin (NaN: none)."""
        s, homes = self.snapshot, self.positions
        children = self.request.children
        lat = np.array([c.school.lat if c.school else np.nan for c in children])[:, None]
        lon = np.array([c.school.lon if c.school else np.nan for c in children])[:, None]
        return haversine_km(lat, lon, s.lat[homes][None, :], s.lon[homes][None, :])

    @cached_property
    def distance_km(self) -> FloatArray:
        """Per home: km from the removal address of the farthest child it takes."""
        d: FloatArray = np.where(self.takes, self.distances_by_child, 0.0).max(axis=0)
        return d

    def mean_over_taken(self, values: FloatArray, applies: Sequence[bool]) -> FloatArray:
        """Average per-child values over the children each home takes that they apply to.

        ``values`` is ``(children, homes)``; ``applies`` says per child whether the factor
        says anything about them. A home taking none of those gets :data:`NEUTRAL`.
        """
        if self.request.size == 1:  # the common case: one child, taken by every home
            return values[0] if applies[0] else np.full(values.shape[1], NEUTRAL)
        weight = self.takes & np.asarray(applies, dtype=np.bool_)[:, None]
        count = weight.sum(axis=0)
        total = np.where(weight, values, 0.0).sum(axis=0)
        return np.where(count > 0, total / np.maximum(count, 1), NEUTRAL)

    @cached_property
    def sibling_here(self) -> BoolArray:
        """``(children, homes)``: a brother or sister of the child already lives in the home."""
        out = np.zeros((self.request.size, len(self.positions)), dtype=np.bool_)
        for i, child in enumerate(self.request.children):
            if child.placed_siblings:
                homes = self.snapshot.positions(child.sibling_homes)
                out[i] = np.isin(self.positions, homes)
        return out

    def taken_ids(self, j: int) -> list[int]:
        """Indices of the children home ``j`` takes."""
        return [int(i) for i in np.flatnonzero(self.takes[:, j])]

    def whose(self, i: int) -> Message:
        """ "the child's" for one child, else "C2's"."""
        if self.request.size == 1:
            return Message("whose.child")
        return Message("whose.id", id=self.request.ids[i])
