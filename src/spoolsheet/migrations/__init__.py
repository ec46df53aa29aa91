"""Schema migrations (being written)."""
