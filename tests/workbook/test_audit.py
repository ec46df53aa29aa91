"""The audit log: validated event types, real JSON, bad cells named where they stand."""

import json

import pytest

from spoolsheet.audit import Event, log_event, read_events
from spoolsheet.errors import DataError, SchemaError, UsageError
from spoolsheet.schema import METADATA_HEADERS
from spoolsheet.workbook import ChangeSet, Sheet, SheetInfo


def metadata(*rows):
    return Sheet(SheetInfo("Metadata", 1, 1, 100, 10), [list(METADATA_HEADERS), *map(list, rows)])


def test_unknown_event_type_is_refused_not_dropped():
    with pytest.raises(UsageError, match="TOMAR_ALGO"):
        Event("TOMAR_ALGO")


def test_event_row_round_trips_with_real_json():
    event = Event("TOMAR_SPOOL", tag_spool="MK-1", worker_id=93, worker_nombre="Mario Rojas",
                  operacion="ARM", metadata={"version_after": 1, "nota": "=no es fórmula"})
    changes = log_event(ChangeSet(), event)
    (sheet, rows), = changes.appends
    assert sheet == "Metadata" and json.loads(rows[0][-1])["nota"] == "=no es fórmula"
    (read,) = read_events(metadata(rows[0]))
    assert (read.id, read.evento_tipo, read.worker_id, read.metadata["version_after"]) == \
        (event.id, "TOMAR_SPOOL", 93, 1)


def test_bad_cells_are_named():
    row = Event("PAUSAR_SPOOL", worker_id=5).row()
    with pytest.raises(DataError, match=r"row 2.*worker_id"):
        list(read_events(metadata([*row[:4], "cinco", *row[5:]])))
    with pytest.raises(SchemaError, match="row 2: metadata_json"):
        list(read_events(metadata([*row[:-1], "{not json"])))
