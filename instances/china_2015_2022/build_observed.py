"""Build ``observed.csv`` (and the quantities and magnet prices of ``demand.csv``) of china_2015_2022.

Run ``python instances/china_2015_2022/build_observed.py [--out FOLDER]`` (``--check`` compares with
the shipped files instead of writing; ``--reo-per-t-magnet 0.31`` uses the instance's former magnet
conversion). One deterministic mass balance per year, SOURCES.md §4-§8 and
§12: every figure typed below is a published number or a stated assumption, named in the row's
``x_source``; every other flow follows from them through the recipes of ``process_io.csv``.

* mining at the quotas in China (§5) and at the USGS production abroad (§6, REO in concentrate, so
  mining = figure / R_B; Myanmar and Laos: in the mixed product shipped, / (R_B R_C)); beneficiation,
  cracking and separation pass everything on (recoveries §4);
* imports and exports as in §6-§7 (customs totals x element and destination splits); magnets in t
  REO at **1 t magnet = 0.31 t RE metal = 0.3615 t REO**, the world instance's convention;
* downstream in China as in §8: mischmetal and hydrogen-storage alloy; NdPr/Dy/Tb metals from 99.5 %
  of each oxide, magnets at 99.5 % of what the scarcest of those metals allows; metals made 0.1 t above
  their users' needs; phosphors at 95 % of the Eu/Tb/Gd/Y limit; other uses and polishing powder
  (= catalysts) solved for the La and Ce left, polishing and catalysts at 99.5 % of it; what is left
  is disposed (stockpiled);
* deliveries abroad = what arrives; in China = output - exports.

Every consumption and shipment is rounded down to 1 kg, so every node balance holds.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEARS = list(range(2015, 2023))
COLUMNS = ["kind", "process", "region", "commodity", "origin", "destination", "period", "value", "x_source"]

# --- units and recoveries (SOURCES.md §1, §4) ---
REO_PER_T_MAGNET = 0.3615  # 0.31 t RE metal x 1.166 (oxide/metal), as instances/world/SOURCES.md
R_B, R_C, R_S = 0.88, 0.955, 0.9375  # CALIBRATED (§4); the recipes in process_io.csv carry them

# --- China's mining quotas, t REO mined (§5) ---
QUOTA = "MIIT/MNR mining quota (USGS MYB 2022 T8 A; MNR/MIIT via Reuters/SMM B; split ASSUMED, SOURCES.md §5)"
ROCK = dict(zip(YEARS, [87100, 87100, 87100, 100850, 112850, 120850, 148850, 190850], strict=True))
IONIC = dict(zip(YEARS, [17900, 17900, 17900, 19150, 19150, 19150, 19150, 19150], strict=True))
BAYAN_OBO_SHARE = 0.627  # Northern RE share of the H1-2020 light quota (Argus, B); ASSUMED every year
IONIC_LIGHT_SHARE = 0.5  # ASSUMED, no source

# --- production abroad, t REO in concentrate (§6) ---
MYB = "USGS MYB 2022 T1/T8 (A)"
FOREIGN = {  # (process suffix, region): (series, source)
    ("mountain_pass", "US"): ([5900, 0, 0, 14000, 28000, 39000, 42400, 42500], "USGS DS140 2015-2017, " + MYB),
    ("monazite", "TH"): ([1000, 1000, 1000, 1000, 1900, 3600, 8200, 7100], MYB + "; 2015-2017 = 2018 ASSUMED"),
    ("monazite", "MG"): ([2000, 2000, 2000, 2000, 4000, 5000, 6000, 960], MYB + "; 2015-2017 = 2018 ASSUMED"),
    ("monazite", "VN"): ([920, 920, 920, 920, 1300, 690, 440, 1200], MYB + "; 2015-2017 = 2018 ASSUMED"),
    ("monazite", "MY"): ([990, 990, 990, 990, 66, 100, 60, 80], MYB + "; 2015-2017 = 2018 ASSUMED"),
    ("monazite", "NG"): ([0, 0, 0, 500, 1000, 2000, 4000, 6000], "PLACEHOLDER (C), bounded by China's customs"),
    ("monazite", "RoW"): ([12610, 13100, 13600, 0, 0, 0, 0, 0], "unidentified origins, CALIBRATED to 3.3x"),
    ("ionic_medium", "MM"): ([1330, 3000, 8000, 23000, 29000, 35500, 34700, 12000], MYB + "; 2015-2017 CALIBRATED"),
    ("ionic_medium", "LA"): ([0, 0, 0, 0, 0, 0, 1000, 2000], "PLACEHOLDER (C), giti.sg 2023 customs shares"),
    ("mount_weld", "AU"): ([11000, 14000, 19000, 21000, 20000, 20000, 24000, 18000], MYB + "; 2015-2017 ASSUMED"),
}
# Mountain Pass separated its own concentrate in 2015 (USGS MCS 2016, B) and shipped it to China after.
MP_TO_CHINA_FROM = 2018
# Myanmar and Laos ship the mixed product, cracked at home (§6); Mount Weld is cracked in Malaysia.

# --- China's exports (§7) ---
CUSTOMS = "China customs via Reuters/Adamas/SMM (B; gaps D/C, SOURCES.md §7); split ASSUMED (C)"
OXIDES_METALS = dict(zip(YEARS, [32500, 46700, 51200, 53224, 46330, 35450, 48918, 48728], strict=True))
METAL_SHARE = 0.20
OXIDE_SPLIT = {"La2O3": 0.36, "CeO2": 0.46, "Y2O3": 0.07, "NdPr_oxide": 0.03, "Sm2O3": 0.03, "Gd2O3": 0.02,
               "Er2O3": 0.01, "TmYbLu_oxides": 0.01, "Eu2O3": 0.004, "Ho2O3": 0.003, "Dy2O3": 0.002,
               "Tb4O7": 0.001}  # fmt: skip
METAL_SPLIT = {"mischmetal": 0.70, "NdPr_metal": 0.28, "Dy_metal": 0.015, "Tb_metal": 0.005}
MAIN = {"JP": 0.40, "US": 0.25, "EU": 0.15, "KR": 0.07, "RoW": 0.13}
MINOR = {"JP": 0.60, "US": 0.25, "EU": 0.15}
HEAVY = {"JP": 0.90, "US": 0.10}
METALS = {"JP": 0.70, "US": 0.10, "EU": 0.08, "KR": 0.05, "RoW": 0.07}
DESTINATIONS = {"La2O3": MAIN, "CeO2": MAIN, "Y2O3": MAIN, "NdPr_oxide": MAIN, "Dy2O3": HEAVY, "Tb4O7": HEAVY,
                "Dy_metal": HEAVY, "Tb_metal": HEAVY, "mischmetal": METALS, "NdPr_metal": METALS}  # fmt: skip
MAGNET_EXPORTS_T = dict(zip(YEARS, [25000, 26943, 29907, 31800, 31674, 35982, 47900, 55000], strict=True))
MAGNET_DESTINATIONS = {"EU": 0.30, "US": 0.14, "KR": 0.12, "JP": 0.05, "RoW": 0.39}
MAGNET_CUSTOMS = "China magnet exports, t magnet (Argus/Adamas/SMM B; gaps D/C) x 0.3615 t REO/t"
# Magnet export unit value, USD/kg of magnet (§10): the demand price per t REO = value / 0.3615
MAGNET_USD_PER_KG = dict(zip(YEARS, [48.23, 48.23, 49.10, 48.53, 47.96, 47.39, 59.95, 83.08], strict=True))

# --- Lynas (§6): sales of its Malaysian separation ---
LYNAS_NDPR = {"JP": 0.65, "US": 0.10, "EU": 0.10, "KR": 0.10, "RoW": 0.05}
LYNAS_LACE = {"JP": 0.40, "US": 0.20, "EU": 0.15, "KR": 0.05, "RoW": 0.20}
LYNAS = "Lynas sales split ASSUMED (C); heavies to China as its SEG/HRE concentrate (brief §4/§7, C)"

# --- downstream in China (§8) ---
HSA_INPUT = dict(zip(YEARS, [4000, 4000, 4500, 5000, 5000, 5000, 5500, 6000], strict=True))  # ASSUMED (C)
SCRAP = dict(zip(YEARS, [400, 450, 500, 600, 700, 800, 900, 1000], strict=True))  # PLACEHOLDER, < 1 %
# 99.5 % of each magnet oxide may go to metal, and magnets take 99.5 % of what that metal allows (§8)
OXIDE_TO_METAL_SHARE, MAGNET_USE_OF_LIMIT, PHOSPHOR_USE_OF_LIMIT = 0.995, 0.995, 0.95
LA_CE_USE_OF_LIMIT = 0.995  # polishing powder and catalysts take 99.5 % of the La and Ce left (§8)
METAL_MARGIN = 0.1  # t made above the metal users' needs, so rounding never leaves them short
BALANCE = "mass balance (SOURCES.md §8, D)"
CHINA_FEEDS = ("bayan_obo", "sichuan", "ionic_light", "ionic_heavy")


def floor_kg(tonnes: float) -> float:
    """Round down to 1 kg, so a consumption or shipment never exceeds what the balance provides (the
    1e-6 kg guards against float noise such as 999.9999999999 t)."""
    return math.floor(tonnes * 1000.0 + 1e-6) / 1000.0


def recipes(folder: Path) -> dict[str, dict[str, tuple[str, float]]]:
    table: dict[str, dict[str, tuple[str, float]]] = defaultdict(dict)
    with open(folder / "process_io.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            table[row["process"]][row["commodity"]] = (row["direction"], float(row["coefficient"]))
    return table


def inputs(recipe: dict, process: str) -> dict[str, float]:
    return {c: k for c, (d, k) in recipe[process].items() if d == "in"}


def outputs(recipe: dict, process: str) -> dict[str, float]:
    return {c: k for c, (d, k) in recipe[process].items() if d == "out"}


class Year:
    """The flows of one year, built stage by stage; ``stock`` is what each (region, commodity) holds."""

    def __init__(self, year: int, recipe: dict):
        self.year, self.recipe = year, recipe
        self.activity: dict[tuple[str, str], tuple[float, str]] = {}
        self.trade: dict[tuple[str, str, str], tuple[float, str]] = {}
        self.stock: dict[tuple[str, str], float] = defaultdict(float)

    def run(self, process: str, region: str, level: float, source: str, nearest: bool = False) -> float:
        level = round(level, 3) if nearest else floor_kg(level)
        self.activity[(process, region)] = (level, source)
        return self._flow(process, region, level)

    def mine(self, process: str, region: str, level: float, source: str) -> None:
        """A mine runs at the published figure, to the nearest kg."""
        level = round(level, 3)
        self.activity[(process, region)] = (level, source)
        self._flow(process, region, level)

    def _flow(self, process: str, region: str, level: float) -> float:
        for commodity, (direction, coefficient) in self.recipe[process].items():
            sign = 1.0 if direction == "out" else -1.0
            self.stock[(region, commodity)] += sign * coefficient * level
        return level

    def run_all(self, process: str, region: str, source: str) -> float:
        """Run a one-input process on everything available of its input."""
        ((commodity, coefficient),) = inputs(self.recipe, process).items()
        return self.run(process, region, self.stock[(region, commodity)] / coefficient, source)

    def ship(self, commodity: str, origin: str, destination: str, tonnes: float, source: str) -> None:
        tonnes = floor_kg(tonnes)
        self.trade[(commodity, origin, destination)] = (tonnes, source)
        self.stock[(origin, commodity)] -= tonnes
        self.stock[(destination, commodity)] += tonnes

    def left(self, region: str, commodity: str) -> float:
        return max(0.0, self.stock[(region, commodity)])


def upstream(y: Year) -> None:
    i = YEARS.index(y.year)
    rock, ionic = ROCK[y.year], IONIC[y.year]
    mined = {"bayan_obo": rock * BAYAN_OBO_SHARE, "sichuan": rock * (1 - BAYAN_OBO_SHARE),
             "ionic_light": ionic * IONIC_LIGHT_SHARE, "ionic_heavy": ionic * (1 - IONIC_LIGHT_SHARE)}  # fmt: skip
    for feed in CHINA_FEEDS:
        y.mine(f"mining_{feed}", "CN", mined[feed], QUOTA)
        for step in ("beneficiation", "cracking", "separation"):
            y.run_all(f"{step}_{feed}", "CN", BALANCE)
    for (feed, region), (series, source) in FOREIGN.items():
        # USGS gives REO in concentrate; for Myanmar and Laos, in the mixed product they ship (§6)
        y.mine(f"mining_{feed}", region, series[i] / (R_B * R_C if feed == "ionic_medium" else R_B), source)
        y.run_all(f"beneficiation_{feed}", region, BALANCE)
        if feed == "ionic_medium":
            y.run_all(f"cracking_{feed}", region, BALANCE)
            y.ship(f"mixed_{feed}", region, "CN", y.left(region, f"mixed_{feed}"), source)
            continue
        if feed == "mount_weld":
            y.ship(f"conc_{feed}", region, "MY", y.left(region, f"conc_{feed}"), source)
            continue
        if feed == "mountain_pass" and y.year < MP_TO_CHINA_FROM:
            y.run_all(f"cracking_{feed}", region, BALANCE)
            y.run_all(f"separation_{feed}", region, BALANCE)
            continue
        y.ship(f"conc_{feed}", region, "CN", y.left(region, f"conc_{feed}"), source)
    # Imported feed is separated in China (outside the smelting quota); Lynas cracks and separates in MY.
    for feed in ("mountain_pass", "monazite"):
        y.run_all(f"cracking_{feed}", "CN", BALANCE)
        y.run_all(f"separation_{feed}", "CN", BALANCE)
    y.run_all("separation_ionic_medium", "CN", BALANCE)
    y.run_all("cracking_mount_weld", "MY", BALANCE)
    y.run_all("separation_mount_weld", "MY", BALANCE)
    for oxide in outputs(y.recipe, "separation_mount_weld"):
        split = LYNAS_NDPR if oxide == "NdPr_oxide" else LYNAS_LACE if oxide in ("La2O3", "CeO2") else {"CN": 1.0}
        available = y.left("MY", oxide)
        for destination, share in split.items():
            y.ship(oxide, "MY", destination, available * share, LYNAS)


def exports(y: Year) -> None:
    total = OXIDES_METALS[y.year]
    for split, tonnes in ((OXIDE_SPLIT, total * (1 - METAL_SHARE)), (METAL_SPLIT, total * METAL_SHARE)):
        for commodity, share in split.items():
            for destination, d_share in DESTINATIONS.get(commodity, MINOR).items():
                y.ship(commodity, "CN", destination, tonnes * share * d_share, CUSTOMS)


def downstream(y: Year) -> None:
    """China's metals and functional materials (§8); the magnet exports are shipped at the end."""
    y.run("scrap_collection", "CN", SCRAP[y.year], "PLACEHOLDER sized so recycling stays < 1 % (§8)")
    y.run_all("magnet_recycling", "CN", BALANCE)
    hsa_output = HSA_INPUT[y.year] * 0.98
    hsa = inputs(y.recipe, "make_hydrogen_storage_alloy")
    # Mischmetal for exports and the alloy; NdPr metal for the alloy; then the magnets' metals.
    mischmetal = -y.stock[("CN", "mischmetal")] + hsa["mischmetal"] * hsa_output
    y.run("metal_mischmetal", "CN", mischmetal + METAL_MARGIN, BALANCE, nearest=True)
    magnet_in = inputs(y.recipe, "magnet_ndfeb")
    metal_of = {"NdPr_metal": ("metal_NdPr", "NdPr_oxide"), "Dy_metal": ("metal_Dy", "Dy2O3"),
                "Tb_metal": ("metal_Tb", "Tb4O7")}  # fmt: skip
    needed_besides_magnets = {m: -y.stock[("CN", m)] + (hsa[m] * hsa_output if m in hsa else 0.0) for m in metal_of}
    limits = []
    for metal, (process, oxide) in metal_of.items():
        metal_possible = OXIDE_TO_METAL_SHARE * y.left("CN", oxide) / inputs(y.recipe, process)[oxide]
        limits.append((metal_possible - needed_besides_magnets[metal]) / magnet_in[metal])
    magnets = floor_kg(MAGNET_USE_OF_LIMIT * min(limits))
    for metal, (process, _oxide) in metal_of.items():
        y.run(
            process,
            "CN",
            needed_besides_magnets[metal] + magnet_in[metal] * magnets + METAL_MARGIN,
            BALANCE,
            nearest=True,
        )
    y.run("magnet_ndfeb", "CN", magnets, BALANCE)
    y.run("make_hydrogen_storage_alloy", "CN", hsa_output, BALANCE)
    phosphor = inputs(y.recipe, "make_phosphor")
    limit = min(y.left("CN", c) / k for c, k in phosphor.items() if c in ("Eu2O3", "Tb4O7", "Gd2O3", "Y2O3"))
    y.run("make_phosphor", "CN", PHOSPHOR_USE_OF_LIMIT * limit, BALANCE)
    _lanthanum_and_cerium(y)
    total_magnet_exports = MAGNET_EXPORTS_T[y.year] * REO_PER_T_MAGNET
    for destination, share in MAGNET_DESTINATIONS.items():
        y.ship("ndfeb_magnet", "CN", destination, total_magnet_exports * share, MAGNET_CUSTOMS)


def _lanthanum_and_cerium(y: Year) -> None:
    """Polishing powder = catalysts (P each) and other uses (O) take the La and Ce left: two equations,
    O capped by its Y, Sm and Gd (then P takes what it can)."""
    polishing = inputs(y.recipe, "make_polishing_powder")
    catalyst = inputs(y.recipe, "make_catalyst")
    other = inputs(y.recipe, "make_other_uses")
    la, ce = y.left("CN", "La2O3"), y.left("CN", "CeO2")
    a, b = polishing["La2O3"] + catalyst["La2O3"], other["La2O3"]
    c, d = polishing["CeO2"] + catalyst["CeO2"], other["CeO2"]
    det = a * d - b * c
    p, o = (la * d - b * ce) / det, (a * ce - c * la) / det
    o_cap = min(y.left("CN", e) / other[e] for e in ("Y2O3", "Sm2O3", "Gd2O3"))
    o = min(max(o, 0.0), o_cap)
    p = LA_CE_USE_OF_LIMIT * max(0.0, min((la - b * o) / a, (ce - d * o) / c))
    y.run("make_other_uses", "CN", o, BALANCE)
    y.run("make_polishing_powder", "CN", p, BALANCE)
    y.run("make_catalyst", "CN", p, BALANCE)


def build(folder: Path = HERE) -> tuple[list[dict], dict[tuple[str, str, int], float]]:
    recipe = recipes(folder)
    with open(folder / "processes.csv", newline="") as handle:
        deployed = list(dict.fromkeys((r["process"], r["region"]) for r in csv.DictReader(handle)))
    with open(folder / "trade.csv", newline="") as handle:
        links = list(dict.fromkeys((r["commodity"], r["origin"], r["destination"]) for r in csv.DictReader(handle)))
    with open(folder / "demand.csv", newline="") as handle:
        demand_keys = [(r["region"], r["commodity"], int(r["period"])) for r in csv.DictReader(handle)]
    wanted = set(demand_keys)
    rows: list[dict] = []
    delivered: dict[tuple[str, str, int], float] = {}
    for year in YEARS:
        y = Year(year, recipe)
        upstream(y)
        exports(y)
        downstream(y)
        for process, region in deployed:
            value, source = y.activity.get((process, region), (0.0, "not run this year"))
            rows.append({"kind": "activity", "process": process, "region": region, "period": year,
                         "value": value, "x_source": source})  # fmt: skip
        for commodity, origin, destination in links:
            value, source = y.trade.get((commodity, origin, destination), (0.0, "no flow recorded"))
            rows.append({"kind": "trade", "commodity": commodity, "origin": origin, "destination": destination,
                         "period": year, "value": value, "x_source": source})  # fmt: skip
        for (region, commodity), amount in y.stock.items():
            if (region, commodity, year) in wanted and amount > 1e-9:
                delivered[(region, commodity, year)] = floor_kg(amount + 1e-7)
    for region, commodity, year in demand_keys:
        rows.append({"kind": "delivered", "region": region, "commodity": commodity, "period": year,
                     "value": delivered.get((region, commodity, year), 0.0),
                     "x_source": "what arrives (abroad) / output - exports (CN), SOURCES.md §8"})  # fmt: skip
    return rows, delivered


def render_observed(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "value": f"{row['value']:.3f}".rstrip("0").rstrip(".")})
    return buffer.getvalue()


def render_demand(folder: Path, delivered: dict) -> str:
    """demand.csv with quantity = the delivered flow and the magnet price per t REO (§10)."""
    with open(folder / "demand.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, table = reader.fieldnames, list(reader)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields, lineterminator="\n")
    writer.writeheader()
    for row in table:
        key = (row["region"], row["commodity"], int(row["period"]))
        row["quantity"] = f"{delivered.get(key, 0.0):.3f}".rstrip("0").rstrip(".")
        if row["commodity"] == "ndfeb_magnet":
            row["price"] = str(round(MAGNET_USD_PER_KG[key[2]] * 1000 / REO_PER_T_MAGNET))
        writer.writerow(row)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    global REO_PER_T_MAGNET
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else HERE
    if "--reo-per-t-magnet" in argv:  # 0.31 rebuilds the pre-issue-14 file (SOURCES.md §12)
        REO_PER_T_MAGNET = float(argv[argv.index("--reo-per-t-magnet") + 1])
    rows, delivered = build(HERE)
    texts = {"observed.csv": render_observed(rows), "demand.csv": render_demand(HERE, delivered)}
    if "--check" in argv:
        stale = [name for name, text in texts.items() if (HERE / name).read_text() != text]
        print(f"differs from build_observed.py: {', '.join(stale)}" if stale else "observed.csv is up to date")
        return 1 if stale else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text)
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
