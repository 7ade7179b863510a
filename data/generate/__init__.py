"""The synthetic sample county: a reproducible agency that looks and behaves like a real one.

``generate(out_dir, seed=..., scale="county")`` writes one folder of the import format
(``communities.geojson``, ``homes.csv``, ``children.csv``, ``episodes.csv``,
``placements.csv``, ``applicants.csv``, ``partners.csv``) for the 77 community areas of
Chicago. The same seed gives byte-identical files (with the same numpy: every draw comes
from generators spawned from one ``SeedSequence(seed)``, and nothing is iterated in set or
hash order). How the agency is made, and what is invented: ``docs/sample-county.md``.

One module per step: :mod:`~data.generate.targets` (the numbers, with their sources),
:mod:`~data.generate.geography`, :mod:`~data.generate.families` (with
:mod:`~data.generate.episodes`), :mod:`~data.generate.homes`,
:mod:`~data.generate.simulation`, :mod:`~data.generate.recruitment`,
:mod:`~data.generate.records` and :mod:`~data.generate.writers`, run in order by
:mod:`~data.generate.pipeline`.
"""

from data.generate.pipeline import generate
from data.generate.summary import GenerationSummary
from data.generate.targets import DEFAULT_AS_OF, SCALES, ScaleTargets

__all__ = ["DEFAULT_AS_OF", "SCALES", "GenerationSummary", "ScaleTargets", "generate"]
