"""One spool's whole ARM life through the library, for tests that check a file survives it."""

from __future__ import annotations

from spoolsheet.occupation import OccupationService, Operation, Spool, Stage


def arm_life(service: OccupationService) -> Spool:
    """TOMAR, PAUSAR, TOMAR, COMPLETAR on the first free spool ready for ARM, by a qualified
    active worker; returns the spool as it was before."""
    worker = next(w for w in service.workers() if w.activo and w.has_role("Armador"))
    spool = next(s for s in service.spools() if s.free and s.materiales is not None
                 and s.stage(Operation.ARM) is Stage.PENDING)
    service.tomar(spool.tag, worker=worker.id, op="ARM")
    service.pausar(spool.tag, worker=worker.id)
    service.tomar(spool.tag, worker=worker.id, op="ARM")
    service.completar(spool.tag, worker=worker.id)
    return spool
