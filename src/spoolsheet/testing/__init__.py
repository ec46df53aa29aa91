"""Test doubles for spoolsheet: ``fake_google``, a local Google Sheets v4 / Drive v3."""
