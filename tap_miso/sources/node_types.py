"""Pricing-node types (Hub, Loadzone, Gennode, Interface) for the LMP streams.

Most LMP sources carry no node type: the Data Exchange LMP records, the 5-minute files and the
public feeds. Every LMP record gets its ``node_type`` from one node list, whatever source
serves its prices, so records are identical across sources but for ``source``:

1. Data Exchange ``aggregated-pnode`` for the node model in force (with a pricing key); its
   history starts 2025-12-02 (FORMATS §2.4), so older models have no list there;
2. else the ``Type`` column of the day's ``da_expost_lmp.csv`` (FORMATS §6 Node list).

Both lists are fetched once per run and node model (models change Mar 1, Jun 1, Sep 1, Dec 1).
"""

from __future__ import annotations

from datetime import date

from tap_miso.http.errors import MisoHttpError
from tap_miso.parsers.csv_reports import parse_lmp_csv
from tap_miso.parsers.errors import PayloadError
from tap_miso.parsers.json_feeds import parse_dx_pnode_records
from tap_miso.sources import data_exchange as dx
from tap_miso.sources import market_reports as mr
from tap_miso.sources.base import DATA_EXCHANGE, MARKET_REPORT, FetchContext

NodeTypes = dict[str, str | None]


def model_date(day: date) -> date:
    """Node-model effective date for ``day``: models change Mar 1, Jun 1, Sep 1, Dec 1."""
    starts = [date(day.year - 1, 12, 1)] + [date(day.year, m, 1) for m in (3, 6, 9, 12)]
    return max(s for s in starts if s <= day)


def dx_node_list(ctx: FetchContext, on: date) -> list[tuple[str, str | None]]:
    """(node, type as published) of DX ``aggregated-pnode`` on date ``on``."""
    pages = dx.load_pages(ctx, "pricing", "aggregated-pnode", {"date": on.isoformat()})
    records = parse_dx_pnode_records(
        dx.iter_records(pages), on_unexpected_columns=ctx.drift_callback(DATA_EXCHANGE)
    )
    return [(r["node"], r["node_type"]) for r in records if r["node"]]


def mr_node_list(ctx: FetchContext, day: date) -> list[tuple[str, str | None]]:
    """(node, Type) of the day's ``da_expost_lmp.csv``: it lists every node of the model."""
    data = mr.load_report(ctx, day, "da_expost_lmp.csv")
    return sorted({(r["node"], r["node_type"]) for r in parse_lmp_csv(data)})


def dx_node_types(ctx: FetchContext, day: date) -> NodeTypes:
    """node -> type from ``aggregated-pnode`` for the model in force on ``day``; {} if none."""
    model = model_date(day)

    def produce() -> NodeTypes:
        try:
            return dict(dx_node_list(ctx, model))
        except MisoHttpError as exc:
            ctx.logger.warning(
                "Node types unavailable from aggregated-pnode for %s (%s)", model, exc
            )
            return {}

    return ctx.once(("dx_node_types", model), produce)


def mr_node_types(ctx: FetchContext, day: date) -> NodeTypes:
    """node -> type from the day's ``da_expost_lmp.csv``, cached per node model; {} if none."""

    def produce() -> NodeTypes:
        try:
            return dict(mr_node_list(ctx, day))
        except (MisoHttpError, PayloadError) as exc:
            ctx.logger.warning(
                "Node types unavailable from da_expost_lmp.csv for %s (%s); node_type is null",
                day,
                exc,
            )
            return {}

    return ctx.once(("mr_node_types", model_date(day)), produce)


def node_types(ctx: FetchContext, day: date) -> NodeTypes:
    """node -> type for ``day`` from the first enabled node list that has one (module
    docstring): DX ``aggregated-pnode`` with a key, else the day's DA ex-post LMP report."""
    settings = ctx.settings
    if settings.pricing_api_keys and DATA_EXCHANGE in settings.source_preference:
        types = dx_node_types(ctx, day)
        if types:
            return types
    if MARKET_REPORT in settings.source_preference:
        return mr_node_types(ctx, day)
    return {}
