"""MR CSV parsers: hourly LMP, ancillary MCP, weekly 5-minute LMP zip (FORMATS §4.2, §4.3)."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import date, datetime

import pytest

from tap_miso.parsers import PayloadError, parse_5min_lmp_zip, parse_asm_csv, parse_lmp_csv

from .builders import DISCLAIMER, HE_HEADER, asm_csv, five_min_labels, five_min_zip, lmp_csv


def he(values: dict[int, str], default: str) -> list[str]:
    return [values.get(h, default) for h in range(1, 25)]


HUB_LMP = he({2: "22.00", 3: '"1,234.50"'}, "20.00")  # quoted, as CSV requires
HUB_MCC = he({2: ".92"}, "1.00")
HUB_MLC = he({2: "-.03"}, ".30")
GEN_LMP = he({5: "abc", 6: "", 7: "None", 8: "#N/A"}, "30.00")

BY_NODE = [
    ("EXAMPLE.HUB", "Hub", "LMP", HUB_LMP),
    ("EXAMPLE.HUB", "Hub", "MCC", HUB_MCC),
    ("EXAMPLE.HUB", "Hub", "MLC", HUB_MLC),
    ("NODE.GEN1", "Gennode", "LMP", GEN_LMP),  # no MCC/MLC rows at all
]
BY_VALUE = [BY_NODE[3], BY_NODE[0], BY_NODE[2], BY_NODE[1]]


class TestLmpCsv:
    def test_happy_path_exact_rows(self):
        rows = list(parse_lmp_csv(lmp_csv("07/14/2026", BY_NODE)))
        assert len(rows) == 48
        assert [(r["hour_ending"], r["node"]) for r in rows[:4]] == [
            (1, "EXAMPLE.HUB"), (1, "NODE.GEN1"), (2, "EXAMPLE.HUB"), (2, "NODE.GEN1"),
        ]
        assert rows[2] == {
            "market_date": date(2026, 7, 14),
            "node": "EXAMPLE.HUB",
            "node_type": "Hub",
            "hour_ending": 2,
            "lmp": 22.0,
            "mcc": 0.92,
            "mlc": -0.03,
            "_invalid": [],
        }
        assert rows[4]["lmp"] == 1234.5  # thousands comma (§7.18)

    def test_missing_mcc_mlc_rows_are_none_not_zero(self):
        rows = list(parse_lmp_csv(lmp_csv("07/14/2026", BY_NODE)))
        gen = [r for r in rows if r["node"] == "NODE.GEN1"]
        assert len(gen) == 24
        assert all(r["mcc"] is None and r["mlc"] is None for r in gen)
        assert gen[0]["lmp"] == 30.0 and gen[0]["node_type"] == "Gennode"

    def test_bad_cell_kept_flagged_and_null_set(self):
        rows = {r["hour_ending"]: r for r in parse_lmp_csv(lmp_csv("07/14/2026", BY_NODE))
                if r["node"] == "NODE.GEN1"}
        assert rows[5]["lmp"] is None and rows[5]["_invalid"] == ["lmp"]
        assert rows[8]["lmp"] is None and rows[8]["_invalid"] == ["lmp"]  # "#N/A"
        for hour in (6, 7):  # "" and "None" are nulls, not invalid
            assert rows[hour]["lmp"] is None and rows[hour]["_invalid"] == []

    def test_row_order_independent(self):
        by_node = list(parse_lmp_csv(lmp_csv("07/14/2026", BY_NODE)))
        by_value = list(parse_lmp_csv(lmp_csv("07/14/2026", BY_VALUE)))
        assert by_node == by_value

    def test_disclaimer_and_repeated_header_dropped(self):
        rows = [*BY_NODE[:2], ("Node", "Type", "Value", [f"HE {h}" for h in range(1, 25)])]
        parsed = list(parse_lmp_csv(lmp_csv("07/14/2026", rows)))
        assert {r["node"] for r in parsed} == {"EXAMPLE.HUB"}
        assert DISCLAIMER.split()[0] not in {r["node"].split()[0] for r in parsed}

    def test_crlf_and_rt_title(self):
        data = lmp_csv("07/14/2026", BY_NODE, title="Realtime Market LMPs").replace(b"\n", b"\r\n")
        assert list(parse_lmp_csv(data)) == list(parse_lmp_csv(lmp_csv("07/14/2026", BY_NODE)))

    @pytest.mark.parametrize("day", ["03/09/2025", "11/02/2025", "03/08/2026", "11/01/2026"])
    def test_dst_days_have_24_hours(self, day):
        rows = list(parse_lmp_csv(lmp_csv(day, BY_NODE)))
        hours = sorted({r["hour_ending"] for r in rows})
        assert hours == list(range(1, 25))
        assert all(not r["_invalid"] or r["node"] == "NODE.GEN1" for r in rows)

    def test_missing_required_column_named(self):
        header = f"Node,Value,{HE_HEADER}"
        rows = [(node, value, cells[0], cells[1:]) for node, _type, value, cells in BY_NODE]
        with pytest.raises(PayloadError) as info:
            parse_lmp_csv(lmp_csv("07/14/2026", rows, header=header))
        assert info.value.missing_columns == ["Type"]

    def test_missing_he_column_named(self):
        header = "Node,Type,Value," + ",".join(f"HE {h}" for h in range(1, 24))
        with pytest.raises(PayloadError) as info:
            parse_lmp_csv(lmp_csv("07/14/2026", BY_NODE, header=header))
        assert info.value.missing_columns == ["HE 24"]

    def test_extra_column_reported_once(self):
        header = f"Node,Type,Value,{HE_HEADER},Extra"
        seen = []
        rows = [(n, t, v, [*c, "x"]) for n, t, v, c in BY_NODE]
        parsed = list(parse_lmp_csv(lmp_csv("07/14/2026", rows, header=header),
                                    on_unexpected_columns=seen.append))
        assert seen == [["Extra"]]
        assert len(parsed) == 48

    def test_he_outside_range_kept_and_flagged(self):
        header = f"Node,Type,Value,{HE_HEADER},HE 25"
        rows = [(n, t, v, [*c, "9.00"]) for n, t, v, c in BY_NODE[:1]]
        seen = []
        parsed = list(parse_lmp_csv(lmp_csv("07/14/2026", rows, header=header),
                                    on_unexpected_columns=seen.append))
        assert seen == [["HE 25"]]
        assert parsed[-1]["hour_ending"] == 25 and parsed[-1]["_invalid"] == ["hour_ending"]
        assert parsed[-1]["lmp"] == 9.0

    def test_quarterly_archive_layout(self):
        header = "MARKET_DAY,NODE,TYPE,VALUE," + ",".join(f"HE{h}" for h in range(1, 25))
        lines = [header] + [
            ",".join([day, "EXAMPLE.HUB", "Hub", "LMP", *[f'"1,00{h % 10}.00"' for h in
                                                        range(1, 25)]])
            for day in ("07/02/2024", "07/01/2024")
        ]
        rows = list(parse_lmp_csv(("\n".join(lines) + "\n").encode()))
        assert len(rows) == 48
        assert rows[0]["market_date"] == date(2024, 7, 1) and rows[0]["lmp"] == 1001.0

    def test_market_date_fallback_when_preamble_lacks_it(self):
        data = lmp_csv("Market Prices", BY_NODE)
        with pytest.raises(PayloadError, match="market date"):
            parse_lmp_csv(data)
        rows = list(parse_lmp_csv(data, market_date=date(2026, 7, 14)))
        assert rows[0]["market_date"] == date(2026, 7, 14)


MISO_WIDE = [("DEMREGMCP", he({1: "9.00"}, "8.00")), ("GENREGMCP", he({2: ".50"}, "7.00"))]
PNODES = [
    ("NODE.A", "Zone 1", "GENREGMCP", he({}, "5.00")),
    ("NODE.B", "Zone 1", "GENREGMCP", he({}, "5.00")),  # same zone prices: deduped
    ("NODE.C", "Zone 2", "GENSPINMCP", he({3: "abc"}, "1.00")),
    ("NODE.D", "Zone 2", "GENSPINMCP", he({4: "1.10"}, "1.00")),  # disagrees at HE 4
    ("NODE.E", "Zone 3", "STRMCP", he({}, "-.03")),  # unverified code passes through
]


class TestAsmCsv:
    def test_da_happy_path(self):
        rows = list(parse_asm_csv(asm_csv("07/14/2026", MISO_WIDE, PNODES)))
        assert len(rows) == 24 * 5
        assert rows[:5] == [
            {"zone": None, "mcp_type": "DEMREGMCP", "hour_ending": 1, "mcp": 9.0,
             "_invalid": [], "_conflicts": 0, "market_date": date(2026, 7, 14)},
            {"zone": None, "mcp_type": "GENREGMCP", "hour_ending": 1, "mcp": 7.0,
             "_invalid": [], "_conflicts": 0, "market_date": date(2026, 7, 14)},
            {"zone": 1, "mcp_type": "GENREGMCP", "hour_ending": 1, "mcp": 5.0,
             "_invalid": [], "_conflicts": 0, "market_date": date(2026, 7, 14)},
            {"zone": 2, "mcp_type": "GENSPINMCP", "hour_ending": 1, "mcp": 1.0,
             "_invalid": [], "_conflicts": 0, "market_date": date(2026, 7, 14)},
            {"zone": 3, "mcp_type": "STRMCP", "hour_ending": 1, "mcp": -0.03,
             "_invalid": [], "_conflicts": 0, "market_date": date(2026, 7, 14)},
        ]

    def test_dedupe_conflicts_and_bad_cell(self):
        rows = {(r["zone"], r["mcp_type"], r["hour_ending"]): r
                for r in parse_asm_csv(asm_csv("07/14/2026", MISO_WIDE, PNODES))}
        assert rows[(None, "GENREGMCP", 2)]["mcp"] == 0.5
        bad = rows[(2, "GENSPINMCP", 3)]  # first pnode had "abc", second 1.00: first kept
        assert bad["mcp"] is None and bad["_invalid"] == ["mcp"] and bad["_conflicts"] == 1
        differ = rows[(2, "GENSPINMCP", 4)]
        assert differ["mcp"] == 1.0 and differ["_conflicts"] == 1
        assert rows[(1, "GENREGMCP", 4)]["_conflicts"] == 0

    def test_rt_crlf_four_blocks_same_rows(self):
        rt = asm_csv("07/14/2026", MISO_WIDE, PNODES, realtime=True)
        assert b"\r\n" in rt
        assert list(parse_asm_csv(rt)) == list(parse_asm_csv(asm_csv("07/14/2026", MISO_WIDE,
                                                                      PNODES)))

    def test_missing_pnode_table(self):
        data = asm_csv("07/14/2026", MISO_WIDE, PNODES)
        cut = data[: data.index(b"Pnode,Zone")]
        with pytest.raises(PayloadError) as info:
            parse_asm_csv(cut)
        assert info.value.missing_columns == ["Pnode"]

    def test_missing_zone_column(self):
        data = asm_csv("07/14/2026", MISO_WIDE, PNODES).replace(b"Pnode,Zone,", b"Pnode,Area,")
        with pytest.raises(PayloadError) as info:
            parse_asm_csv(data)
        assert info.value.missing_columns == ["Zone"]

    @pytest.mark.parametrize("day", ["03/09/2025", "11/02/2025"])
    def test_dst_days(self, day):
        rows = list(parse_asm_csv(asm_csv(day, MISO_WIDE, PNODES)))
        assert sorted({r["hour_ending"] for r in rows}) == list(range(1, 25))


def zip_rows(day: date, nodes=("NODE.B", "NODE.A")):
    for label in five_min_labels(day):
        for index, node in enumerate(nodes):
            yield (label.strftime("%m/%d/%Y %H:%M"), node, f"{25 + index}.00", ".92", "-.03")


class TestFiveMinLmpZip:
    def test_happy_path_and_dst_288_labels(self):
        rows = list(parse_5min_lmp_zip(io.BytesIO(five_min_zip(zip_rows(date(2025, 3, 9))))))
        assert len(rows) == 576
        assert rows[0] == {
            "label": datetime(2025, 3, 9, 0, 0),
            "raw_label": "03/09/2025 00:00",
            "node": "NODE.A",  # sorted by node within the interval
            "lmp": 26.0,
            "mcc": 0.92,
            "mlc": -0.03,
            "_invalid": [],
        }
        for node in ("NODE.A", "NODE.B"):
            labels = [r["label"] for r in rows if r["node"] == node]
            assert len(set(labels)) == 288
            assert labels[-1] == datetime(2025, 3, 9, 23, 55)

    def test_fall_dst(self):
        rows = list(parse_5min_lmp_zip(five_min_zip(zip_rows(date(2025, 11, 2), ("N",)))))
        assert len({r["label"] for r in rows}) == 288

    def test_mlc_lmp_column_and_bad_cell(self):
        data = five_min_zip(
            [("07/06/2026 00:00", "N1", "abc", '"1,000.5"', "")],
            header="MKTHOUR_EST,PNODENAME,LMP,CON_LMP,MLC_LMP",
        )
        assert list(parse_5min_lmp_zip(data)) == [
            {"label": datetime(2026, 7, 6), "raw_label": "07/06/2026 00:00", "node": "N1",
             "lmp": None, "mcc": 1000.5, "mlc": None, "_invalid": ["lmp"]}
        ]

    def test_missing_column_and_extra_column(self):
        with pytest.raises(PayloadError) as info:
            parse_5min_lmp_zip(five_min_zip([], header="MKTHOUR_EST,PNODENAME,LMP,CON_LMP"))
        assert info.value.missing_columns == ["LOSS_LMP"]
        seen = []
        data = five_min_zip([("07/06/2026 00:05", "N", "1", "2", "3", "x")],
                            header="MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP,ENERGY")
        assert len(list(parse_5min_lmp_zip(data, on_unexpected_columns=seen.append))) == 1
        assert seen == [["ENERGY"]]

    def test_out_of_order_labels_yielded_as_is(self, caplog):
        data = five_min_zip([
            ("07/06/2026 00:05", "B", "1", "0", "0"),
            ("07/06/2026 00:05", "A", "2", "0", "0"),
            ("07/06/2026 00:00", "A", "3", "0", "0"),
        ])
        with caplog.at_level(logging.WARNING):
            rows = list(parse_5min_lmp_zip(data))
        assert [(r["label"].minute, r["node"]) for r in rows] == [(5, "A"), (5, "B"), (0, "A")]
        assert "not in ascending order" in caplog.text

    def test_truncated_zip(self):
        data = five_min_zip(zip_rows(date(2025, 3, 9)))
        with pytest.raises(PayloadError):
            list(parse_5min_lmp_zip(io.BytesIO(data[: len(data) // 2])))

    def test_corrupt_member_raises_payload_error_while_iterating(self):
        data = bytearray(five_min_zip(zip_rows(date(2025, 3, 9))))
        start = 30 + len("20250309_5MIN_LMP.csv") + 200
        data[start : start + 200] = bytes(200)
        with pytest.raises(PayloadError):
            list(parse_5min_lmp_zip(io.BytesIO(bytes(data))))

    def test_empty_zip(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w"):
            pass
        with pytest.raises(PayloadError, match="no members"):
            parse_5min_lmp_zip(buffer.getvalue())
