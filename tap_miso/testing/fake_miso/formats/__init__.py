"""Byte-level writers: MR number style, sheet model, CSV, BIFF .xls, .xlsx, streamed ZIP."""
