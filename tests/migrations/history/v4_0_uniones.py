"""v4.0: the Uniones sheet (one row per weld joint) and five counters over it on Operaciones."""

id = "v4_0_uniones"
version = "v4.0"
revises = "v3.1"
description = "Uniones sheet, five counter columns by TAG, Metadata.N_UNION"

UNIONES = ("ID", "OT", "N_UNION", "TAG_SPOOL", "DN_UNION", "TIPO_UNION", "ARM_FECHA_INICIO",
           "ARM_FECHA_FIN", "ARM_WORKER", "SOL_FECHA_INICIO", "SOL_FECHA_FIN", "SOL_WORKER",
           "NDT_UNION", "R_NDT_UNION", "NDT_FECHA", "NDT_STATUS", "version")

BY_TAG = "{Uniones!TAG_SPOOL}, {TAG_SPOOL}"
COUNTERS = {
    "Total_Uniones": f"=COUNTIF({BY_TAG})",
    "Uniones_ARM_Completadas": f'=COUNTIFS({BY_TAG}, {{Uniones!ARM_FECHA_FIN}}, "<>")',
    "Uniones_SOLD_Completadas": f'=COUNTIFS({BY_TAG}, {{Uniones!SOL_FECHA_FIN}}, "<>")',
    "Pulgadas_ARM": f'=SUMIFS({{Uniones!DN_UNION}}, {BY_TAG}, {{Uniones!ARM_FECHA_FIN}}, "<>")',
    "Pulgadas_SOLD": f'=SUMIFS({{Uniones!DN_UNION}}, {BY_TAG}, {{Uniones!SOL_FECHA_FIN}}, "<>")',
}


def upgrade(op):
    op.add_sheet("Uniones", UNIONES)
    for name, formula in COUNTERS.items():
        op.add_formula_column("Operaciones", name, formula)
    op.add_column("Metadata", "N_UNION", "text")
