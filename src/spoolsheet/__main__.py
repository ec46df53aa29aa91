"""``python -m spoolsheet``: the same command line as ``spoolsheet``."""

from .cli import app

app(prog_name="spoolsheet")
