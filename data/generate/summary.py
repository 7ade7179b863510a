"""What a run of the generator wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote: counts per file and the state of the agency on as_of."""

    communities: int
    homes: int
    homes_open: int  # active + on_hold on as_of
    children: int
    children_in_care: int  # with an open episode on as_of
    waiting: int  # in care with no placement or in shelter / group home / institution
    episodes: int
    placements: int
    applicants: int
    partners: int
    seed: int
    scale: str
    as_of: date

    def summary(self) -> str:
        """A few readable lines."""
        return "\n".join(
            [
                f"synthetic {self.scale} (seed {self.seed}) as of {self.as_of.isoformat()}: "
                f"{self.communities} communities",
                f"children: {self.children:,} ({self.children_in_care:,} in care, "
                f"{self.waiting:,} waiting for a family home)",
                f"homes: {self.homes:,} ({self.homes_open:,} open)",
                f"episodes: {self.episodes:,}; placements: {self.placements:,}",
                f"applicants: {self.applicants:,}; partners: {self.partners:,}",
            ]
        )
