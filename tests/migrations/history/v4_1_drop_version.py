"""v4.1: `version` dropped from Operaciones (the shop stopped counting spool versions)."""

id = "v4_1_drop_version"
version = "v4.1"
revises = "v4.0"
description = "drop Operaciones.version"


def upgrade(op):
    # deliberate: the counters are data, kept in the run's backup
    op.drop_column("Operaciones", "version", allow_data_loss=True)


def downgrade(op):
    # back where v3.0 put it, after Fecha_Ocupacion; the counters restart at 0
    op.add_column("Operaciones", "version", "integer", backfill=0, after="Fecha_Ocupacion")
