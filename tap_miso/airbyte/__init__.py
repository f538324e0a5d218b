"""tap-miso speaking the Airbyte protocol: ``tap-miso-airbyte spec|check|discover|read``.

The same Tap and streams as the Singer entry point; only the messages differ. Singer messages
go through :class:`~tap_miso.airbyte.writer.AirbyteWriter` (the SDK's writer interface), which
prints one Airbyte message per line on stdout. Messages are plain dicts (the protocol's JSON),
checked by the tests against the protocol's own models and JSON Schema.
"""
