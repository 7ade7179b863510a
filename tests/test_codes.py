"""The code lists have one definition (core.codes): the import formats, the engines' input
types and the outcome tables read it, and nothing keeps a copy."""

from __future__ import annotations

from typing import get_args

import pytest

from core import codes
from data import formats
from matching import inputs
from outcomes import tables


@pytest.mark.parametrize(
    ("literal", "code_list"),
    [
        (inputs.Sex, codes.SEXES),
        (inputs.Icwa, codes.ICWA),
        (inputs.HomeKind, codes.HOME_KINDS),
        (inputs.HomeStatus, codes.HOME_STATUSES),
        (inputs.AcceptsSex, codes.ACCEPTS_SEX),
    ],
)
def test_the_engine_types_spell_the_code_lists(literal: object, code_list: tuple[str, ...]) -> None:
    assert get_args(literal) == code_list


def test_the_import_format_reads_the_code_lists() -> None:
    """Every coded column of the folder format accepts exactly its list's codes."""
    coded = {
        ("homes.csv", "kind"): codes.HOME_KINDS,
        ("homes.csv", "status"): codes.HOME_STATUSES,
        ("homes.csv", "accepts_sex"): codes.ACCEPTS_SEX,
        ("children.csv", "sex"): codes.SEXES,
        ("children.csv", "icwa"): codes.ICWA,
        ("children.csv", "hispanic"): codes.YES_NO_UNKNOWN,
        ("episodes.csv", "discharge_reason"): codes.DISCHARGE_REASONS,
        ("placements.csv", "setting"): codes.PLACEMENT_SETTINGS,
        ("applicants.csv", "stage"): codes.APPLICANT_STAGES,
        ("partners.csv", "kind"): codes.PARTNER_KINDS,
    }
    columns = {(spec.name, c.name): c for spec in formats.CSV_FILES for c in spec.columns}
    for key, code_list in coded.items():
        column = columns[key]
        for code in code_list:
            assert column.read(code) == code, key
        with pytest.raises(formats.CellError):
            column.read("not_a_code")


def test_no_module_keeps_a_copy() -> None:
    """The engines and the formats hold the very same tuples, not equal copies."""
    assert inputs.NEEDS is codes.NEEDS and inputs.SEXES is codes.SEXES
    assert formats.PLACEMENT_SETTINGS is codes.PLACEMENT_SETTINGS
    # outcomes.tables uses the list without exporting it: read the module's own binding
    assert vars(tables)["DISCHARGE_REASONS"] is codes.DISCHARGE_REASONS
