"""Column layout of the reference CSV files, and how record values are written into them.

Each table has key columns, *attribute* columns (a difference is a real change: the row is
updated and ``updated_at`` moves), *observed* columns (refreshed whenever the row is seen, never
counted as a change) and the bookkeeping columns. Provenance and volatile fields of the stream
(``source``, ``record_hash``, ``_sdc_*``, extraction times, ``last_seen`` market dates...) are
not columns, so a re-extraction of unchanged data changes nothing but ``last_seen``.
"""

from __future__ import annotations

from dataclasses import dataclass

BOOKKEEPING = ("first_seen", "last_seen", "updated_at", "present", "removed_at")
#: Stream fields that are never columns and never worth a warning.
PROVENANCE = frozenset({
    "source", "source_url", "source_file", "record_hash", "quality_flags", "extracted_at",
    "retrieved_at", "fetched_at", "ingested_at", "loaded_at",
})  # fmt: skip


@dataclass(frozen=True)
class TableSpec:
    """One reference CSV: which stream feeds it and its explicit column list."""

    stream: str
    key: tuple[str, ...]
    attributes: tuple[str, ...]
    observed: tuple[str, ...] = ()
    ignored: frozenset[str] = frozenset()  # stream fields deliberately left out

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.attributes + self.observed + BOOKKEEPING

    def is_known_field(self, field: str) -> bool:
        """True for fields that are columns or deliberately not (no warning needed)."""
        return (field in self.columns or field in self.ignored or field in PROVENANCE
                or field.startswith("_sdc_"))


NODES = TableSpec(
    stream="nodes",
    key=("node",),
    attributes=("node_type", "is_trading_hub", "reserve_zone", "first_model_date",
                "retired_model_date"),
    # first_seen/last_seen/model_date/retired of the stream: the tap's market dates change on
    # every run and presence is the ``present``/``removed_at`` bookkeeping.
    ignored=frozenset({"first_seen", "last_seen", "model_date", "retired"}),
)

GENERATORS = TableSpec(
    stream="generators",
    key=("plant_id", "generator_id"),
    attributes=(
        "plant_name", "operator_id", "operator_name", "state", "county", "latitude",
        "longitude", "technology", "energy_source_code", "prime_mover_code", "status",
        "status_category", "nameplate_capacity_mw", "net_summer_capacity_mw",
        "net_winter_capacity_mw", "operating_year_month", "planned_retirement_year_month",
        "retirement_year_month",
        "planned_derate_year_month", "planned_derate_summer_cap_mw",
        "planned_uprate_year_month", "planned_uprate_summer_cap_mw",
        "balancing_authority_code", "lmp_node", "reserve_zone",
    ),
    observed=("period",),  # the newest EIA-860M month the unit was listed in
)

TABLES = {spec.stream: spec for spec in (NODES, GENERATORS)}


def cell(value: object) -> str:
    """CSV text of a record value: '' for null, true/false, numbers without float noise
    (``100.0`` and ``100`` both give ``100``), strings unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | str):
        return str(value)
    raise ValueError(f"value {value!r} is not a scalar")


def sort_key(key: tuple[str, ...]) -> tuple:
    """Row order: by key, numeric parts numerically (plant 9 before plant 10)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in key)
