"""The generator's bit-mask copy of the hard rules agrees with the matching engine's rules.

The simulation searches homes with :mod:`data.generate.hard_rules`; these tests hold it to
the rules of :mod:`matching.rules` it mirrors (ages, sex, needs, sibling-group size) on the
non-kin homes the generator draws for the county and a sample of drawn sibling groups, so
that a change to either side that makes them disagree fails here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from core.codes import ACCEPTS_SEX, CAPABILITIES, HOME_KINDS, NEEDS, SEXES
from data.generate import DEFAULT_AS_OF, SCALES
from data.generate.codes import (
    CAP_INFANT,
    K_PRE_ADOPTIVE,
    NEED_BEHAVIORAL,
    NEED_DEVELOPMENTAL,
    NEED_MEDICAL,
    NEED_THERAPEUTIC,
    SEX_NAMES,
)
from data.generate.draws import BoolArray, IntArray
from data.generate.geography import build_geography
from data.generate.hard_rules import (
    KIND_BIT_FOSTER,
    KIND_BIT_PRE_ADOPTIVE,
    group_requirement,
    qualifies,
    rule_masks,
)
from data.generate.homes import Homes, draw_homes
from geo import LatLon
from matching import Child, Home, HomeSnapshot, Policy, load_policy, rule_named

MIRRORED = ("age_range", "sex", "needs", "max_siblings")  # engine rules the copy mirrors
GROUPS = 300
REMOVAL = LatLon(41.88, -87.63)


@dataclass(frozen=True)
class Sample:
    """The county's non-kin homes, both as the generator keeps them and as engine inputs."""

    homes: Homes
    masks: IntArray  # the copy's rule bits per home
    snapshot: HomeSnapshot
    policy: Policy


@dataclass(frozen=True)
class Group:
    """Siblings to place together, in the generator's codes."""

    ages: list[int]
    sexes: list[int]  # positions in data.generate.codes.SEX_NAMES
    needs: list[int]  # bits of the NEED_* codes

    def children(self) -> list[Child]:
        return [
            Child(
                id=f"C{i}",
                age=age,
                sex=SEX_NAMES[sex],  # type: ignore[arg-type]
                removal=REMOVAL,
                needs=frozenset(code for bit, code in enumerate(NEEDS) if need >> bit & 1),
            )
            for i, (age, sex, need) in enumerate(
                zip(self.ages, self.sexes, self.needs, strict=True)
            )
        ]


def _bits_to_codes(mask: int) -> frozenset[str]:
    return frozenset(code for bit, code in enumerate(CAPABILITIES) if mask >> bit & 1)


@pytest.fixture(scope="module")
def sample() -> Sample:
    """The non-kin homes of the county (seed 5), and the same homes as a snapshot."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(5).spawn(3)]
    targets = SCALES["county"]
    geo = build_geography(streams[0], targets)
    homes = draw_homes(geo, streams[2], targets, last_day=4000, kin_slots=0)
    engine_homes = [
        Home(
            id=f"H{i}",
            kind=HOME_KINDS[int(homes.kind[i])],  # type: ignore[arg-type]
            location=LatLon(float(homes.lat[i]), float(homes.lon[i])),
            capacity=int(homes.capacity[i]),
            free_beds=int(homes.capacity[i]),
            age_min=int(homes.age_min[i]),
            age_max=int(homes.age_max[i]),
            accepts_sex=ACCEPTS_SEX[int(homes.accepts[i])],  # type: ignore[arg-type]
            max_siblings=int(homes.max_siblings[i]),
            capabilities=_bits_to_codes(int(homes.caps[i])),
        )
        for i in range(homes.n_nonkin)
    ]
    snapshot = HomeSnapshot(engine_homes, as_of=DEFAULT_AS_OF)
    return Sample(homes, rule_masks(homes), snapshot, load_policy())


def _groups(seed: int = 11) -> list[Group]:
    """Sibling groups of 1-4 of every age 0-17, both sexes and unknown, a few with needs."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(GROUPS):
        size = int(rng.integers(1, 5))
        ages = rng.integers(0, 18, size)
        if rng.random() < 0.3:
            ages[0] = 0  # babies are a third of entries: the infant difference must show
        sexes = rng.integers(0, 3, size)
        needs = np.where(rng.random(size) < 0.6, 0, rng.integers(1, 16, size))
        groups.append(Group(ages.tolist(), sexes.tolist(), needs.tolist()))
    return groups


def _engine(sample: Sample, group: Group) -> dict[str, BoolArray]:
    """Per mirrored rule: which homes it lets take the whole group."""
    children = group.children()
    return {
        name: rule_named(name).mask(children, sample.snapshot, sample.policy) for name in MIRRORED
    }


def _copy(sample: Sample, group: Group) -> BoolArray:
    """Which homes the generator's search lets take the whole group (each home for the
    placement it is for: pre-adoptive homes for adoptions, the others for foster care)."""
    need = 0
    for bits in group.needs:
        need |= bits
    foster = qualifies(
        sample.masks, group_requirement(group.ages, group.sexes, need, KIND_BIT_FOSTER)
    )
    adoptive = qualifies(
        sample.masks, group_requirement(group.ages, group.sexes, need, KIND_BIT_PRE_ADOPTIVE)
    )
    verdict: BoolArray = np.where(sample.homes.kind == K_PRE_ADOPTIVE, adoptive, foster)
    return verdict


def test_copy_agrees_with_the_engine_but_for_the_infant_capability(sample: Sample) -> None:
    """On every (group, home) pair the copy decides as the engine's age, sex, needs and
    sibling-size rules do, except that a baby needs no infant-capable home in the copy."""
    takes_infants = (sample.homes.caps & CAP_INFANT) != 0
    for group in _groups():
        engine = np.logical_and.reduce(list(_engine(sample, group).values()))
        copy = _copy(sample, group)
        expected = engine
        if 0 in group.ages:
            # the engine also refuses a baby where the home lacks the infant capability
            assert not (engine & ~copy).any(), f"{group}: the engine takes a home the copy refuses"
            copy = copy & takes_infants
        differ = np.flatnonzero(copy != expected)
        assert not len(differ), (
            f"{group}: copy and engine disagree on {len(differ)} homes, e.g. "
            f"{sample.snapshot.homes[differ[0]]}: copy {copy[differ[0]]}, engine {expected[differ[0]]}"
        )


def test_the_sample_exercises_every_mirrored_rule(sample: Sample) -> None:
    """Each mirrored rule alone refuses some pair the other rules accept, and many pairs pass
    (so the agreement above is not the agreement of two constant answers)."""
    alone = dict.fromkeys(MIRRORED, 0)
    passed = 0
    for group in _groups():
        masks = _engine(sample, group)
        for name in MIRRORED:
            others = np.logical_and.reduce([m for n, m in masks.items() if n != name])
            alone[name] += int((others & ~masks[name]).sum())
        passed += int(np.logical_and.reduce(list(masks.values())).sum())
    assert all(count > 0 for count in alone.values()), alone
    assert passed > 1000


def test_placement_class_bits(sample: Sample) -> None:
    """A foster search never finds a pre-adoptive home, and an adoption search only those."""
    group = Group([4], [1], [0])
    pre_adoptive = sample.homes.kind == K_PRE_ADOPTIVE
    foster = qualifies(sample.masks, group_requirement(group.ages, group.sexes, 0, KIND_BIT_FOSTER))
    adoptive = qualifies(
        sample.masks, group_requirement(group.ages, group.sexes, 0, KIND_BIT_PRE_ADOPTIVE)
    )
    assert foster.any() and adoptive.any()
    assert not (foster & pre_adoptive).any()
    assert not (adoptive & ~pre_adoptive).any()


def test_bits_follow_the_code_lists() -> None:
    """The generator's need and capability bits, sex codes and accepts codes are those of the
    code lists the import format writes (a copy would drift silently)."""
    assert [
        1 << CAPABILITIES.index(code)
        for code in ("medical", "behavioral", "developmental", "therapeutic", "infant")
    ] == [NEED_MEDICAL, NEED_BEHAVIORAL, NEED_DEVELOPMENTAL, NEED_THERAPEUTIC, CAP_INFANT]
    assert sorted(SEX_NAMES) == sorted(SEXES)
    assert [SEX_NAMES[code] for code in (1, 2)] == [ACCEPTS_SEX[code] for code in (1, 2)]
