"""Pure parsers: MISO payload bytes (or binary file objects) → row dicts.

Row contract: docs/INTERNALS.md. Format reference: FORMATS.md (§1 time, §2 DX, §3 Public API,
§4 Market Reports). Modules by format family: `csv_reports`, `five_min_zip`, `excel_reports`,
`json_feeds` (re-exporting `dx_records` and `public_feeds`); shared helpers: `cells` (numbers,
nulls, time labels), `anchors` (header location), `rows` (row building, ordering),
`json_stream` (whole and incremental JSON), `errors`.

Conventions shared by all parsers:
- Non-streamed parsers parse eagerly and return an iterator over sorted rows, so a bad payload
  raises `PayloadError` at call time. Streamed parsers (`parse_5min_lmp_zip`,
  `parse_5min_exante_lmp_xlsx`, `parse_public_five_min_expost`) check the header at call time
  and raise body errors while iterating.
- Market Report rows whose key fields do not parse (repeated headers, day labels, footers) are
  skipped; JSON records are never skipped (a bad key is ``None`` and flagged in ``_invalid``).
- An out-of-range hour ending (or reserve zone) is kept as parsed and flagged in ``_invalid``.
"""

from .csv_reports import parse_asm_csv, parse_lmp_csv
from .errors import PayloadError
from .excel_reports import (
    parse_5min_exante_lmp_xlsx,
    parse_cpnode_reszone_xlsx,
    parse_df_al_xls,
    parse_mom_xlsx,
    parse_rf_al_xls,
    parse_sr_gfm_xlsx,
    parse_sr_nd_is_xls,
)
from .five_min_zip import parse_5min_lmp_zip
from .json_feeds import (
    DxPage,
    DxTime,
    dx_time,
    parse_dx_demand_records,
    parse_dx_fuel_type_records,
    parse_dx_interchange_records,
    parse_dx_lmp_records,
    parse_dx_load_forecast_records,
    parse_dx_load_records,
    parse_dx_mcp_records,
    parse_dx_page,
    parse_dx_pnode_records,
    parse_public_asm_mcp,
    parse_public_exante_lmp,
    parse_public_five_min_expost,
    parse_public_fuel_mix,
    parse_public_nai_five_minute,
    parse_public_nai_imports,
    parse_public_nsi_five_minute,
    parse_public_wind_solar_forecast,
    parse_refid,
)

__all__ = [
    "DxPage",
    "DxTime",
    "PayloadError",
    "dx_time",
    "parse_5min_exante_lmp_xlsx",
    "parse_5min_lmp_zip",
    "parse_asm_csv",
    "parse_cpnode_reszone_xlsx",
    "parse_df_al_xls",
    "parse_dx_demand_records",
    "parse_dx_fuel_type_records",
    "parse_dx_interchange_records",
    "parse_dx_lmp_records",
    "parse_dx_load_forecast_records",
    "parse_dx_load_records",
    "parse_dx_mcp_records",
    "parse_dx_page",
    "parse_dx_pnode_records",
    "parse_lmp_csv",
    "parse_mom_xlsx",
    "parse_public_asm_mcp",
    "parse_public_exante_lmp",
    "parse_public_five_min_expost",
    "parse_public_fuel_mix",
    "parse_public_nai_five_minute",
    "parse_public_nai_imports",
    "parse_public_nsi_five_minute",
    "parse_public_wind_solar_forecast",
    "parse_refid",
    "parse_rf_al_xls",
    "parse_sr_gfm_xlsx",
    "parse_sr_nd_is_xls",
]
