"""`python -m tap_miso.testing.fake_miso --port N [--nodes N] [--today YYYY-MM-DD]`."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from datetime import date, datetime

from tap_miso.testing.fake_miso.clock import EST
from tap_miso.testing.fake_miso.server import FakeMisoServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tap_miso.testing.fake_miso",
                                     description="Serve a fake MISO for offline demos.")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--nodes", type=int, default=2612, help="CPNodes in the roster")
    parser.add_argument("--today", type=date.fromisoformat,
                        help="freeze the clock at 12:00 EST on this date (default: real time)")
    parser.add_argument("--pricing-key", action="append", help="accepted Pricing key(s)")
    parser.add_argument("--lgi-key", action="append", help="accepted LGI key(s)")
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--rate-per-minute", type=int, default=100)
    parser.add_argument("--daily-quota", type=int, default=24000)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    now = (datetime(args.today.year, args.today.month, args.today.day, 12, tzinfo=EST)
           if args.today else None)
    keys = {"pricing": args.pricing_key or ["fake-pricing-key"],
            "lgi": args.lgi_key or ["fake-lgi-key"]}
    fake = FakeMisoServer(node_count=args.nodes, now=now, dx_keys=keys,
                          dx_page_size=args.page_size, dx_rate_per_minute=args.rate_per_minute,
                          dx_daily_quota=args.daily_quota, host=args.host, port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with fake:
        print(f"fake MISO on {fake.base_url}  (now: {fake.now.isoformat()})", flush=True)
        print(f"  data_exchange_url  {fake.data_exchange_url}   keys {keys}", flush=True)
        print(f"  public_api_url     {fake.public_api_url}", flush=True)
        print(f"  market_reports_url {fake.market_reports_url}", flush=True)
        print("  control: POST/DELETE /_fake/faults, GET /_fake/requests, POST /_fake/clock",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
