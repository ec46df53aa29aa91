"""v3.1: Estado_Detalle appended, a readable state per spool backfilled from its columns."""

id = "v3_1_estado_detalle"
version = "v3.1"
revises = "v3.0"
description = "Estado_Detalle: a readable state per spool"


def _stage(who, done, name):
    return f"{name} completado" if done else f"{name} en progreso" if who else f"{name} pendiente"


def estado(row):
    """e.g. "MR(93) trabajando (ARM en progreso, SOLD pendiente)", "Disponible - ARM ..."."""
    arm = _stage(row["Armador"], row["Fecha_Armado"], "ARM")
    sold = _stage(row["Soldador"], row["Fecha_Soldadura"], "SOLD")
    holder = row["Ocupado_Por"]
    return f"{holder} trabajando ({arm}, {sold})" if holder else f"Disponible - {arm}, {sold}"


def upgrade(op):
    op.add_column("Operaciones", "Estado_Detalle", "text", backfill=estado)


def downgrade(op):
    # derived from other columns: nothing is lost by dropping it
    op.drop_column("Operaciones", "Estado_Detalle", allow_data_loss=True)
