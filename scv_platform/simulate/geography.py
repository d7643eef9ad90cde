"""US states, ZIP prefixes, area codes and cities; the pool of postal codes people live in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scv_platform.simulate.text import zero_pad

# code|name|latitude|ZIP prefix ranges|weight (share of the customer base); area codes and
# cities per state below.
# The retailer is based in New England, so leading-zero ZIP states (MA, CT, NJ, NH, ME, RI,
# VT, PR) hold a large share of the customers.
_STATES = """
MA|Massachusetts|42.3|010-027|14
CT|Connecticut|41.6|060-069|6
NJ|New Jersey|40.2|070-089|9
NH|New Hampshire|43.7|030-038|3
ME|Maine|45.3|039-049|2.5
RI|Rhode Island|41.7|028-029|2.5
VT|Vermont|44.1|050-059|1.5
PR|Puerto Rico|18.2|006-009|2
NY|New York|42.9|100-149|8
PA|Pennsylvania|40.9|150-196|4
DE|Delaware|39.0|197-199|0.4
MD|Maryland|39.0|206-219|1.5
DC|District of Columbia|38.9|200-205|0.4
VA|Virginia|37.5|220-246|2
WV|West Virginia|38.6|247-268|0.3
NC|North Carolina|35.6|270-289|2
SC|South Carolina|33.9|290-299|0.8
GA|Georgia|32.7|300-319|2
FL|Florida|28.6|320-349|5
AL|Alabama|32.8|350-369|0.6
TN|Tennessee|35.9|370-385|1
MS|Mississippi|32.7|386-397|0.3
KY|Kentucky|37.5|400-427|0.6
OH|Ohio|40.3|430-459|2
IN|Indiana|39.9|460-479|0.8
MI|Michigan|44.3|480-499|2
IA|Iowa|42.0|500-528|0.4
WI|Wisconsin|44.6|530-549|0.8
MN|Minnesota|46.3|550-567|1
SD|South Dakota|44.4|570-577|0.2
ND|North Dakota|47.5|580-588|0.2
MT|Montana|47.0|590-599|0.2
IL|Illinois|40.0|600-629|3
MO|Missouri|38.4|630-658|0.8
KS|Kansas|38.5|660-679|0.4
NE|Nebraska|41.5|680-693|0.3
LA|Louisiana|31.0|700-714|0.6
AR|Arkansas|34.9|716-729|0.3
OK|Oklahoma|35.6|730-749|0.5
TX|Texas|31.1|750-799|5
CO|Colorado|39.0|800-816|1.5
WY|Wyoming|43.0|820-831|0.1
ID|Idaho|44.2|832-838|0.2
UT|Utah|39.3|840-847|0.5
AZ|Arizona|34.2|850-865|1.5
NM|New Mexico|34.4|870-884|0.3
NV|Nevada|38.5|889-898|0.6
CA|California|37.2|900-961|6
OR|Oregon|44.0|970-979|0.8
WA|Washington|47.4|980-994|2
HI|Hawaii|20.8|967-968|0.3
AK|Alaska|61.4|995-999|0.1
"""

_AREA_CODES = """
MA|617,508,781,978,413,339
CT|203,860,475,959
NJ|201,609,732,856,908,973
NH|603
ME|207
RI|401
VT|802
PR|787,939
NY|212,718,917,516,631,914,518,585,716
PA|215,267,412,610,717,814
DE|302
MD|301,410,443,240
DC|202
VA|703,571,804,757,540
WV|304,681
NC|704,919,336,828,910
SC|803,843,864
GA|404,678,770,912,706
FL|305,786,407,813,904,954,561,727
AL|205,251,256,334
TN|615,901,865,423
MS|601,662,228
KY|502,859,270,606
OH|216,614,513,330,419,937
IN|317,219,260,812
MI|313,248,616,517,734,810
IA|515,319,563,712
WI|414,608,920,715
MN|612,651,763,952,218
SD|605
ND|701
MT|406
IL|312,773,847,630,217,309
MO|314,816,417,573
KS|316,913,785
NE|402,531
LA|504,225,318,337
AR|501,479,870
OK|405,918,580
TX|214,469,713,281,512,210,817,915
CO|303,720,719,970
WY|307
ID|208,986
UT|801,385,435
AZ|602,480,623,520,928
NM|505,575
NV|702,725,775
CA|213,310,415,510,619,626,650,714,818,916
OR|503,971,541
WA|206,253,425,360,509
HI|808
AK|907
"""

_CITIES = """
MA|Boston,Worcester,Springfield,Cambridge,Lowell,Brockton,Quincy,Newton,Salem,Plymouth
CT|Hartford,New Haven,Stamford,Bridgeport,Waterbury,Norwalk,Danbury,Milford
NJ|Newark,Jersey City,Paterson,Trenton,Camden,Edison,Hoboken,Princeton
NH|Manchester,Nashua,Concord,Portsmouth,Dover,Keene
ME|Portland,Bangor,Lewiston,Augusta,Biddeford,Bath
RI|Providence,Warwick,Cranston,Pawtucket,Newport,Westerly
VT|Burlington,Montpelier,Rutland,Brattleboro,Barre
PR|San Juan,Bayamon,Carolina,Ponce,Caguas,Mayaguez
NY|New York,Brooklyn,Buffalo,Rochester,Albany,Syracuse,Yonkers,White Plains
PA|Philadelphia,Pittsburgh,Allentown,Erie,Harrisburg,Scranton,Lancaster
DE|Wilmington,Dover,Newark,Middletown
MD|Baltimore,Rockville,Frederick,Annapolis,Columbia
DC|Washington
VA|Richmond,Virginia Beach,Arlington,Norfolk,Alexandria,Roanoke
WV|Charleston,Huntington,Morgantown,Wheeling
NC|Charlotte,Raleigh,Greensboro,Durham,Asheville,Wilmington
SC|Columbia,Charleston,Greenville,Myrtle Beach
GA|Atlanta,Savannah,Augusta,Athens,Macon
FL|Miami,Orlando,Tampa,Jacksonville,Tallahassee,Fort Lauderdale,Naples
AL|Birmingham,Montgomery,Mobile,Huntsville,Tuscaloosa
TN|Nashville,Memphis,Knoxville,Chattanooga
MS|Jackson,Gulfport,Hattiesburg,Biloxi
KY|Louisville,Lexington,Bowling Green,Covington
OH|Columbus,Cleveland,Cincinnati,Toledo,Akron,Dayton
IN|Indianapolis,Fort Wayne,Evansville,South Bend,Bloomington
MI|Detroit,Grand Rapids,Lansing,Ann Arbor,Flint,Kalamazoo
IA|Des Moines,Cedar Rapids,Davenport,Iowa City
WI|Milwaukee,Madison,Green Bay,Kenosha
MN|Minneapolis,Saint Paul,Rochester,Duluth,Bloomington
SD|Sioux Falls,Rapid City,Aberdeen
ND|Fargo,Bismarck,Grand Forks
MT|Billings,Missoula,Bozeman,Helena
IL|Chicago,Aurora,Naperville,Springfield,Peoria,Evanston
MO|Kansas City,Saint Louis,Springfield,Columbia
KS|Wichita,Overland Park,Topeka,Lawrence
NE|Omaha,Lincoln,Grand Island
LA|New Orleans,Baton Rouge,Shreveport,Lafayette
AR|Little Rock,Fayetteville,Fort Smith
OK|Oklahoma City,Tulsa,Norman
TX|Houston,Dallas,Austin,San Antonio,Fort Worth,El Paso,Plano
CO|Denver,Colorado Springs,Boulder,Aurora,Fort Collins
WY|Cheyenne,Casper,Laramie
ID|Boise,Idaho Falls,Pocatello
UT|Salt Lake City,Provo,Ogden,Saint George
AZ|Phoenix,Tucson,Mesa,Scottsdale,Flagstaff
NM|Albuquerque,Santa Fe,Las Cruces
NV|Las Vegas,Henderson,Reno
CA|Los Angeles,San Diego,San Francisco,San Jose,Sacramento,Oakland,Fresno,Irvine
OR|Portland,Eugene,Salem,Bend
WA|Seattle,Spokane,Tacoma,Bellevue,Olympia
HI|Honolulu,Hilo,Kailua,Kahului
AK|Anchorage,Fairbanks,Juneau
"""

# Leading-zero ZIP states: their codes lose a digit when typed as numbers in Excel.
LEADING_ZERO_STATES = frozenset({"MA", "CT", "NJ", "NH", "ME", "RI", "VT", "PR"})
NORTHEAST = frozenset(LEADING_ZERO_STATES | {"NY", "PA"})
SOUTH = frozenset(
    {"DE", "MD", "DC", "VA", "WV", "NC", "SC", "GA", "FL", "AL", "TN", "MS", "KY", "LA", "AR"}
    | {"OK", "TX"}
)


@dataclass(frozen=True)
class StateTable:
    """The reference table of states as parallel arrays (index = state number)."""

    code: np.ndarray
    name: np.ndarray
    latitude: np.ndarray
    weight: np.ndarray
    zip_prefixes: list[np.ndarray]
    area_codes: list[np.ndarray]
    cities: list[np.ndarray]


def _by_state(table: str) -> dict[str, np.ndarray]:
    pairs = (line.split("|") for line in table.strip().splitlines())
    return {code: np.array(values.split(",")) for code, values in pairs}


def _parse_states() -> StateTable:
    rows = [line.split("|") for line in _STATES.strip().splitlines()]
    areas, cities = _by_state(_AREA_CODES), _by_state(_CITIES)
    prefixes: list[np.ndarray] = []
    for row in rows:
        ranges = []
        for part in row[3].split(";"):
            low, high = (int(v) for v in part.split("-"))
            ranges.append(np.arange(low, high + 1))
        prefixes.append(np.concatenate(ranges))
    weight = np.array([float(r[4]) for r in rows])
    return StateTable(
        code=np.array([r[0] for r in rows]),
        name=np.array([r[1] for r in rows]),
        latitude=np.array([float(r[2]) for r in rows]),
        weight=weight / weight.sum(),
        zip_prefixes=prefixes,
        area_codes=[areas[r[0]] for r in rows],
        cities=[cities[r[0]] for r in rows],
    )


STATES = _parse_states()


def postal_pool_size(customers: int, configured: int) -> int:
    """The configured pool size, or one derived from the number of customers."""
    return configured if configured > 0 else min(3000, max(40, customers // 20))


def pick_per_state(
    rng: np.random.Generator, state: np.ndarray, choices: list[np.ndarray]
) -> np.ndarray:
    """For each row, a uniform pick among the choices of its state (one draw per state)."""
    out = np.empty(state.size, dtype=object)
    for s in np.unique(state):
        rows = np.flatnonzero(state == s)
        out[rows] = rng.choice(choices[s], size=rows.size)
    return out


def build_postal_pool(rng: np.random.Generator, size: int) -> pd.DataFrame:
    """Unique 5-digit ZIPs with their state, city, latitude and a popularity weight."""
    state = rng.choice(len(STATES.code), size=size, p=STATES.weight)
    codes = np.empty(size, dtype=np.int64)
    todo = np.arange(size)
    while todo.size:  # redraw collisions until every code is unique (few rounds)
        prefix = pick_per_state(rng, state[todo], STATES.zip_prefixes).astype(np.int64)
        codes[todo] = prefix * 100 + rng.integers(1, 100, size=todo.size)
        _, first = np.unique(codes, return_index=True)
        duplicate = np.ones(size, dtype=bool)
        duplicate[first] = False
        todo = np.flatnonzero(duplicate)
    city = pick_per_state(rng, state, STATES.cities)
    order = np.argsort(codes, kind="stable")
    pool = pd.DataFrame(
        {
            "postal_code": zero_pad(codes, 5),
            "state_idx": state,
            "city": city,
            "latitude": STATES.latitude[state] + rng.normal(0.0, 0.6, size),
            "popularity": rng.lognormal(0.0, 0.6, size),
        }
    ).iloc[order]
    pool["state"] = STATES.code[pool["state_idx"].to_numpy()]
    return pool.reset_index(drop=True)
