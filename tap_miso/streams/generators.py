"""The ``generators`` stream: MISO's generator roster, one record per unit and monthly snapshot.

MISO publishes no named generator list; the EIA's monthly inventory (EIA-860M) filtered to the
MISO balancing authority is the public roster (shared/miso/EIA.md). Months are planned from
``start_date``'s month (or the bookmark less ``eia_lookback_months``, for EIA revisions) to the
current month; each month comes from the first EIA source that has it: the Open Data API when
``eia_api_key`` is set (operable units only), else the 860M workbook (operating, planned,
retired and canceled units). A month not published yet ends the run quietly; an older missing
month is a gap. A unit's MISO pricing node is carried only where the annual EIA-860 file states
one, and its reserve zone only where MISO's ``cpnode_reszone.xlsx`` lists that node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from singer_sdk import Stream
from singer_sdk import typing as th

from tap_miso import timeutil
from tap_miso.http.eia_classify import EIA_API, EIA_WORKBOOK
from tap_miso.http.errors import AuthError, BadPathError, MisoHttpError, NoDataError
from tap_miso.parsers.eia_api import generator_row
from tap_miso.parsers.eia_workbook import parse_860m_workbook, parse_eia860_nodes
from tap_miso.parsers.errors import PayloadError
from tap_miso.parsers.excel_reports import parse_cpnode_reszone_xlsx
from tap_miso.sources import eia
from tap_miso.sources import market_reports as mr
from tap_miso.sources.base import MARKET_REPORT, FetchContext, Row
from tap_miso.streams.base import SourceChainError, fetch_context, keep_invalid

if TYPE_CHECKING:
    from tap_miso.tap import TapMiso

FIRST_PERIOD = "2008-01"  # the API's history starts here
#: A month missing this many months after it ended is a gap, not "not published yet".
OVERDUE_MONTHS = 4
#: Months probed before start_date's month when it is not published yet (EIA lags ~2 months).
NEWEST_PROBE_MONTHS = 4

BUSINESS_FIELDS = (
    "plant_id", "generator_id", "period", "plant_name", "operator_id", "operator_name",
    "state", "county", "latitude", "longitude", "technology", "energy_source_code",
    "prime_mover_code", "status", "status_category", "nameplate_capacity_mw",
    "net_summer_capacity_mw", "net_winter_capacity_mw", "operating_year_month",
    "planned_retirement_year_month", "retirement_year_month", "planned_derate_year_month",
    "planned_derate_summer_cap_mw", "planned_uprate_year_month",
    "planned_uprate_summer_cap_mw", "balancing_authority_code", "lmp_node", "reserve_zone",
)  # fmt: skip


def period_index(period: str) -> int:
    """``YYYY-MM`` as a month count (for arithmetic)."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def period_at(index: int) -> str:
    """Inverse of :func:`period_index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _text(name: str, description: str, *, required: bool = False) -> th.Property:
    return th.Property(name, th.StringType, required=required, description=description)


def _mw(name: str, description: str) -> th.Property:
    return th.Property(name, th.NumberType, description=description)


class GeneratorsStream(Stream):
    """EIA-860M generators in the MISO balancing authority, by monthly snapshot."""

    name = "generators"
    primary_keys = ("plant_id", "generator_id", "period")
    replication_key = "period"
    is_sorted = True
    schema = th.PropertiesList(
        _text("plant_id", "EIA plant id (text).", required=True),
        _text("generator_id", "EIA generator id, as EIA writes it ('01' is not '1').",
              required=True),
        _text("period", "Snapshot month, YYYY-MM. Replication key.", required=True),
        _text("plant_name", "Plant name."),
        _text("operator_id", "EIA entity (operator) id."),
        _text("operator_name", "Operator (entity) name."),
        _text("state", "Plant state (two letters)."),
        _text("county", "Plant county."),
        th.Property("latitude", th.NumberType, description="Plant latitude."),
        th.Property("longitude", th.NumberType, description="Plant longitude."),
        _text("technology", "EIA technology description."),
        _text("energy_source_code", "EIA energy source code (e.g. NG, WND, SUN)."),
        _text("prime_mover_code", "EIA prime mover code (e.g. CT, WT, PV)."),
        _text("status", "EIA status code: OP, SB, OA, OS (operable); P, L, T, U, V, TS, OT "
                        "(planned); RE (retired); CN, IP (canceled or postponed)."),
        _text("status_category", "operating, planned, retired or canceled.", required=True),
        _mw("nameplate_capacity_mw", "Nameplate capacity, MW."),
        _mw("net_summer_capacity_mw", "Net summer capacity, MW."),
        _mw("net_winter_capacity_mw", "Net winter capacity, MW."),
        _text("operating_year_month", "First operation (planned operation for planned and "
                                      "canceled units), YYYY-MM."),
        _text("planned_retirement_year_month", "Announced retirement of a unit not yet "
                                               "retired, YYYY-MM."),
        _text("retirement_year_month", "Actual retirement of a retired unit (EIA-860M Retired "
                                       "sheet), YYYY-MM; null otherwise."),
        _text("planned_derate_year_month", "Planned derate month, YYYY-MM."),
        _mw("planned_derate_summer_cap_mw", "Planned derate of summer capacity, MW."),
        _text("planned_uprate_year_month", "Planned uprate month, YYYY-MM."),
        _mw("planned_uprate_summer_cap_mw", "Planned uprate of summer capacity, MW."),
        _text("balancing_authority_code", "Balancing authority (MISO)."),
        _text("lmp_node", "MISO pricing node the unit self-reports in the annual EIA-860 "
                          "('RTO/ISO LMP Node Designation'); null when not stated."),
        th.Property("reserve_zone", th.IntegerType,
                    description="Reserve zone (1..8) of lmp_node in MISO's cpnode_reszone.xlsx;"
                                " null when the node is not listed there."),
        _text("source", "eia_api or eia_workbook.", required=True),
        _text("record_hash", "SHA-256 of the business fields.", required=True),
        th.Property("quality_flags", th.ArrayType(th.StringType), required=True,
                    description="invalid_<field> for cells that were present but unreadable."),
    ).to_dict()

    def __init__(self, tap: TapMiso, **kwargs: Any) -> None:
        super().__init__(tap, **kwargs)
        self._miso_tap = tap
        self._links: tuple[dict[tuple[str, str], str], dict[str, int]] | None = None

    @property
    def check_sorted(self) -> bool:
        """Lookback re-reads months before the bookmark; order inside a run is ascending."""
        return False

    # -- planning ------------------------------------------------------------------------

    def get_records(self, context: dict | None) -> Iterable[dict]:
        """Emit each month of the window from the first EIA source that has it."""
        settings = self._miso_tap.settings
        now = self._miso_tap.now()
        ctx = fetch_context(self._miso_tap, self.name, self.logger, now)
        current = period_of(timeutil.market_date_of(now))
        bookmark = self.get_context_state(context).get("replication_key_value")
        first = max(period_of(settings.start_date), FIRST_PERIOD)
        if bookmark:
            resume = period_at(period_index(bookmark) - settings.eia_lookback_months)
            first = max(first, resume)
        last = min(period_of(settings.end_date), current) if settings.end_date else current
        self.logger.info("%s: months %s..%s from %s", self.name, first, last,
                         ", ".join(self._sources()) or "no source")
        emitted = False
        for index in range(period_index(first), period_index(last) + 1):
            period = period_at(index)
            overdue = period_index(current) - index >= OVERDUE_MONTHS
            roster = self._roster(ctx, period, overdue=overdue)
            if roster is None:
                if overdue:
                    self._miso_tap.summary.add_gap(
                        self.name, date(index // 12, index % 12 + 1, 1),
                        f"no EIA roster for {period} from {', '.join(self._sources())}")
                    continue
                self.logger.info("%s: %s not published yet; stopping here", self.name, period)
                break
            if emitted:
                self._write_state_message()
            emitted = True
            yield from self._records(ctx, *roster)
        if not emitted and not bookmark:
            yield from self._newest_before(ctx, first)

    def _newest_before(self, ctx: FetchContext, first: str) -> Iterator[dict]:
        """start_date's month is not out yet: emit the newest published month before it."""
        for index in range(period_index(first) - 1,
                           max(period_index(first) - 1 - NEWEST_PROBE_MONTHS,
                               period_index(FIRST_PERIOD) - 1), -1):
            roster = self._roster(ctx, period_at(index))
            if roster is not None:
                self.logger.info("%s: %s is not published yet; emitting the newest roster, %s",
                                 self.name, first, period_at(index))
                yield from self._records(ctx, *roster)
                return
        self.logger.warning("%s: no EIA roster published in the %d months before %s",
                            self.name, NEWEST_PROBE_MONTHS, first)

    def _sources(self) -> list[str]:
        """EIA sources in preference order; the API only with a key."""
        settings = self._miso_tap.settings
        named = [s for s in settings.source_preference if s in (EIA_API, EIA_WORKBOOK)]
        order = named or [EIA_API, EIA_WORKBOOK]
        return [s for s in order if s != EIA_API or settings.eia_api_key]

    # -- fetching ------------------------------------------------------------------------

    def _roster(self, ctx: FetchContext, period: str,
                overdue: bool = True) -> tuple[str, str, list[Row]] | None:
        """(source, period, rows) from the first source that has ``period``; None if none.

        When a source failed but the others have no data for a month that is not overdue, the
        month is taken as not published yet: the failing source would not have had it either.
        """
        failures = []
        for source in self._sources():
            try:
                rows = self._rows(ctx, source, period)
            except NoDataError:
                continue
            except (AuthError, BadPathError):
                raise
            except (MisoHttpError, PayloadError) as exc:
                self.logger.warning("%s %s: %s failed (%s); trying the next source",
                                    self.name, period, source, exc)
                self._miso_tap.summary.count_fallback(self.name, source)
                failures.append(f"{source}: {exc}")
                continue
            if rows:
                return source, period, rows
        if failures and (overdue or len(failures) == len(self._sources())):
            raise SourceChainError(f"{self.name}: no source could serve {period}: "
                                   + "; ".join(failures))
        return None

    def _rows(self, ctx: FetchContext, source: str, period: str) -> list[Row]:
        if source == EIA_API:
            key = self._miso_tap.settings.eia_api_key or ""
            return [generator_row(raw) for raw in eia.api_month_rows(ctx, key, period)]
        data, url = eia.load_workbook(ctx, period)
        rows = list(parse_860m_workbook(data, period=period,
                                        on_unexpected_columns=ctx.drift_callback(url)))
        if not rows:
            raise PayloadError("eia860m_xlsx", f"no MISO unit in the {period} workbook")
        return rows

    # -- records -------------------------------------------------------------------------

    def _records(self, ctx: FetchContext, source: str, period: str,
                 rows: list[Row]) -> Iterator[dict]:
        """Records of one month in key order; rows without a key or repeated are dropped."""
        nodes, zones = self._node_links(ctx)
        seen: dict[tuple[str, str], Row] = {}
        skipped = 0
        for row in rows:
            unit = (row["plant_id"], row["generator_id"])
            if None in unit or row["period"] != period or unit in seen:
                skipped += 1
                continue
            seen[unit] = row
        if skipped:
            self.logger.warning("%s %s: %d %s rows without a usable or unique key skipped",
                                self.name, period, skipped, source)
        for unit in sorted(seen, key=_unit_order):
            row = seen[unit]
            invalid = row.pop("_invalid", [])
            node = nodes.get(unit)
            record = {name: row.get(name) for name in BUSINESS_FIELDS}
            record["lmp_node"] = node
            record["reserve_zone"] = zones.get(node) if node else None
            record["source"] = source
            record["record_hash"] = _hash(record)
            record["quality_flags"] = [f"invalid_{name}" for name in invalid]
            yield record

    def post_process(self, row: dict, context: dict | None = None) -> dict | None:
        """Apply ``on_invalid_record`` to records with flagged cells; count the rest."""
        if row["quality_flags"] and not keep_invalid(
            self._miso_tap,
            self.name,
            lambda: f"for {row['period']} from {row['source']} "
            f"({', '.join(row['quality_flags'])}); plant {row['plant_id']} generator "
            f"{row['generator_id']}",
        ):
            return None
        self._miso_tap.records.add(self.name)
        return row

    # -- MISO node links -----------------------------------------------------------------

    def _node_links(self, ctx: FetchContext) -> tuple[dict[tuple[str, str], str], dict[str, int]]:
        """(unit -> stated pricing node, node -> reserve zone), loaded once per run."""
        if self._links is None:
            nodes = self._stated_nodes(ctx)
            self._links = (nodes, self._reserve_zones(ctx) if nodes else {})
        return self._links

    def _stated_nodes(self, ctx: FetchContext) -> dict[tuple[str, str], str]:
        try:
            data, year = eia.load_eia860_annual(ctx, timeutil.market_date_of(ctx.now))
            nodes = parse_eia860_nodes(data)
        except (MisoHttpError, PayloadError) as exc:
            self.logger.warning("%s: no annual EIA-860 node designations (%s); lmp_node is "
                                "null", self.name, exc)
            return {}
        self.logger.info("%s: %d units state a pricing node in EIA-860 %d", self.name,
                         len(nodes), year)
        return nodes

    def _reserve_zones(self, ctx: FetchContext) -> dict[str, int]:
        """node -> reserve zone from the newest ``cpnode_reszone.xlsx`` of the last week."""
        if MARKET_REPORT not in self._miso_tap.settings.source_preference:
            return {}
        today = timeutil.market_date_of(ctx.now)
        for back in range(8):
            try:
                data = mr.load_report(ctx, today - timedelta(days=back), "cpnode_reszone.xlsx")
                return {r["node"]: r["reserve_zone"] for r in parse_cpnode_reszone_xlsx(data)
                        if r["node"] and not r["_invalid"]}
            except NoDataError:
                continue
            except (MisoHttpError, PayloadError) as exc:
                self.logger.warning("%s: reserve zones unavailable (%s)", self.name, exc)
                return {}
        self.logger.warning("%s: no cpnode_reszone.xlsx in the week up to %s", self.name, today)
        return {}


def _unit_order(unit: tuple[str, str]) -> tuple[int, str, str]:
    plant, generator = unit
    return (int(plant) if plant.isdigit() else -1, plant, generator)


def _hash(record: dict) -> str:
    return hashlib.sha256(orjson.dumps([record[n] for n in BUSINESS_FIELDS])).hexdigest()


STREAMS = (GeneratorsStream,)
