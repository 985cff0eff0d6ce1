"""Build ``observed.csv`` of the world instance (2024 and 2025) from the published figures listed here.

Run ``python instances/world/build_observed.py`` (``--check`` compares instead of writing). Every row
carries its source, confidence code (SOURCES.md), tolerance and role:

* ``calibration``: the data were chosen to reproduce it (a 2024 floor or cap on activity, a trade
  capacity set to the figure, a demand curve's reference price), or an input equals it (a capacity
  held at a figure that the observation repeats), so the model meets it by construction and the row
  shows at most that a bound binds;
* ``validation``: no input was set from it or equals it; the model's figure is emergent.

Units: t REO (activity of mines = t REO mined; of separation = t REO of mixed feed in, from the
reported oxide output divided by the recipe's coefficient), prices in USD per t of oxide.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "kind",
    "process",
    "region",
    "commodity",
    "origin",
    "destination",
    "period",
    "value",
    "x_role",
    "x_tolerance",
    "x_source",
]

MCS = "USGS MCS 2026 Rare Earths, world mine production (A)"
BOUND = "the capacity equals this figure: the row shows only that the cap binds (calibration, not a test)"
QUOTA = "MIIT quota 2024 (H1 x2) split by feed, Fastmarkets/Project Blue (B); USGS 2024 and 2025e 270,000 (A)"
# The US 2025 row is pinned by a floor (processes.csv min_activity), not by its capacity
MCS_2025 = {
    "US": MCS + "; 2025 floor at 95% (MP kept mining and stockpiled concentrate after April 2025: MP statement, B)"
}
# USGS's oxide prices are free on board China (MCS 2026 Yttrium fn 6, "Free on board China. Source:
# Argus"), and in 2025 FOB China tracked the price inside China (VAT-inclusive quotes at ~7.2 CNY/$:
# Tb 6,739 CNY/kg, ~940 $/kg, against FOB 1,010; Dy ~1,600 CNY/kg, ~225 $/kg, against 239) while the
# export licences' scarcity showed in the price outside China (Rotterdam Dy 700-1,100 $/kg): the
# backcast sets them beside the marginal value in China (SOURCES.md §14, change 8, which undoes
# change 6's reading)
PRICE = "USGS MCS 2026 salient statistics, Argus/Asian Metal FOB China annual mean (A); read as the price in China"

# NdPr oxide per t of mixed feed in the separation recipes (process_io.csv)
NDPR_PER_FEED = {"mountain_pass": 0.151126, "mount_weld": 0.221233, "monazite": 0.247343}


def _mine(process: str, region: str, year: int, value: float, role: str, source: str = MCS) -> dict:
    return {"kind": "activity", "process": process, "region": region, "period": year, "value": value,
            "x_role": role, "x_source": source}  # fmt: skip


def _plant(feed: str, region: str, year: int, ndpr: float, role: str, source: str, tol: float | None = None) -> dict:
    row = _mine(f"separation_{feed}", region, year, round(ndpr / NDPR_PER_FEED[feed], 1), role, source)
    row["x_tolerance"] = tol
    return row


def _trade(commodity: str, origin: str, year: int, value: float, role: str, source: str) -> dict:
    return {"kind": "trade", "commodity": commodity, "origin": origin, "destination": "CN", "period": year,
            "value": value, "x_role": role, "x_source": source}  # fmt: skip


def _price(commodity: str, year: int, usd_per_kg: float, role: str) -> dict:
    return {"kind": "price", "region": "CN", "commodity": commodity, "period": year,
            "value": usd_per_kg * 1000, "x_role": role, "x_source": PRICE}  # fmt: skip


def observations() -> list[dict]:
    rows: list[dict] = []
    # Production by country. 2024 is the calibration year: floors at 95% of the figure (processes.csv
    # min_activity). 2025: the capacities of MM, BR, TH, MG, MY, VN were set to the 2025e figures and
    # bind (inputs, so calibration); the US mine has a 2025 floor as well, because a capacity alone did
    # not pin it (MP mined and stockpiled concentrate it could neither sell to China nor separate);
    # China's quota is held at the 2024 level, which USGS's 2025e repeats: its use shows only that the
    # quota binds, so 2025 is no test either.
    china = {"bayan_obo": 189160, "sichuan": 60560, "ionic_light": 10140, "ionic_heavy": 10140}
    for year in (2024, 2025):
        for feed, value in china.items():
            source = QUOTA if year == 2024 else QUOTA + "; " + BOUND
            rows.append(_mine(f"mining_{feed}", "CN", year, value, "calibration", source))
    mines = {
        ("mining_mountain_pass", "US"): (45500, 51000),
        ("mining_mount_weld", "AU"): (29000, 29000),
        ("mining_ionic_medium", "MM"): (27000, 22000),
        ("mining_serra_verde", "BR"): (560, 2000),
        ("mining_monazite", "IN"): (2900, 2900),
        ("mining_monazite", "MG"): (1400, 2700),
        ("mining_monazite", "MY"): (140, 110),
        ("mining_monazite", "NG"): (1500, 1500),
        ("mining_monazite", "TH"): (2100, 4800),
        ("mining_loparite", "RU"): (2600, 2600),
        ("mining_sichuan", "VN"): (300, 150),
    }
    for (process, region), (v2024, v2025) in mines.items():
        rows.append(_mine(process, region, 2024, v2024, "calibration"))
        # Australia's, India's, Nigeria's and Russia's 2025 capacities are the 2024 figures held flat,
        # which USGS's 2025e repeats: the model meets them when the cap binds, so they test nothing
        source = MCS_2025.get(region, MCS)
        held = region in ("AU", "IN", "NG", "RU")
        rows.append(_mine(process, region, 2025, v2025, "calibration", source + "; " + BOUND if held else source))
    # Named plants outside China (NdPr oxide reported, converted to feed).
    mp = "MP Materials FY2024/FY2025: NdPr oxide 1,294 t / 2,599 t (MP release; investingnews.com 26 Feb 2026, B)"
    rows.append(_plant("mountain_pass", "US", 2024, 1294, "calibration", mp))
    rows.append(_plant("mountain_pass", "US", 2025, 2599, "calibration", mp + "; 2025 capacity set from it"))
    lynas = "Lynas NdPr FY24 5,655 t, FY25 6,558 t (brief s7, B); calendar 2024 = mean of FY24 and FY25 (D)"
    rows.append(_plant("mount_weld", "MY", 2024, 6106.5, "calibration", lynas))
    rows.append(_plant("mount_weld", "MY", 2025, 6558, "validation", lynas + "; 2025 = FY25 (C)", 0.20))
    ef = "Energy Fuels White Mesa: 25-35 t NdPr in its 2024 campaign (Metalnomist Aug 2024; mining.com Jun 2024, B)"
    rows.append(_plant("monazite", "US", 2024, 30, "calibration", ef, 0.25))
    # Magnet plants outside China (t REO in magnets) ran in 2024; one magnet commodity made at China's
    # lower cost closes them all (Japan's making costs ~29,600 $/t REO more), so the calibration year
    # carries floors at 95 % of these figures: inputs, not tests. 2025 is free, as for every plant: a
    # floor there would make the ban scenarios (no Dy or Tb leaves China from 2025) infeasible.
    magnets = {
        "JP": "Japan NdFeB alloy production 12,400 t in 2020 (Adamas Intelligence, B) x 0.362 t REO per t, "
        "held for 2024 (D)",
        "VN": "Shin-Etsu Vietnam 2,200 t/yr of magnets (couragemagnet, C) x 0.36, run at capacity (D)",
        "EU": "VAC Hanau ~1,300 t/yr of magnets (PLACEHOLDER, C) x 0.36 = the 2024 capacity; "
        "Neo Narva (Sep 2025) not floored",
    }
    for region, value in {"JP": 4489, "VN": 793, "EU": 466}.items():
        rows.append(_mine("magnet_ndfeb", region, 2024, value, "calibration", magnets[region]))
    # China's imports by origin (t REO). MP's shipments are trade capacities (inputs).
    us_exports = "US exports of ores and compounds (MCS 2026, A); capacity of the link set from it"
    rows.append(_trade("conc_mountain_pass", "US", 2024, 37500, "calibration", us_exports))
    rows.append(_trade("conc_mountain_pass", "US", 2025, 14000, "calibration", us_exports))
    # The tonnage is the exporter's output (an input); where it goes is the model's choice (the trade rows
    # let every exporter sell to any separator): these rows test the destination, not the tonnage.
    to_china = "; the tonnage is the exporter's output (an input), the row tests that China buys it"
    mm = "Myanmar's output, which USGS estimates from China's imports (MCS 2026 fn 12, A): all of it to China"
    # Myanmar's clay can go only to China (SOURCES §15 change 3) and its mine is calibrated, so this row
    # repeats the mine's output, not a choice of the model: calibration.
    mm_only = "; Myanmar sells only to China (trade.csv, SOURCES s15) and its mine is calibrated: the row repeats it"
    rows.append(_trade("mixed_ionic_medium", "MM", 2024, 27000, "calibration", mm + mm_only))
    rows.append(_trade("mixed_ionic_medium", "MM", 2025, 22000, "calibration", mm + mm_only))
    monazite = "MCS 2026 output of the exporter (A), all to China (monazite imports MG 55%, NG 25%, TH 13%: giti.sg, B)"
    for region, (v2024, v2025) in {"MG": (1400, 2700), "NG": (1500, 1500), "TH": (2100, 4800)}.items():
        rows.append(_trade("conc_monazite", region, 2024, v2024, "validation", monazite + to_china))
        rows.append(_trade("conc_monazite", region, 2025, v2025, "validation", monazite + to_china))
    ndpr_in = "NdPr shipped into China 2024 by China's import records (The Rare Earth Observer, Substack, C)"
    rows.append({**_trade("NdPr_oxide", "MY", 2024, 3261, "validation", ndpr_in), "x_tolerance": 0.5})
    # Oxide prices in China: 2024 is each demand curve's reference price (calibration); 2025 is emergent.
    prices = {"NdPr_oxide": (55, 69), "Dy2O3": (257, 239), "Tb4O7": (812, 1010), "Y2O3": (6, 9)}
    for commodity, (p2024, p2025) in prices.items():
        rows.append(_price(commodity, 2024, p2024, "calibration"))
        rows.append(_price(commodity, 2025, p2025, "validation"))
    return rows


def render() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    for row in observations():
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    target = HERE / "observed.csv"
    text = render()
    if "--check" in argv:
        same = target.exists() and target.read_text() == text
        print("observed.csv is up to date" if same else "observed.csv differs from build_observed.py")
        return 0 if same else 1
    target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
