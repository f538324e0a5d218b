"""The ``nodes`` stream: MISO pricing nodes (CPNodes) with type, reserve zone and lifetime.

MISO's node model changes on Mar 1, Jun 1, Sep 1 and Dec 1 (FORMATS §2.4, §6): nodes are added,
retired and renamed. Each run observes the node list at its first date, at every model date in
its window and at its last date (an *observation*); the list seen on day D is the node model in
force on D, whose effective date is ``model_date(D)`` (tap_miso.sources.node_types).

Per node, with observations taken in date order across runs:

- ``first_seen``/``last_seen``: earliest/latest observation date at which the node was listed.
- ``first_model_date`` = ``model_date(first_seen)``: effective date of the model in force at the
  node's first observation. A node first seen mid-quarter (say at a window start of May 20)
  gets the model it was observed in (Mar 1), never a later one. The node itself may be older
  than that model when it was listed at the very first observation (the window's start).
- ``retired_model_date``: effective date of the model in force at the first observation, after
  ``last_seen``, at which the node was absent (null while the node is listed). That is the
  first model without the node unless a model date's list was unavailable (then a later one);
  a node that vanished mid-model gets the model it vanished in.
- ``retired``: absent from the newest observation. A retired node is emitted once with its dates
  (never deleted; the key lets a target upsert) and again only if it reappears, when it is
  un-retired (``retired_model_date`` null again) and keeps its ``first_seen``.

The history lives in the stream state, grouped by identical dates to stay compact:
``node_history = [{"first_seen", "last_seen", "retired_model_date", "node_type", "nodes": [...]},
...]`` (a retired node keeps its last known type).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class NodeHistory:
    """What tap-miso has observed of one node (ISO dates; see the module docstring)."""

    first_seen: str
    last_seen: str
    retired_model_date: str | None = None
    #: Last type a source gave (kept so a retired node is still emitted with its type).
    node_type: str | None = None

    @property
    def first_model_date(self) -> str:
        return model_date(date.fromisoformat(self.first_seen)).isoformat()


def record_observation(history: dict[str, NodeHistory], day: date, present: Iterable[str],
                       types: Mapping[str, str | None] | None = None) -> None:
    """Update ``history`` in place with the node list observed on ``day`` (in date order).

    ``types`` (node -> type on ``day``) refreshes the kept type; a null never erases one.
    """
    iso, model = day.isoformat(), model_date(day).isoformat()
    listed = set(present)
    types = types or {}
    for node in listed:
        seen = history.get(node)
        if seen is None:
            history[node] = NodeHistory(iso, iso, node_type=types.get(node))
            continue
        retired = seen.retired_model_date
        if retired is not None and model >= retired:
            retired = None  # listed again in a model at/after its retirement: it reappeared
        kind = types.get(node) if iso >= seen.last_seen else None
        history[node] = NodeHistory(min(seen.first_seen, iso), max(seen.last_seen, iso), retired,
                                    kind or seen.node_type)
    for node, seen in history.items():
        if node not in listed and seen.retired_model_date is None and seen.last_seen < iso:
            history[node] = replace(seen, retired_model_date=model)


def load_history(state: dict, bookmark: str | None) -> dict[str, NodeHistory]:
    """Node history from the stream state (``node_history``, or the older ``node_dates``)."""
    history: dict[str, NodeHistory] = {}
    for group in state.get("node_history") or []:
        entry = NodeHistory(group["first_seen"], group["last_seen"],
                            group.get("retired_model_date"), group.get("node_type"))
        history.update(dict.fromkeys(group["nodes"], entry))
    for node, (first_seen, last_seen) in (state.get("node_dates") or {}).items():
        # Before node_history, a node last seen before the bookmark was emitted as retired;
        # its first absence was the next model date's observation (or the run's end).
        retired = None
        if bookmark and last_seen < bookmark:
            retired = min(next_model_date(date.fromisoformat(last_seen)),
                          model_date(date.fromisoformat(bookmark))).isoformat()
        history.setdefault(node, NodeHistory(first_seen, last_seen, retired))
    return history


def dump_history(history: dict[str, NodeHistory]) -> list[dict]:
    """``history`` grouped by identical dates, for the stream state (sorted, deterministic)."""
    groups: dict[NodeHistory, list[str]] = {}
    for node in sorted(history):
        groups.setdefault(history[node], []).append(node)
    return [
        {"first_seen": h.first_seen, "last_seen": h.last_seen,
         "retired_model_date": h.retired_model_date, "node_type": h.node_type, "nodes": nodes}
        for h, nodes in sorted(groups.items(),
                               key=lambda g: (g[0].first_seen, g[0].last_seen,
                                              g[0].retired_model_date or "", g[0].node_type or ""))
    ]


def next_model_date(day: date) -> date:
    """The first quarterly model effective date strictly after ``day``."""
    return min(d for d in model_dates_between(day + timedelta(days=1),
                                              date(day.year + 1, 12, 31)))


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
        th.Property("first_model_date", th.DateType, required=True,
                    description="Effective date (Mar/Jun/Sep/Dec 1) of the node model in force "
                                "at first_seen: the earliest model the node was observed in."),
        th.Property("retired_model_date", th.DateType,
                    description="Effective date of the node model in force at the first "
                                "observation without the node after last_seen; null while "
                                "listed."),
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
        bookmark = state.get("replication_key_value")
        history = load_history(state, bookmark)
        before = dict(history)
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
            record_observation(history, day, observed,
                               {node: info["node_type"] for node, info in observed.items()})
        if latest_day is None:
            self.logger.warning("nodes: no source had a node list between %s and %s",
                                first, last)
            return
        zones = self._reserve_zones(ctx, latest_day)
        yield from self._records(history, before, latest, model_date(latest_day), zones)
        state["node_history"] = dump_history(history)
        state.pop("node_dates", None)

    @staticmethod
    def _records(history: dict[str, NodeHistory], before: dict[str, NodeHistory],
                 latest: dict[str, dict], model: date, zones: dict[str, int]) -> Iterator[dict]:
        """One record per listed node, and per retired node whose history changed this run."""
        for node in sorted(history):
            seen = history[node]
            current = latest.get(node)
            if current is None and before.get(node) == seen:
                continue  # retired in an earlier run and already emitted as such
            yield {
                "node": node,
                "node_type": current["node_type"] if current else seen.node_type,
                "is_trading_hub": node in vocabulary.TRADING_HUBS,
                "reserve_zone": zones.get(node),
                "first_seen": seen.first_seen,
                "last_seen": seen.last_seen,
                "first_model_date": seen.first_model_date,
                "retired_model_date": seen.retired_model_date,
                "model_date": model.isoformat() if current else None,
                "retired": current is None,
                "source": current["source"] if current else latest_source(latest),
            }

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
