"""``tap-miso-reference``: keep reference CSV files (``iso_nodes.csv``, ``generators.csv``) up to
date from tap-miso's Singer output. See docs/REFERENCE.md and :mod:`tap_miso.reference.cli`."""
