"""spoolsheet: keep a pipe-spool shop's production spreadsheet safe and useful.

The library does the work; the ``spoolsheet`` command is a thin layer over it.
"""

__version__ = "0.1.0"
