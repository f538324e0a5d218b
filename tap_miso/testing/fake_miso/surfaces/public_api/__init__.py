"""MISO Public API (`/api/...`): anonymous JSON windows, values as strings (FORMATS §3)."""
