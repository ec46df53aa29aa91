"""The sample's content: the shop's v2.1 spreadsheet as plain sheets, from a seed.

``generate`` builds plain sheets (typed values, grid sizes) from ``random.Random(seed)`` and fixed
dates, never the wall clock, so one seed always gives the same cells. What makes it realistic is
what production taught: 63 messy headers, a grid larger than the data, rows without TAG, dates in
every legacy form, workers as ``INICIALES(ID)``, text that starts with ``=`` or ``+``, and an
audit log consistent with each spool's progress.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..audit import Event
from ..errors import UsageError
from ..schema import (
    METADATA,
    OPERACIONES,
    ROLES,
    ROLES_HEADERS,
    TAG_COLUMN,
    TRABAJADORES,
    TRABAJADORES_HEADERS,
    V2_1_HEADERS,
    column_letter,
)
from ..values import Cell, Formula, WorkerRef, datetime_to_serial, is_blank

#: The sample's "today": the last day anything happened. Fixed, so the content never drifts.
REFERENCE_DAY = dt.date(2026, 3, 13)
PROJECT_START = dt.date(2025, 7, 1)
#: The v2.1 backend went live here; work done before it has no audit events (typed by hand).
LOG_START = dt.date(2026, 1, 15)

#: Metadata's header as production spells it (matching is case-insensitive).
METADATA_SAMPLE_HEADERS = ("ID", "Timestamp", "Evento_Tipo", "Tag_Spool", "Worker_ID",
                           "Worker_Nombre", "Operacion", "Accion", "Fecha_Operacion",
                           "Metadata_JSON")

SHEET_ORDER = (OPERACIONES, TRABAJADORES, ROLES, METADATA, "Param", "Ponderaciones",
               "FluorReporte", "NoConformidad", "Resumen", "Listas")


@dataclass(frozen=True)
class SampleSheet:
    """One generated sheet: its rows (typed values, row 1 the header) and its grid size."""

    title: str
    rows: list[list[Cell]]
    grid_rows: int
    grid_cols: int

    def __post_init__(self) -> None:
        if not self.rows or self.grid_rows < len(self.rows) or self.grid_cols < max(map(len, self.rows)):
            raise UsageError(f"sheet {self.title!r}: a {self.grid_rows}×{self.grid_cols} grid "
                             "cannot hold its rows")


# --- workers ---------------------------------------------------------------------------------

_NOMBRES = ("Juan Pablo", "Mauricio", "Carlos", "Luis Alberto", "Pedro", "José Miguel", "Cristián",
            "Rodrigo", "Francisco", "Jorge", "Manuel", "Sergio", "Patricio", "Víctor", "Héctor",
            "Andrés", "Felipe", "Claudio", "Ricardo", "Marcelo", "Álvaro", "Nelson", "Daniela",
            "Camila", "Óscar", "Ignacio", "Gonzalo", "Hernán")
_APELLIDOS = ("González Muñoz", "Rojas Díaz", "Muñoz Soto", "Contreras Silva", "Sepúlveda Morales",
              "Pérez Fuentes", "Soto Araya", "Martínez Vera", "Reyes Castillo", "Flores Tapia",
              "Espinoza Núñez", "Valenzuela Rojas", "Castro Herrera", "Torres Vargas",
              "Araya Cortés", "Fuentes Bravo", "Núñez Jara", "Carrasco Figueroa", "Vega Riquelme",
              "Olivares Pizarro", "Ramírez Lagos", "Salazar Cáceres")

#: Role sets of the roster, with the worker's Activo; built so that every case the rules care
#: about exists: ≥10 active Armadores and Soldadores, inactive workers, an active worker with
#: neither role, and one active worker whose Armador role row is inactive.
_ROSTER = (
    [(("Armador", "Soldador"), True)] * 9
    + [(("Armador",), True)] * 3
    + [(("Soldador", "Ayudante"), True)] * 2 + [(("Soldador",), True)]
    + [(("Ayudante",), True), (("Metrologia",), True), (("Revestimiento", "Pintura"), True),
       (("Despacho",), True)]
    + [(("Armador", "Soldador"), False)] * 2 + [(("Soldador",), False)]
)
_INACTIVE_ROLE = ("Armador", 11)  # roster entry 11 (an Armador only) has that role row inactive


@dataclass(frozen=True)
class Worker:
    id: int
    nombre: str
    apellido: str
    activo: bool
    roles: dict[str, bool] = field(hash=False)

    @cached_property
    def ref(self) -> str:
        return str(WorkerRef.of(self.id, self.nombre, self.apellido))

    @property
    def full_name(self) -> str:
        return f"{self.nombre} {self.apellido}"

    def can(self, rol: str, now: bool = False) -> bool:
        """Has the role; with ``now``, also active today (who may hold work in progress)."""
        return rol in self.roles and (not now or (self.activo and self.roles[rol]))


def _workers(rng: random.Random) -> list[Worker]:
    ids = rng.sample(range(2, 120), len(_ROSTER))
    nombres = rng.sample(_NOMBRES, len(_ROSTER))
    apellidos = rng.sample(_APELLIDOS, len(_ROSTER))
    out = []
    for i, ((roles, activo), wid, nombre, apellido) in enumerate(
            zip(_ROSTER, ids, nombres, apellidos, strict=True)):
        role_rows = {r: not (i == _INACTIVE_ROLE[1] and r == _INACTIVE_ROLE[0]) for r in roles}
        out.append(Worker(wid, nombre, apellido, activo, role_rows))
    return sorted(out, key=lambda w: w.id)


# --- cells -----------------------------------------------------------------------------------

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_cell(rng: random.Random, day: dt.date) -> Cell:
    """Mostly a real date; sometimes a legacy text form or an unformatted serial number."""
    r = rng.random()
    if r < 0.80:
        return day
    if r < 0.85:
        return day.strftime("%d-%m-%Y")
    if r < 0.88:
        return day.strftime("%d/%m/%Y")
    if r < 0.91:
        return day.strftime("%d/%m/%y")
    if r < 0.94:
        return day.isoformat()
    if r < 0.97:
        return f"{day.day:02d}-{_MONTH_ABBR[day.month - 1]}-{day.year}"
    return round(datetime_to_serial(day) + rng.uniform(0.3, 0.74), 2)


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """A time during the shop's working day."""
    minutes = rng.randrange(7 * 60 + 30, 18 * 60)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, rng.randrange(60)))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# --- Operaciones -----------------------------------------------------------------------------

_COL = {name: i for i, name in enumerate(V2_1_HEADERS)}
_CLIENTES = ("Codelco DMH", "Minera Escondida", "Anglo American Sur", "Antofagasta Minerals")
_UBICACIONES = ("Nave 1", "Nave 2", "Patio A", "Patio B", "Pintura externa", "Despachado")
_AREAS = ("CW", "PW", "FW", "AR", "SL", "TW")
_TIPO_ARMADO = ("Soldado", "Soldado", "Ranurado", "Roscado")
_TIPO_NDT = ("RX", "UT", "PT", "N/A")
_TIPO_PH = ("Hidráulica", "Neumática", "N/A")
_TIPO_REV = ("Galvanizado", "Sin revestimiento", "HDPE")
_TIPO_PINT = ("Epóxica", "Poliuretano", "N/A")
_TIPO_EMB = ("Pallet", "Cajón", "Granel")
_TALLERES = ("Pinturas del Norte", "Recubre Ltda.", "Taller propio")
_NOTAS = ("Esperando flange 6\"", "Revisar biselado", "Cambio de rev. en plano",
          "+2 soportes según plano", "-ver comentario ITO", "=igual a spool anterior",
          "@Jefe de taller: prioridad", "Material reasignado", "Falta codo 90°", "0042")
#: Stages after SOLD, in order: (date column, days after the previous stage, cells filled with
#: it). A cell's spec is a choice (tuple or range) or a template for a report number.
_LATER_STAGES: tuple[tuple[str, tuple[int, int], dict[str, object]], ...] = (
    ("Fecha_QC_Metrología", (1, 10), {}),
    ("Fecha_NDT", (1, 8), {"OK NDT si/no/Rep": ("si", "si", "si", "Rep"),
                           "N°_nforme_PT": "PT-{:04d}", "N°_Informe_UT_ RX": "RX-{:04d}"}),
    ("Fecha_PH", (1, 8), {"N°_Informe_PH": "PH-{:04d}"}),
    ("Fecha_Revestimiento", (2, 14), {}),
    ("Fecha_QC_Revestimiento", (1, 5), {}),
    ("Fecha_Envio_Pintura", (1, 6), {"GD_envio_Pintura": range(10000, 20000)}),
    ("Fecha_Pintura", (3, 15), {"Taller_Pintura": _TALLERES, "Informe_Pintura": "IP-{:04d}"}),
    ("Fecha_QC_Pintura", (1, 4), {}),
    ("Fecha_Liberación", (1, 6), {"N°_Acta_Libración": "AL-{:04d}", "Packing_list": "PL-{:03d}"}),
    ("Fecha_GD", (1, 10), {"Guia_Despacho": range(30000, 40000)}),
)


def _pick(rng: random.Random, spec: object) -> Cell:
    if isinstance(spec, str):
        return spec.format(rng.randrange(1, 1000))
    return rng.choice(spec)  # type: ignore[arg-type]


def _days(rng: random.Random, span: tuple[int, int]) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(*span))


@dataclass
class _Log:
    """Audit events gathered while spools are generated, sorted by time at the end.

    One spool's events keep the order they were added in (INICIAR before CANCELAR before the
    next INICIAR), even on the same day: each comes a few minutes after the spool's last one.
    """

    rng: random.Random
    rows: list[tuple[dt.datetime, list[Cell]]] = field(default_factory=list)  # kept as rows: smaller
    last: dict[str, dt.datetime] = field(default_factory=dict)

    def add(self, tipo: str, tag: str, worker: Worker, day: dt.date, **meta: object) -> None:
        if day < LOG_START:
            return
        verb, op = tipo.split("_", 1)
        moment = _moment(self.rng, day)
        if tag in self.last and moment <= self.last[tag]:
            moment = self.last[tag] + dt.timedelta(minutes=self.rng.randint(3, 40))
        self.last[tag] = moment
        self.rows.append((moment, Event(
            tipo, tag_spool=tag, worker_id=worker.id, worker_nombre=worker.full_name,
            operacion=op, accion=verb, fecha_operacion=day,
            metadata={"origen": "tablet", "worker": worker.ref, **meta},
            id=_uuid(self.rng), timestamp=moment).row()))


def _operation(rng: random.Random, log: _Log, row: list[Cell], tag: str, op: str,
               start: dt.date, length: tuple[int, int], workers: list[Worker]) -> dt.date | None:
    """Fill one ARM/SOLD operation from ``start``; the day it finished, or None if it has not.

    In progress (started, not finished by REFERENCE_DAY) is held by a worker qualified today;
    a few starts were cancelled first by someone else, as the v2.1 app allowed.
    """
    if start > REFERENCE_DAY:
        return None
    rol, date_col = ("Armador", "Fecha_Armado") if op == "ARM" else ("Soldador", "Fecha_Soldadura")
    end = start + _days(rng, length)
    qualified = [w for w in workers if w.can(rol, now=end > REFERENCE_DAY)]
    if rng.random() < 0.05:
        quitter = rng.choice(qualified)
        log.add(f"INICIAR_{op}", tag, quitter, start)
        log.add(f"CANCELAR_{op}", tag, quitter, start, motivo="reasignado")
        if rng.random() < 0.3:  # cancelled and nobody took it again yet
            return None
    worker = rng.choice(qualified)
    row[_COL[rol]] = worker.ref  # the worker column is named after the role
    log.add(f"INICIAR_{op}", tag, worker, start)
    if end > REFERENCE_DAY:
        return None
    row[_COL[date_col]] = _date_cell(rng, end)
    log.add(f"COMPLETAR_{op}", tag, worker, end, **{date_col.lower(): end.strftime("%d-%m-%Y")})
    return end


def _spool_row(rng: random.Random, log: _Log, tag: str, line: dict, workers: list[Worker],
               metrologos: list[Worker]) -> list[Cell]:
    row: list[Cell] = [None] * len(V2_1_HEADERS)

    def put(name: str, value: Cell) -> None:
        row[_COL[name]] = value

    def put_date(name: str, day: dt.date) -> None:
        put(name, _date_cell(rng, day))

    seq = int(tag.rsplit("-", 1)[1])
    for name in ("NV", "OT", "CT", "Cliente", "OC", "PLANO_KRONOS N°", "Rev.", "Plano_Referencia",
                 "Prioridad", "Tipo_NDT", "Tipo_PH", "Tipo_Revestimiento", "Tipo_Pintura"):
        put(name, line[name])
    put("ITEM", seq)
    put("SPLIT", "B" if rng.random() < 0.03 else None)
    put(TAG_COLUMN, tag)
    put("STATUS_NV", "ABIERTA")
    put("Item_OC", f"{rng.randrange(1, 60) * 10:04d}")  # text with leading zeros, as typed
    put("Marca_Placa", f"MP-{seq:03d}")
    if rng.random() < 0.08:
        put("Notas", rng.choice(_NOTAS))
    diam = rng.choice((2, 3, 4, 6, 8, 10, 12, 16))
    peso = round(diam * rng.uniform(4, 18), 1)
    put("DIAM", diam)
    put("PD_Soldadura", round(diam * rng.randint(1, 6) * 1.0, 1))
    put("PD_Ranurado", rng.choice((0, 0, 0, 2, 4)))
    put("PD_Hilo", rng.choice((0, 0, 0, 1)))
    put("Peso_Kg", peso)
    put("Area_m2", round(peso / 14.5, 2))
    put("Tipo Armado", rng.choice(_TIPO_ARMADO))
    put("Tipo_Embalaje", rng.choice(_TIPO_EMB))
    for name, rate in (("Precio Fabricación", 5.2), ("Precio Revestimiento", 1.1),
                       ("Precio Pintura", 0.9), ("Precio Embalaje", 0.2)):
        put(name, round(peso * rate * rng.uniform(0.9, 1.1)))

    ing = line["Fecha_Ingenieria"]
    put_date("Fecha_Ingenieria", ing)
    put_date("Fecha_Compromiso", line["Fecha_Compromiso"])
    if rng.random() < 0.6:
        put_date("Fecha_Estimada_Entrega", line["Fecha_Compromiso"] + _days(rng, (-10, 25)))
    status = "EN ESPERA MATERIAL"
    mat = ing + _days(rng, (3, 40))
    if rng.random() < 0.07 or mat > REFERENCE_DAY:
        put("Status_Spool", status)
        return row
    put_date("Fecha_Materiales", mat)
    status = "EN ARMADO"
    arm_start = mat + _days(rng, (0, 45))
    arm_end = _operation(rng, log, row, tag, "ARM", arm_start, (1, 9), workers)
    if arm_end is not None:
        sold_end = _operation(rng, log, row, tag, "SOLD", arm_end + _days(rng, (0, 30)), (1, 10),
                              workers)
    elif row[_COL["Armador"]] is not None and rng.random() < 0.1:
        # SOLD needs ARM started, not finished: welding began before fit-up was signed off.
        start = min(arm_start + dt.timedelta(days=1), REFERENCE_DAY)
        left = (REFERENCE_DAY - start).days
        _operation(rng, log, row, tag, "SOLD", start, (left + 1, left + 6), workers)
    if arm_end is not None:
        status = "EN SOLDADURA"
    day = sold_end if arm_end is not None else None
    if day is not None:
        status = "SOLDADO"
        for name, span, extras in _LATER_STAGES:
            day += _days(rng, span)
            if day > REFERENCE_DAY:
                break
            put_date(name, day)
            for column, spec in extras.items():
                put(column, _pick(rng, spec))
            status = name.removeprefix("Fecha_").upper()
            if name == "Fecha_QC_Metrología":
                inspector = rng.choice(metrologos)
                if rng.random() < 0.05:
                    log.add("INICIAR_METROLOGIA", tag, inspector, day)
                    log.add("CANCELAR_METROLOGIA", tag, inspector, day, motivo="spool sucio")
                log.add("INICIAR_METROLOGIA", tag, inspector, day)
                log.add("COMPLETAR_METROLOGIA", tag, inspector, day, resultado="APROBADO")
    put("Status_Spool", status)
    put("Ubicación", "Despachado" if row[_COL["Fecha_GD"]] is not None
        else rng.choice(_UBICACIONES[:-1]))
    return row


def _lines(rng: random.Random, spools: int):
    """Spool TAGs grouped by line (plano), unique by construction: MK-1335-CW-25238-011."""
    used: set[tuple[int, str, int]] = set()
    nvs = sorted(rng.sample(range(1300, 1400), 4))
    total_days = (REFERENCE_DAY - PROJECT_START).days - 20
    made = 0
    while made < spools:
        nv = rng.choice(nvs)
        key = (nv, rng.choice(_AREAS), rng.randrange(20000, 30000))
        if key in used:
            continue
        used.add(key)
        count = min(rng.randint(1, 14), spools - made)
        # More lines were released lately: the shop is mid-project, not winding down.
        ing = PROJECT_START + dt.timedelta(days=int(total_days * rng.random() ** 0.5))
        line = {
            "NV": nv, "OT": f"OT-{nv}-{rng.randrange(1, 40):02d}", "CT": f"CT-{rng.randrange(1, 9):02d}",
            "Cliente": _CLIENTES[nv % len(_CLIENTES)], "OC": str(4500000000 + nv * 1000 + rng.randrange(999)),
            "PLANO_KRONOS N°": f"MK-{key[0]}-{key[1]}-{key[2]}", "Rev.": rng.choice(("0", "A", "B", "1")),
            "Plano_Referencia": f"P-{key[2]}-{rng.randrange(1, 9):02d}", "Prioridad": rng.randint(1, 3),
            "Tipo_NDT": rng.choice(_TIPO_NDT), "Tipo_PH": rng.choice(_TIPO_PH),
            "Tipo_Revestimiento": rng.choice(_TIPO_REV), "Tipo_Pintura": rng.choice(_TIPO_PINT),
            "Fecha_Ingenieria": ing, "Fecha_Compromiso": ing + _days(rng, (60, 150)),
        }
        yield line, [f"MK-{key[0]}-{key[1]}-{key[2]}-{seq:03d}" for seq in range(1, count + 1)]
        made += count


def _tagless_row(rng: random.Random, line: dict) -> list[Cell]:
    """A row someone started by hand and never finished: some cells, no TAG."""
    row: list[Cell] = [None] * len(V2_1_HEADERS)
    row[_COL["NV"]] = line["NV"]
    row[_COL["OT"]] = line["OT"]
    row[_COL["Notas"]] = rng.choice(("pendiente asignar TAG", "spool anulado", "ver con oficina técnica"))
    return row


def _operaciones(rng: random.Random, spools: int, workers: list[Worker], log: _Log) -> SampleSheet:
    metrologos = [w for w in workers if w.can("Metrologia")]
    rows: list[list[Cell]] = [list(V2_1_HEADERS)]
    tagless = max(2, spools // 400)
    tagless_every = max(1, spools // tagless)
    made = 0
    for line, tags in _lines(rng, spools):
        for tag in tags:
            rows.append(_spool_row(rng, log, tag, line, workers, metrologos))
            if made % tagless_every == tagless_every // 2:
                rows.append(_tagless_row(rng, line))
            made += 1
    first, last = (column_letter(_COL[n] + 1) for n in ("Precio Fabricación", "Precio Embalaje"))
    for r, row in enumerate(rows[1:], start=2):
        if row[_COL[TAG_COLUMN]] is not None:
            row[_COL["Precio Total"]] = Formula(f"=SUM({first}{r}:{last}{r})")
    grid_rows = len(rows) + spools // 20 + 50
    return SampleSheet(OPERACIONES, rows, grid_rows, len(V2_1_HEADERS))


# --- the other sheets ------------------------------------------------------------------------

def _sheet(title: str, rows: list[list[Cell]], cols: int | None = None, margin: int = 50) -> SampleSheet:
    width = max(len(r) for r in rows)
    return SampleSheet(title, rows, len(rows) + margin, cols or max(width, 26))


def _trabajadores(workers: list[Worker]) -> SampleSheet:
    rows: list[list[Cell]] = [list(TRABAJADORES_HEADERS)]
    rows += [[w.id, w.nombre, w.apellido, w.activo] for w in workers]
    return _sheet(TRABAJADORES, rows)


def _roles(workers: list[Worker]) -> SampleSheet:
    rows: list[list[Cell]] = [list(ROLES_HEADERS)]
    rows += [[w.id, rol, activo] for w in workers for rol, activo in w.roles.items()]
    return _sheet(ROLES, rows)


def _metadata(log: _Log) -> SampleSheet:
    log.rows.sort(key=lambda entry: entry[0])
    rows: list[list[Cell]] = [list(METADATA_SAMPLE_HEADERS)]
    rows += [row for _, row in log.rows]
    return _sheet(METADATA, rows, cols=len(METADATA_SAMPLE_HEADERS))


def _others(rng: random.Random, ops: SampleSheet) -> list[SampleSheet]:
    tag_col = _COL[TAG_COLUMN]
    qc_col = _COL["Fecha_QC_Metrología"]
    inspected = [r[tag_col] for r in ops.rows[1:] if r[tag_col] and r[qc_col] is not None]
    tags = [r[tag_col] for r in ops.rows[1:] if r[tag_col]]

    def over(function: str, name: str) -> Formula:
        """``function`` over a whole Operaciones column, down to the grid's last row."""
        letter = column_letter(_COL[name] + 1)
        return Formula(f"={function}(Operaciones!{letter}2:{letter}{ops.grid_rows})")

    param: list[list[Cell]] = [["Parametro", "Valor"], ["Proyecto", "Kronos Registro Piping"],
             ["Revisión", "R04"],
             ["Fecha corte", REFERENCE_DAY], ["Zona horaria", "America/Santiago"],
             ["Tolerancia biselado (mm)", 1.6], ["Versión app", "2.1.4"],
             ["Correo avisos", "=oficina.tecnica"]]
    weights = [("ARM", 0.25), ("SOLD", 0.35), ("METROLOGIA", 0.05), ("NDT", 0.05), ("PH", 0.05),
               ("REVESTIMIENTO", 0.1), ("PINTURA", 0.1), ("DESPACHO", 0.05)]
    ponderaciones: list[list[Cell]] = [["Etapa", "Ponderación", "Orden"]]
    ponderaciones += [[etapa, peso, i] for i, (etapa, peso) in enumerate(weights, start=1)]
    ponderaciones.append(["Total", Formula(f"=SUM(B2:B{len(weights) + 1})"), None])
    fluor: list[list[Cell]] = [["Fecha", "TAG_SPOOL", "Inspector", "Resultado", "Observación"]]
    for tag in rng.sample(inspected, min(len(inspected), max(3, len(tags) // 50))):
        day = REFERENCE_DAY - dt.timedelta(days=rng.randrange(90))
        fluor.append([day, tag, rng.choice(("CV", "PM", "RS")), rng.choice(("OK", "OK", "OBS")),
                      rng.choice((None, None, "repintar zona soldadura"))])
    nc: list[list[Cell]] = [["N° NC", "Fecha", "TAG_SPOOL", "Descripción", "Responsable", "Estado"]]
    for i, tag in enumerate(rng.sample(tags, min(len(tags), 3 + len(tags) // 100)), start=1):
        day = REFERENCE_DAY - dt.timedelta(days=rng.randrange(120))
        nc.append([f"NC-{i:03d}", _date_cell(rng, day), tag,
                   rng.choice(("Desalineamiento de brida", "Poro en soldadura",
                               "Longitud fuera de tolerancia")),
                   rng.choice(("Producción", "Calidad", "Oficina técnica")),
                   rng.choice(("Abierta", "Cerrada", "Cerrada"))])
    resumen: list[list[Cell]] = [["Indicador", "Valor"], ["Spools", over("COUNTA", TAG_COLUMN)],
               ["Con materiales", over("COUNTA", "Fecha_Materiales")],
               ["Armados", over("COUNTA", "Fecha_Armado")],
               ["Soldados", over("COUNTA", "Fecha_Soldadura")],
               ["Despachados", over("COUNTA", "Fecha_GD")],
               ["Peso total (kg)", over("SUM", "Peso_Kg")],
               ["Avance soldadura", Formula("=IF(B2=0,0,B5/B2)")],
               ["Fecha corte", REFERENCE_DAY]]
    lists: list[list[str]] = [list(_CLIENTES), list(_UBICACIONES), list(_TIPO_ARMADO[1:]), list(_TIPO_NDT),
             ["Armador", "Soldador", "Ayudante", "Metrologia", "Revestimiento", "Pintura", "Despacho"]]
    depth = max(len(column) for column in lists)
    listas: list[list[Cell]] = [["Clientes", "Ubicaciones", "Tipo Armado", "Tipo_NDT", "Roles"]]
    listas += [[column[i] if i < len(column) else None for column in lists] for i in range(depth)]
    return [_sheet("Param", param), _sheet("Ponderaciones", ponderaciones),
            _sheet("FluorReporte", fluor), _sheet("NoConformidad", nc),
            _sheet("Resumen", resumen), _sheet("Listas", listas)]


def generate(spools: int = 2500, seed: int = 0) -> list[SampleSheet]:
    """The sample's ten sheets, the same for the same ``spools`` and ``seed``."""
    if spools < 1:
        raise UsageError(f"--spools must be at least 1, got {spools}")
    rng = random.Random(seed)
    workers = _workers(rng)
    log = _Log(random.Random(rng.getrandbits(64)))
    ops = _operaciones(rng, spools, workers, log)
    sheets = {s.title: s for s in [ops, _trabajadores(workers), _roles(workers), _metadata(log),
                                   *_others(rng, ops)]}
    return [sheets[title] for title in SHEET_ORDER]


def summary(sheets: Sequence[SampleSheet]) -> dict[str, int]:
    """Counts worth printing: sheets, spools (rows with a TAG), workers, audit events."""
    by_title = {s.title: s for s in sheets}
    ops = by_title[OPERACIONES]
    tag = ops.rows[0].index(TAG_COLUMN)
    return {
        "sheets": len(sheets),
        "spools": sum(1 for r in ops.rows[1:] if not is_blank(r[tag])),
        "workers": len(by_title[TRABAJADORES].rows) - 1,
        "events": len(by_title[METADATA].rows) - 1,
    }
