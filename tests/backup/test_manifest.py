"""The manifest: fingerprints of what was copied, stored compactly enough for Drive."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spoolsheet.backup.manifest import Manifest, ManifestError, fingerprint
from spoolsheet.errors import UsageError
from spoolsheet.fingerprint import KeptHashes, sheet_fingerprint
from spoolsheet.values import Formula
from spoolsheet.workbook import Sheet, SheetInfo
from spoolsheet.workbook.google_store import DRIVE_PROPERTY_BYTES, pack_text, unpack_text

WHEN = dt.datetime(2026, 1, 26, 17, 14, 45, tzinfo=dt.UTC)


def sheet(title: str, rows: list[list[object]], grid=(100, 26)) -> Sheet:
    return Sheet(SheetInfo(title, 0, 0, *grid), rows)


def manifest(sheets: list[Sheet]) -> Manifest:
    return Manifest.of(source_id="1AbC", source_title="__Kronos_Registro_Piping R04",
                       source_kind="google", schema_version="v2.1", label="v2.1", created=WHEN,
                       sheets={s.title: s for s in sheets})


def test_properties_fit_drive_and_round_trip():
    titles = ["Operaciones", "Trabajadores", "Ubicación ñandú", "Métricas – 2026", "Param",
              "Ponderaciones", "FluorReporte", "NoConformidad", "Metadata", "Listas"]
    m = manifest([sheet(t, [["x", 1, Formula("=A1")]]) for t in titles])
    props = pack_text(m.to_json())
    assert all(len((k + v).encode()) <= DRIVE_PROPERTY_BYTES for k, v in props.items())
    assert Manifest.from_json(unpack_text(props)) == m
    assert Manifest.from_json(m.to_json()) == m
    assert unpack_text({}) is None


def test_check_names_each_sheet_that_differs():
    ops = sheet("Operaciones", [["TAG"], ["MK-1"]])
    m = manifest([ops, sheet("Roles", [["Id"]])])
    assert m.check({"Operaciones": ops, "Roles": sheet("Roles", [["Id"]])}) == []
    changed = sheet("Operaciones", [["TAG"], ["MK-2"]])
    problems = m.check({"Operaciones": changed, "Roles": sheet("Roles", [["Id"]], grid=(5, 5)),
                        "New": ops})
    assert problems == [
        f"sheet 'Operaciones': content differs from the manifest (fingerprint "
        f"{fingerprint(changed)}, expected {fingerprint(ops)})",
        "sheet 'Roles': grid is 5x5, the manifest says 100x26",
        "sheet 'New' is not in the manifest",
    ]
    assert m.check({"Operaciones": ops}) == ["sheet 'Roles' is missing"]


def test_a_damaged_manifest_is_an_error():
    m = manifest([sheet("Operaciones", [["TAG"]])])
    props = {k: v.replace('"Operaciones"', '"Operacionez"') for k, v in pack_text(m.to_json()).items()}
    with pytest.raises(ManifestError, match="damaged"):
        Manifest.from_json(unpack_text(props))
    with pytest.raises(ManifestError, match="not valid JSON"):
        Manifest.from_json("{")


def test_a_manifest_too_large_for_drive_is_refused_before_anything_is_written():
    m = manifest([sheet(f"Hoja con un nombre largo {i:03}", []) for i in range(60)])
    with pytest.raises(UsageError, match="Drive properties"):
        pack_text(m.to_json())


cells = st.one_of(st.none(), st.just(""), st.integers(-3, 3), st.sampled_from(["a", "b", " "]),
                  st.floats(allow_nan=False, width=16), st.just(Formula("=A1")))
grids = st.lists(st.lists(cells, max_size=4), max_size=6)


@given(first=grids, more=grids, cut=st.integers(0, 5), wider=st.integers(0, 3),
       blank=st.integers(0, 2), changed=st.booleans())
@settings(max_examples=150, deadline=None)
def test_kept_hashes_give_every_sheets_fingerprint_as_hashed_anew(first, more, cut, wider, blank,
                                                                  changed):
    """Whatever was hashed before under the same title (the very cells, rows appended after
    them, a region cut from the same rows with blank cells after, a cell replaced, trailing
    blank rows, a grid that changed, the lists hashed edited in place), the digest is the one
    ``sheet_fingerprint`` gives."""
    hashed = KeptHashes()

    def check(rows: list[list[object]], grid=(10, 4)) -> None:
        s = sheet("Ops", rows, grid)
        for with_grid in (True, False, True):
            assert hashed.of(s, grid=with_grid) == sheet_fingerprint(s, grid=with_grid)

    rows = [list(r) for r in first] + [[None] * blank]  # maybe a trailing blank row
    check(rows)
    check([list(r) for r in rows])  # the same cells in other lists
    check([list(r) + [None] * wider for r in rows[:cut]])  # a region, blank cells after
    grown = [list(r) for r in rows] + [list(r) for r in more]
    check(grown, (12, 4))  # rows appended, then a grid that changed
    check(grown, (12, 5))
    if changed and grown and grown[0]:
        other = [list(r) for r in grown]
        other[0][0] = "changed" if other[0][0] != "changed" else "again"
        check(other, (12, 5))
    check(rows)  # and back to the rows first hashed
    if rows and rows[0]:  # the caller's own lists edited in place after they were hashed
        rows[0][0] = "edited" if rows[0][0] != "edited" else "again"
        check(rows)
