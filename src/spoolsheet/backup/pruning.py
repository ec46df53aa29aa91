"""``prune``: remove old backups, never the newest verified one."""

from __future__ import annotations

import datetime as dt

from ..errors import UsageError
from ..workbook import Workbook
from .catalog import list_backups, store_for
from .creating import stored, utc
from .model import Backup


def prune(workbook: Workbook, *, keep_last: int = 5, max_age_days: float = 30,
          dry_run: bool = False, now: dt.datetime | None = None,
          folder: str | None = None) -> list[Backup]:
    """Remove backups beyond the newest ``keep_last`` that are older than ``max_age_days``.

    The newest verified backup always stays. Google moves backups to the trash (recoverable for
    30 days); .xlsx deletes the file and its sidecar (the store's ``removal`` says which).
    Returns what was (or would be) removed.
    """
    if keep_last < 0:
        raise UsageError(f"--keep-last must be 0 or more, got {keep_last}")
    if max_age_days < 0:
        raise UsageError(f"--max-age must be 0 or more days, got {max_age_days}")
    store = store_for(workbook, folder)
    backups = list_backups(workbook, folder=folder)
    newest_verified = next((b for b in backups if b.verified), None)
    limit = utc(now) - dt.timedelta(days=max_age_days)
    doomed = [b for b in backups[keep_last:] if b.created < limit and b is not newest_verified]
    if not dry_run:
        for backup in doomed:
            store.remove(stored(backup))
    return doomed
