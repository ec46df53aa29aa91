"""Finding columns by name through one normalisation; drift is reported, never guessed."""

import pytest

from spoolsheet.errors import SchemaError
from spoolsheet.schema import V2_1_HEADERS, V3_COLUMNS, ColumnMap, column_letter, normalise_header


def test_v21_layout_has_63_columns_and_v3_three_more():
    assert len(V2_1_HEADERS) == 63
    assert [c.name for c in V3_COLUMNS] == ["Ocupado_Por", "Fecha_Ocupacion", "version"]


@pytest.mark.parametrize("variant", ["TAG_SPOOL", "tag spool", "Tag_Spool / otra cosa", " TAG SPOOL "])
def test_tag_column_found_under_its_spellings(variant):
    cmap = ColumnMap.from_row("Operaciones", ["NV", variant, "Armador"])
    assert cmap.index("TAG_SPOOL / CODIGO_BARRA") == 2


def test_accents_and_degree_sign_are_ignored():
    assert normalise_header("Fecha_QC_Metrología") == normalise_header("FECHA QC METROLOGIA")
    assert normalise_header("N°_Informe_PH") == normalise_header("N_Informe_PH")


def test_duplicate_header_is_reported_with_both_positions():
    cmap = ColumnMap.from_row("Operaciones", ["NV", "Armador", "OT", "armador"])
    with pytest.raises(SchemaError) as err:
        cmap.index("Armador")
    assert "B (2)" in str(err.value) and "D (4)" in str(err.value)
    assert cmap.duplicates() == {"Armador": [2, 4]}


def test_missing_and_blank_headers():
    cmap = ColumnMap.from_row("Operaciones", ["NV", None, "OT", "", ""])
    assert cmap.width == 3 and cmap.blanks() == [2]
    with pytest.raises(SchemaError, match="'Soldador' not found"):
        cmap.index("Soldador")
    with pytest.raises(SchemaError, match=r"Soldador.*Armador|Armador.*Soldador"):
        cmap.require(["Soldador", "Armador"])


def test_inserted_column_shifts_positions_but_not_names():
    headers = list(V2_1_HEADERS)
    headers.insert(20, "MatSys")
    cmap = ColumnMap.from_row("Operaciones", headers)
    assert cmap.index("Armador") == V2_1_HEADERS.index("Armador") + 2


def test_column_letters():
    assert [column_letter(i) for i in (1, 26, 27, 63, 66)] == ["A", "Z", "AA", "BK", "BN"]
