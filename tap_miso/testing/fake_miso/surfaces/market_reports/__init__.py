"""MISO Market Reports static files (`/marketreports/<YYYYMMDD>_<report>.<ext>`, FORMATS §4)."""
