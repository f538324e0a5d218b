"""Fake MISO server for tests and offline demos.

    from tap_miso.testing.fake_miso import FakeMisoServer
    with FakeMisoServer(node_count=60, now=datetime(2026, 7, 20, 17, tzinfo=UTC)) as fake:
        fake.data_exchange_url, fake.public_api_url, fake.market_reports_url
        fake.data.lmp(date(2026, 7, 14), 14, "MINN.HUB", "ex_post")
        fake.inject(r"/lmp-expost", "status", times=2, code=503)

Serves MISO's Data Exchange (`/pricing/v1`, `/lgi/v1`), Public API (`/api/...`) and Market
Reports (`/marketreports/...`) byte-faithfully to FORMATS.md, from the deterministic
`DataModel` (see `data/model.py` for its methods), with publication rules relative to
`fake.now`, fault injection (see `faults.py`) and a request log. Run
`python -m tap_miso.testing.fake_miso --help` for the command-line server.
"""

from tap_miso.testing.fake_miso.data import DataModel, Lmp
from tap_miso.testing.fake_miso.faults import FAULT_KINDS, FaultHandle
from tap_miso.testing.fake_miso.request_log import RequestRecord
from tap_miso.testing.fake_miso.server import FakeMisoServer

__all__ = ["FAULT_KINDS", "DataModel", "FakeMisoServer", "FaultHandle", "Lmp", "RequestRecord"]
