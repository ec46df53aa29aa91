"""A faithful local fake of the Google Sheets v4 and Drive v3 APIs (see docs/fake_google.md).

fake = FakeGoogle()
session.mount("http://fake-google.test", fake.adapter())   # in-process
with fake.serve() as server: ... server.base_url ...        # loopback sockets
"""

from .adapter import IN_PROCESS_BASE, REAL_HOSTS, FakeAdapter
from .core import Exchange, FakeGoogle
from .errors import ApiError
from .limits import LogEntry
from .server import FakeServer

__all__ = [
    "IN_PROCESS_BASE",
    "REAL_HOSTS",
    "ApiError",
    "Exchange",
    "FakeAdapter",
    "FakeGoogle",
    "FakeServer",
    "LogEntry",
]
