"""Outreach: the community partners best placed to reach the families a gap needs.

A partner is a candidate for a community when it is in the community (full weight) or in a
neighbouring one (``neighbour_weight``). Its score for a gap of a segment is::

    place x (1 + language_weight x language_reach + kind_affinity)

``language_reach`` is the share of the segment's expected children, in that community, whose
primary language the partner serves (families are recruited in the children's languages);
``kind_affinity`` (0..1, from the policy; 0.5 for kinds it does not name) is how well that kind
of organisation reaches the segment (schools for teenagers, health centres for medical needs).
Ties go to the partner id, so the ranking is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recruitment.policy import RecruitmentPolicy
from recruitment.segments import DIMENSIONS, Segment, has_code
from recruitment.tables import RecruitmentInputs

__all__ = ["Outreach"]

FloatArray = NDArray[np.float64]
DEFAULT_AFFINITY = 0.5


@dataclass(frozen=True)
class Outreach:
    """Partner candidates per community, built once and scored per segment."""

    partners: pd.DataFrame
    languages: tuple[str, ...]
    serves: NDArray[np.bool_]  # partners x languages
    pair_community: NDArray[np.int64]
    pair_partner: NDArray[np.int64]
    pair_place: FloatArray
    policy: RecruitmentPolicy
    cards: tuple[dict[str, Any], ...]  # each partner as listed, without its score

    @classmethod
    def build(
        cls, inputs: RecruitmentInputs, policy: RecruitmentPolicy, languages: tuple[str, ...]
    ) -> Outreach:
        """Pair every community with the partners in it and in its neighbours."""
        partners = inputs.partners.reset_index(drop=True)
        code = inputs.community_codes(partners["community"])
        serves = np.column_stack(
            [has_code(partners["languages"], lang) for lang in languages]
            or [np.zeros(len(partners), dtype=bool)]
        )[:, : len(languages)]
        by_community: dict[int, list[int]] = {}
        for i, c in enumerate(code.tolist()):
            if c >= 0:
                by_community.setdefault(c, []).append(i)
        ids = list(inputs.codes)
        pc: list[int] = []
        pp: list[int] = []
        pw: list[float] = []
        for c, community in enumerate(ids):
            for i in by_community.get(c, []):
                pc.append(c)
                pp.append(i)
                pw.append(1.0)
            for other in sorted(inputs.neighbours.get(community, ())):
                for i in by_community.get(inputs.codes[other], []):
                    pc.append(c)
                    pp.append(i)
                    pw.append(policy.neighbour_weight)
        return cls(
            partners=partners,
            languages=languages,
            serves=serves,
            pair_community=np.array(pc, dtype=np.int64),
            pair_partner=np.array(pp, dtype=np.int64),
            pair_place=np.array(pw, dtype=np.float64),
            policy=policy,
            cards=tuple(
                {
                    "id": r["id"],
                    "name": r["name"],
                    "kind": r["kind"],
                    "community": r["community"],
                    "languages": [x for x in str(r["languages"]).split(";") if x],
                    # how to reach the organisation, as the records hold it (None: not given)
                    "contact": _text_or_none(r.get("contact")),
                }
                for r in partners.to_dict("records")
            ),
        )

    def _affinity(self, segment: Segment) -> FloatArray:
        kinds = self.partners["kind"].to_numpy()
        tables = [
            self.policy.kind_affinity[f"{d}:{getattr(segment, d)}"]
            for d in DIMENSIONS
            if getattr(segment, d) is not None
            and f"{d}:{getattr(segment, d)}" in self.policy.kind_affinity
        ]
        if not tables:
            return np.full(len(kinds), DEFAULT_AFFINITY)
        return np.array(
            [max(t.get(str(k), DEFAULT_AFFINITY) for t in tables) for k in kinds], dtype=np.float64
        )

    def rank(
        self, segment: Segment, language_share: FloatArray, communities: NDArray[np.int64]
    ) -> dict[int, list[dict[str, Any]]]:
        """The best partners for a segment's gap in each of ``communities`` (indices).

        ``language_share`` is communities x ``languages``: the share of the segment's expected
        children speaking each language first.
        """
        wanted = np.zeros(language_share.shape[0], dtype=bool)
        wanted[communities] = True
        keep = wanted[self.pair_community]
        c, p, place = self.pair_community[keep], self.pair_partner[keep], self.pair_place[keep]
        if len(c) == 0 or self.policy.max_partners == 0:
            return {}
        reach = (language_share[c] * self.serves[p]).sum(axis=1)
        score = place * (1.0 + self.policy.language_weight * reach + self._affinity(segment)[p])
        ids = self.partners["id"].to_numpy()
        order = np.lexsort((ids[p], -np.round(score, 9), c))
        # keep the first max_partners of each community (pairs are sorted by community)
        grouped = c[order]
        place_in_group = np.arange(len(order)) - np.searchsorted(grouped, grouped, side="left")
        chosen = order[place_in_group < self.policy.max_partners]
        out: dict[int, list[dict[str, Any]]] = {}
        for j in chosen.tolist():
            card = dict(self.cards[int(p[j])])
            card["in_community"] = bool(place[j] == 1.0)
            card["score"] = round(float(score[j]), 3)
            out.setdefault(int(c[j]), []).append(card)
        return out


def _text_or_none(value: Any) -> str | None:
    """A cell's text; None for a missing or empty one (pandas reads those as NaN or None)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value).strip() or None
