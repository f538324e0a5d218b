"""The ``nodes`` stream: MISO pricing nodes (CPNodes) with type, reserve zone and lifetime.

MISO's node model changes on Mar 1, Jun 1, Sep 1 and Dec 1 (FORMATS §2.4, §6): nodes are added,
retired and renamed. Each run observes the node list at every model date in its window and at
its last date; ``first_seen``/``last_seen`` are the earliest/latest observation dates, kept in
the stream state per node so later runs extend them. A node missing from the newest observation
is emitted once more with ``retired`` true (never deleted); the key lets a target upsert.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk import typing as th

from tap_miso import timeutil, vocabulary
from tap_miso.http.errors import AuthError, BadPathError, MisoHttpError, NoDataError
from tap_miso.parsers.errors import PayloadError
from tap_miso.parsers.excel_reports import parse_cpnode_reszone_xlsx
from tap_miso.sources import market_reports as mr
from tap_miso.sources.base import DATA_EXCHANGE, MARKET_REPORT, FetchContext
from tap_miso.sources.node_types import dx_node_list, model_date, mr_node_list
from tap_miso.streams.base import SourceChainError, fetch_context

if TYPE_CHECKING:
    from tap_miso.tap import TapMiso

MODEL_MONTHS = (3, 6, 9, 12)


def model_dates_between(first: date, last: date) -> list[date]:
    """Quarterly model effective dates (Mar/Jun/Sep/Dec 1) inside ``[first, last]``."""
    out = []
    for year in range(first.year, last.year + 1):
        out += [date(year, m, 1) for m in MODEL_MONTHS if first <= date(year, m, 1) <= last]
    return out


def observation_dates(first: date, last: date) -> list[date]:
    """Dates at which to read the node list: the window's start, each model date, its end."""
    return sorted({first, *model_dates_between(first, last), last})


class NodesStream(Stream):
    """Pricing nodes: one record per CPNode, upserted on ``node``."""

    name = "nodes"
    primary_keys = ("node",)
    replication_key = "last_seen"
    is_sorted = False
    schema = th.PropertiesList(
        th.Property("node", th.StringType, required=True, description="CPNode name."),
        th.Property("node_type", th.StringType,
                    description="Hub, Loadzone, Gennode or Interface (raw value if unknown)."),
        th.Property("is_trading_hub", th.BooleanType,
                    description="One of the 8 MISO trading hubs."),
        th.Property("reserve_zone", th.IntegerType,
                    description="Reserve zone 1..8 from cpnode_reszone.xlsx; null if unknown."),
        th.Property("first_seen", th.DateType, required=True,
                    description="Earliest market date the node was observed by tap-miso."),
        th.Property("last_seen", th.DateType, required=True,
                    description="Latest market date the node was observed. Replication key."),
        th.Property("model_date", th.DateType,
                    description="Effective date of the node model of the last observation."),
        th.Property("retired", th.BooleanType,
                    description="True when absent from the newest node model observed."),
        th.Property("source", th.StringType, required=True,
                    description="data_exchange or market_report (of the last observation)."),
    ).to_dict()

    def __init__(self, tap: TapMiso, **kwargs: Any) -> None:
        super().__init__(tap, **kwargs)
        self._miso_tap = tap

    def _context(self) -> FetchContext:
        return fetch_context(self._miso_tap, self.name, self.logger, self._miso_tap.now())

    def get_records(self, context: dict | None) -> Iterable[dict]:
        """Observe the node list over the window, then emit every node seen or retired."""
        settings = self._miso_tap.settings
        ctx = self._context()
        state = self.get_context_state(context)
        known: dict[str, list[str]] = dict(state.get("node_dates") or {})
        bookmark = state.get("replication_key_value")
        first = max(settings.start_date, date.fromisoformat(bookmark)) if bookmark \
            else settings.start_date
        last = settings.end_date or timeutil.market_date_of(ctx.now)
        latest: dict[str, dict] = {}
        latest_day: date | None = None
        for day in observation_dates(first, last):
            observed = self._observe(ctx, day)
            if observed is None:
                continue
            latest, latest_day = observed, day
            for node in observed:
                seen = known.get(node)
                iso = day.isoformat()
                known[node] = [min(seen[0], iso), max(seen[1], iso)] if seen else [iso, iso]
        if latest_day is None:
            self.logger.warning("nodes: no source had a node list between %s and %s",
                                first, last)
            return
        zones = self._reserve_zones(ctx, latest_day)
        model = model_date(latest_day).isoformat()
        for node in sorted(known):
            first_seen, last_seen = known[node]
            current = latest.get(node)
            if current is None and bookmark and last_seen < bookmark:
                continue  # retired in an earlier run and already emitted as such
            yield {
                "node": node,
                "node_type": current["node_type"] if current else None,
                "is_trading_hub": node in vocabulary.TRADING_HUBS,
                "reserve_zone": zones.get(node),
                "first_seen": first_seen,
                "last_seen": last_seen,
                "model_date": model if current else None,
                "retired": current is None,
                "source": current["source"] if current else latest_source(latest),
            }
        state["node_dates"] = known

    def _observe(self, ctx: FetchContext, day: date) -> dict[str, dict] | None:
        """node -> {node_type, source} on ``day`` from the first source that has it."""
        errors = []
        for source in self._sources():
            try:
                rows = self._node_rows(ctx, source, day)
            except NoDataError:
                continue
            except (BadPathError, AuthError):
                raise
            except (MisoHttpError, PayloadError) as exc:
                self.logger.warning("nodes %s: %s failed (%s); trying the next source",
                                    day, source, exc)
                errors.append(f"{source}: {exc}")
                continue
            return {node: {"node_type": vocabulary.node_type(kind), "source": source}
                    for node, kind in rows}
        if errors:
            raise SourceChainError(f"nodes: no source could list nodes on {day}: "
                                   + "; ".join(errors))
        self.logger.info("nodes: no node list published for %s", day)
        return None

    def _sources(self) -> list[str]:
        settings = self._miso_tap.settings
        usable = {DATA_EXCHANGE: bool(settings.pricing_api_keys), MARKET_REPORT: True}
        return [s for s in settings.source_preference if usable.get(s)]

    @staticmethod
    def _node_rows(ctx: FetchContext, source: str, day: date) -> list[tuple[str, str | None]]:
        if source == DATA_EXCHANGE:
            return dx_node_list(ctx, day)
        return mr_node_list(ctx, day)

    def _reserve_zones(self, ctx: FetchContext, day: date) -> dict[str, int]:
        """node -> reserve zone from ``cpnode_reszone.xlsx`` (the file of ``day`` or earlier)."""
        if MARKET_REPORT not in self._miso_tap.settings.source_preference:
            return {}
        for back in range(0, 8):
            try:
                data = mr.load_report(ctx, day - timedelta(days=back), "cpnode_reszone.xlsx")
            except NoDataError:
                continue
            except (MisoHttpError, PayloadError) as exc:
                self.logger.warning("nodes: reserve zones unavailable (%s)", exc)
                return {}
            return {r["node"]: r["reserve_zone"] for r in parse_cpnode_reszone_xlsx(data)
                    if r["node"] and not r["_invalid"]}
        self.logger.warning("nodes: no cpnode_reszone.xlsx in the week up to %s", day)
        return {}


def latest_source(latest: dict[str, dict]) -> str:
    """Source of the newest observation (for retired nodes' records)."""
    return next(iter(latest.values()))["source"]


STREAMS = (NodesStream,)
