"""MISO Data Exchange (`/pricing/v1/...`, `/lgi/v1/...`): gateway, paging, routes."""
