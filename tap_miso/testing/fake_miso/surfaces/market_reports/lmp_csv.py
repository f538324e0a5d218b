"""Daily hourly LMP CSVs: da_exante_lmp, da_expost_lmp, rt_lmp_prelim, rt_lmp_final.

Row order varies by date (FORMATS: do not rely on it): grouped by node, grouped by
Value (all LMP, then MCC, then MLC), or nodes in a shuffled order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from tap_miso.testing.fake_miso.data.mixing import seed_of
from tap_miso.testing.fake_miso.formats.csv_text import csv_bytes
from tap_miso.testing.fake_miso.formats.numbers import mr_cents
from tap_miso.testing.fake_miso.formats.sheet import DISCLAIMER, HeaderRow, Row, Sheet
from tap_miso.testing.fake_miso.response import CSV, Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.market_reports.common import EST_NOTE, mdy

TITLES = {
    "ex_ante": "Day Ahead Market ExAnte LMPs",
    "ex_post": "Day Ahead Market ExPost LMPs",
    "preliminary": "Realtime Market LMPs",
    "final": "Realtime Market LMPs",
}
HEADER = ["Node", "Type", "Value", *(f"HE {he}" for he in range(1, 25))]
_VALUES = (("LMP", 0), ("MCC", 2), ("MLC", 3))


def row_order(day: date) -> str:
    """'node', 'value' or 'shuffled' - the row layout used for this market date."""
    return ("node", "value", "shuffled")[seed_of("mr-row-order", day) % 3]


def _rows(ctx: RequestContext, day: date, price_type: str) -> Iterator[Row]:
    data = ctx.state.data
    yield [TITLES[price_type]]
    yield [mdy(day)]
    yield []
    yield ["", "", "", EST_NOTE]
    yield HeaderRow(HEADER)
    nodes = data.nodes_on(day)
    layout = row_order(day)
    if layout == "shuffled":
        nodes = sorted(nodes, key=lambda node: seed_of("mr-shuffle", day, node[0]))
    table = {
        name: (node_type, [data.lmp_cents(day, he, name, price_type) for he in range(1, 25)])
        for name, node_type in nodes
    }

    def line(name: str, label: str, position: int) -> Row:
        node_type, hours = table[name]
        return [name, node_type, label, *(mr_cents(cents[position]) for cents in hours)]

    if layout == "value":
        for label, position in _VALUES:
            for name in table:
                yield line(name, label, position)
    else:
        for name in table:
            for label, position in _VALUES:
                yield line(name, label, position)
    yield [DISCLAIMER]


def lmp_csv(price_type: str) -> Callable[[RequestContext, date], Response]:
    """Builder for one of the four hourly LMP CSVs."""

    def build(ctx: RequestContext, day: date) -> Response:
        return ctx.sheets(lambda: [Sheet("csv", _rows(ctx, day, price_type))],
                          lambda sheets: csv_bytes(sheets[0]), CSV)

    return build
