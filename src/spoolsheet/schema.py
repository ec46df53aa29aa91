"""The workbook's schema: sheet names, headers, the v3.0 columns, and finding columns by name.

Columns are always found by header name through one normalisation, never by letter or position:
real sheets drift (a column inserted by hand shifts everything after it).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import SchemaError

OPERACIONES = "Operaciones"
TRABAJADORES = "Trabajadores"
ROLES = "Roles"
METADATA = "Metadata"
#: The migration run lock on backends that keep it in the workbook (Google); named here, below
#: the services, because migrations writes it and a restore keeps it as it is live.
LOCK_SHEET = "spoolsheet_lock"

TAG_COLUMN = "TAG_SPOOL / CODIGO_BARRA"

#: Operaciones as v2.1 has it, in order (63 columns). Spelling is production's, typos included.
V2_1_HEADERS: tuple[str, ...] = (
    "NV", "OT", "CT", "ITEM", "SPLIT", "TAG_SPOOL / CODIGO_BARRA", "STATUS_NV", "Status_Spool",
    "Ubicación", "Cliente", "OC", "Item_OC", "PLANO_KRONOS N°", "Rev.", "Plano_Referencia",
    "Marca_Placa", "Prioridad", "Notas", "Fecha_Compromiso", "Fecha_Estimada_Entrega", "DIAM",
    "PD_Soldadura", "PD_Ranurado", "PD_Hilo", "Peso_Kg", "Area_m2", "Tipo Armado", "Tipo_NDT",
    "Tipo_PH", "Tipo_Revestimiento", "Tipo_Pintura", "Tipo_Embalaje", "Fecha_Ingenieria",
    "Fecha_Materiales", "Fecha_Armado", "Armador", "Fecha_Soldadura", "Soldador",
    "Fecha_QC_Metrología", "Fecha_NDT", "OK NDT si/no/Rep", "N°_nforme_PT", "N°_Informe_UT_ RX",
    "Fecha_PH", "N°_Informe_PH", "Fecha_Revestimiento", "Fecha_QC_Revestimiento",
    "Fecha_Envio_Pintura", "GD_envio_Pintura", "Fecha_Pintura", "Taller_Pintura",
    "Informe_Pintura", "Fecha_QC_Pintura", "Fecha_Liberación", "N°_Acta_Libración",
    "Packing_list", "Fecha_GD", "Guia_Despacho", "Precio Fabricación", "Precio Revestimiento",
    "Precio Pintura", "Precio Embalaje", "Precio Total",
)

TRABAJADORES_HEADERS = ("Id", "Nombre", "Apellido", "Activo")
ROLES_HEADERS = ("Id", "Rol", "Activo")
METADATA_HEADERS = (
    "id", "timestamp", "evento_tipo", "tag_spool", "worker_id", "worker_nombre", "operacion",
    "accion", "fecha_operacion", "metadata_json",
)

ColumnKind = Literal["text", "date", "integer"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column's definition: the single place its name, type and meaning live."""

    name: str
    kind: ColumnKind
    description: str


#: The three columns v3.0 appends to Operaciones. Migration, verification and occupation read
#: them from here and nowhere else.
V3_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Ocupado_Por", "text", "Worker holding the spool, INICIALES(ID) e.g. MR(93); empty = free"),
    ColumnSpec("Fecha_Ocupacion", "date", "When the spool was taken"),
    ColumnSpec("version", "integer",
               "Optimistic-locking counter: 0 at migration, +1 per TOMAR/PAUSAR/COMPLETAR"),
)
OCUPADO_POR, FECHA_OCUPACION, VERSION = (spec.name for spec in V3_COLUMNS)


def normalise_header(header: object) -> str:
    """The one normalisation every header lookup uses.

    Case, accents, spaces and underscores are ignored, ``N°`` reads as ``N``, and a header written
    as ``ALIAS / OTHER`` is known by the part before `` / ``.
    """
    return _normalised("" if header is None else str(header))


@functools.lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    """Cached: a long-lived service resolves the same few hundred headers for every change."""
    if " / " in text:
        text = text.split(" / ", 1)[0]
    text = text.replace("°", "").replace("º", "")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(ch for ch in text.casefold() if ch.isalnum() or ch in "./")


@dataclass(frozen=True)
class ColumnMap:
    """Header name → 1-based column index for one sheet, built from its header row.

    Duplicate and blank headers are kept, not resolved: asking for an ambiguous name raises a
    ``SchemaError`` naming every position it stands at.
    """

    sheet: str
    headers: tuple[str, ...]

    @classmethod
    def from_row(cls, sheet: str, row: Sequence[object]) -> ColumnMap:
        headers = tuple("" if v is None else str(v).strip() for v in row)
        while headers and not headers[-1]:
            headers = headers[:-1]
        return cls(sheet, headers)

    def positions(self, name: str) -> list[int]:
        key = normalise_header(name)
        return [i for i, h in enumerate(self.headers, start=1) if h and normalise_header(h) == key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.positions(name))

    def index(self, name: str) -> int:
        """The 1-based column of ``name``; raises ``SchemaError`` if missing or duplicated."""
        found = self.positions(name)
        if not found:
            raise SchemaError(f"sheet {self.sheet!r}: column {name!r} not found in the header row")
        if len(found) > 1:
            where = ", ".join(f"{column_letter(i)} ({i})" for i in found)
            raise SchemaError(f"sheet {self.sheet!r}: column {name!r} is ambiguous, it stands at {where}")
        return found[0]

    def get(self, name: str) -> int | None:
        """Like ``index`` but None when missing (still raises when duplicated)."""
        return self.index(name) if name in self else None

    @property
    def width(self) -> int:
        """Position of the last non-blank header."""
        return len(self.headers)

    def duplicates(self) -> dict[str, list[int]]:
        seen: dict[str, list[int]] = {}
        for i, h in enumerate(self.headers, start=1):
            if h:
                seen.setdefault(normalise_header(h), []).append(i)
        return {self.headers[pos[0] - 1]: pos for pos in seen.values() if len(pos) > 1}

    def blanks(self) -> list[int]:
        return [i for i, h in enumerate(self.headers, start=1) if not h]

    def require(self, names: Iterable[str]) -> dict[str, int]:
        """Resolve every name at once, reporting all problems in one error."""
        problems, found = [], {}
        for name in names:
            try:
                found[name] = self.index(name)
            except SchemaError as exc:
                problems.append(str(exc).split(": ", 1)[1])
        if problems:
            raise SchemaError(f"sheet {self.sheet!r}: " + "; ".join(problems))
        return found


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    if index < 1:
        raise ValueError(f"column index must be >= 1, got {index}")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
