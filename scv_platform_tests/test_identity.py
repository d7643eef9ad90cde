"""Identity resolution: rules, model, clustering with overrides, stable ids, quality gate.

Inputs are built directly in a DuckDB file (no dbt run needed): hand-made frames for the
rules, and identities derived from a small simulation's truth for the model.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster_duckdb import DuckDBResource

from scv_platform.identity import IdentityConfig, build_identity_assets
from scv_platform.identity.checks import check_distinct_crm_contacts, check_largest_cluster
from scv_platform.identity.clustering import (
    ACCEPTED,
    REJECTED_CRM,
    REJECTED_NEVER_MERGE,
    Clustering,
    cluster,
)
from scv_platform.identity.evaluation import evaluate_crosswalk
from scv_platform.identity.explanations import waterfall_markdown
from scv_platform.identity.features import prepare_records
from scv_platform.identity.model_reuse import definition_digest, retrain_reason
from scv_platform.identity.resolve import resolve
from scv_platform.identity.rules import card_holders
from scv_platform.identity.stable_ids import ID_PREFIX, assign_ids
from scv_platform.identity.tables import (
    CANDIDATE_COLUMNS,
    CROSSWALK,
    CROSSWALK_COLUMNS,
    LINEAGE,
    MODEL,
    OVERRIDE_COLUMNS,
    IdentityInputs,
    PreviousState,
    TrainedModel,
    output_writes,
    read_inputs,
    read_previous,
    replace_table,
    write_inputs,
)
from scv_platform.warehouse.frames import write_frames

RESOLVED_AT = datetime(2025, 7, 1, 2, 0)
RULES_ONLY = IdentityConfig(min_identities_for_model=10_000)


# --- helpers -------------------------------------------------------------------------------


def identity(system: str, record_id: str, **values: object) -> dict[str, object]:
    """One candidate row; unspecified values are NULL."""
    return {"source_system": system, "source_record_id": record_id, **values}


def candidates(*rows: dict[str, object]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for column in ("first_name", "last_name", "birth_date", "email", "phone", "phone_alt"):
        if column not in frame:
            frame[column] = None
    return frame.astype(object).where(frame.notna(), None)


def override(decision: str, a: tuple[str, str], b: tuple[str, str]) -> dict[str, object]:
    return dict(
        zip(OVERRIDE_COLUMNS, (decision, *a, *b, "test", "steward", date(2025, 6, 1)), strict=True)
    )


def build_warehouse(
    path: Path,
    cands: pd.DataFrame,
    card_links: pd.DataFrame | None = None,
    overrides: list[dict[str, object]] | None = None,
) -> Path:
    """The three input tables identity resolution reads, as dbt would build them."""
    with duckdb.connect(str(path)) as con:
        write_inputs(
            con, cands, card_links, pd.DataFrame(overrides or [], columns=OVERRIDE_COLUMNS)
        )
    return path


def run(
    cands: pd.DataFrame,
    *,
    card_links: pd.DataFrame | None = None,
    overrides: list[dict[str, object]] | None = None,
    previous: PreviousState | None = None,
    config: IdentityConfig = RULES_ONLY,
):
    inputs = IdentityInputs(
        candidates=cands,
        card_links=card_links
        if card_links is not None
        else pd.DataFrame(columns=["card_account_id", "source_system", "source_record_id"]),
        overrides=pd.DataFrame(overrides or [], columns=OVERRIDE_COLUMNS),
        notes=[],
    )
    empty = pd.DataFrame(columns=["source_system", "source_record_id", "scv_customer_id"])
    return resolve(inputs, previous or PreviousState(empty, set()), config, RESOLVED_AT)


def customer_of(result, system: str, record_id: str) -> str:
    cw = result.crosswalk
    row = cw[(cw["source_system"] == system) & (cw["source_record_id"] == record_id)]
    assert len(row) == 1
    return row["scv_customer_id"].iloc[0]


def rule_of(result, system: str, record_id: str) -> str:
    cw = result.crosswalk
    return cw.loc[
        (cw["source_system"] == system) & (cw["source_record_id"] == record_id), "match_rule"
    ].iloc[0]


def as_previous(result) -> PreviousState:
    """What the next run reads: this crosswalk, and every id issued so far (lineage too)."""
    cw = result.crosswalk[["source_system", "source_record_id", "scv_customer_id"]]
    lineage = result.lineage
    issued = set(cw["scv_customer_id"]) | set(lineage["old_scv_customer_id"])
    return PreviousState(cw, issued)


# --- deterministic rules -------------------------------------------------------------------


def test_email_rule_links_alike_holders_and_leaves_contested_addresses_alone() -> None:
    result = run(
        candidates(
            identity("d365", "c1", first_name="John", last_name="Smith", birth_date="1980-01-02",
                     email="john.smith@mail.com"),
            identity("legacy", "L1", first_name="Jon", last_name="Smith", birth_date="1980-01-02",
                     email="john.smith@mail.com"),
            identity("shop", "S1", email="john.smith@mail.com"),
            # a family mailbox: two people, different first names and birth dates
            identity("d365", "c2", first_name="Mary", last_name="Jones", birth_date="1970-05-05",
                     email="jones.family@mail.com"),
            identity("d365", "c3", first_name="Peter", last_name="Jones", birth_date="1968-03-03",
                     email="jones.family@mail.com"),
            identity("shop", "S2", email="jones.family@mail.com"),
            # placeholder addresses never link
            identity("legacy", "L2", first_name="Ann", last_name="Lee", email="none@none.com"),
            identity("legacy", "L3", first_name="Bob", last_name="Kay", email="none@none.com"),
        )
    )  # fmt: skip
    john = customer_of(result, "d365", "c1")
    assert john.startswith(ID_PREFIX) and len(john) == len(ID_PREFIX) + 12
    assert customer_of(result, "legacy", "L1") == john
    assert customer_of(result, "shop", "S1") == john
    assert rule_of(result, "shop", "S1") == "email"
    assert (
        result.crosswalk.loc[result.crosswalk["match_rule"] == "email", "match_probability"]
        .isna()
        .all()
    )
    family = {
        customer_of(result, s, r) for s, r in [("d365", "c2"), ("d365", "c3"), ("shop", "S2")]
    }
    assert len(family) == 3
    assert customer_of(result, "legacy", "L2") != customer_of(result, "legacy", "L3")
    assert rule_of(result, "legacy", "L2") == "singleton"


def test_email_rule_ignores_an_address_shared_by_too_many_identities() -> None:
    shared = [identity("shop", f"S{i}", email="orders@shop.com") for i in range(6)]
    config = IdentityConfig(min_identities_for_model=10_000, max_identities_per_email=5)
    result = run(candidates(*shared), config=config)
    assert result.crosswalk["scv_customer_id"].nunique() == 6
    result = run(candidates(*shared[:5]), config=RULES_ONLY)
    assert result.crosswalk["scv_customer_id"].nunique() == 1


def test_card_account_and_phone_last_name_rules() -> None:
    cands = candidates(
        identity("d365", "c1", first_name="Ann", last_name="Berg", phone="+16175550100"),
        identity("legacy", "L1", first_name="Anne", last_name="Bergson"),
        identity("legacy", "L2", first_name="Ann", last_name="Berg", phone="+16175550100"),
        identity("legacy", "L3", first_name="Carl", last_name="Ortiz", phone="+16175550100"),
        identity("d365", "c9", first_name="Zoe", last_name="Hart"),
    )
    cards = pd.DataFrame(
        {
            "card_account_id": ["CA1", "ca1 ", "CA2"],
            "source_system": ["d365", "legacy", "d365"],
            "source_record_id": ["c1", "L1", "c9"],
        }
    )
    result = run(cands, card_links=cards)
    ann = customer_of(result, "d365", "c1")
    assert customer_of(result, "legacy", "L1") == ann
    assert rule_of(result, "legacy", "L1") == "card_account"
    assert customer_of(result, "legacy", "L2") == ann
    assert rule_of(result, "legacy", "L2") == "phone_last_name"
    assert customer_of(result, "legacy", "L3") != ann  # same phone, another family name
    assert customer_of(result, "d365", "c9") != ann


def test_email_alias_attaches_a_shop_account_only_when_unambiguous() -> None:
    result = run(
        candidates(
            identity("d365", "c1", first_name="Lena", last_name="Voss", email="lena.voss@mail.com"),
            identity("shop", "S1", email="lena.voss77@other.net"),
            # two Tom Reeds own tom.reed at other providers: a third one cannot be placed
            identity("d365", "c2", first_name="Tom", last_name="Reed", email="tom.reed@mail.com",
                     birth_date="1990-01-01"),
            identity("d365", "c3", first_name="Tom", last_name="Reed", email="tom.reed@web.com",
                     birth_date="1950-01-01"),
            identity("shop", "S2", email="tom.reed12@other.net"),
        )
    )  # fmt: skip
    assert customer_of(result, "shop", "S1") == customer_of(result, "d365", "c1")
    assert rule_of(result, "shop", "S1") == "email_alias"
    s2 = customer_of(result, "shop", "S2")
    assert s2 not in {customer_of(result, "d365", "c2"), customer_of(result, "d365", "c3")}
    assert result.stats["email_alias"]["counter_linked"] == 1
    assert result.stats["email_alias"]["counter_ambiguous"] == 1
    # the review queue lists S2 with both Tom Reeds, and only S2
    queue = result.ambiguous.set_index(["source_system", "source_record_id"])
    assert queue.index.tolist() == [("shop", "S2")]
    toms = sorted([customer_of(result, "d365", "c2"), customer_of(result, "d365", "c3")])
    assert queue.loc[("shop", "S2"), "candidate_scv_customer_ids"] == ",".join(toms)
    assert queue.loc[("shop", "S2"), "candidate_customers"] == 2
    assert queue.loc[("shop", "S2"), "deciding_rule"] == "email_alias:counter"
    assert queue.loc[("shop", "S2"), "scv_customer_id"] == s2


def test_email_alias_a_name_explains_a_counter_not_a_long_number() -> None:
    result = run(
        candidates(
            # customers without an e-mail: their name spells the address's letters
            identity("legacy", "L1", first_name="Jane", last_name="Doe", birth_date="1980-05-05"),
            identity("shop", "S1", email="jane.doe7@mail.com"),
            identity("legacy", "L2", first_name="Omar", last_name="Khan", birth_date="1975-01-01"),
            identity("shop", "S2", email="omar.khan4821@mail.com"),  # a handle of its own
            identity("shop", "S3", email="omar1975@mail.com"),  # first name and birth year
            # two Lee Parks without an e-mail: the account fits both
            identity("legacy", "L3", first_name="Lee", last_name="Park", birth_date="1990-01-01"),
            identity("legacy", "L4", first_name="Lee", last_name="Park", birth_date="1960-01-01"),
            identity("shop", "S4", email="leepark@mail.com"),
        )
    )  # fmt: skip
    assert customer_of(result, "shop", "S1") == customer_of(result, "legacy", "L1")
    assert rule_of(result, "shop", "S2") == "singleton"
    assert customer_of(result, "shop", "S3") == customer_of(result, "legacy", "L2")
    assert rule_of(result, "shop", "S4") == "singleton"
    # S4 waits for a steward; S2 fits nobody, so it is no review case
    assert result.ambiguous["source_record_id"].tolist() == ["S4"]
    assert result.ambiguous["candidate_customers"].tolist() == [2]
    assert result.stats["email_alias"]["name_linked"] == 2
    assert result.stats["email_alias"]["name_ambiguous"] == 1


def test_email_alias_a_numbered_handle_decides_alone_other_numbers_are_another_person() -> None:
    result = run(
        candidates(
            # the same numbered handle elsewhere, or with a counter appended: the number is not
            # a namesake's, so a Sam Brown without an e-mail does not compete
            identity("d365", "c1", first_name="Sara", last_name="Brown",
                     email="sbrown.39984@icloud.com"),
            identity("legacy", "L1", first_name="Sam", last_name="Brown"),
            identity("shop", "S1", email="sbrown.39984@proton.me"),
            identity("d365", "c2", first_name="Mia", last_name="Brown",
                     email="mbrown.2936148@mail.com"),
            identity("shop", "S2", email="mbrown.29361@yahoo.com"),
            # same letters, other numbers: another person's handle, not Priya's
            identity("d365", "c3", first_name="Priya", last_name="Wood",
                     email="priya.wood@gmail.com"),
            identity("shop", "S3", email="priya.wood4608@yahoo.com"),
            identity("d365", "c4", first_name="Ken", last_name="Ito", email="ken.ito12@mail.com"),
            identity("shop", "S4", email="ken.ito34@mail.com"),
        )
    )  # fmt: skip
    assert customer_of(result, "shop", "S1") == customer_of(result, "d365", "c1")
    assert customer_of(result, "legacy", "L1") != customer_of(result, "d365", "c1")
    assert customer_of(result, "shop", "S2") == customer_of(result, "d365", "c2")
    assert rule_of(result, "shop", "S3") == "singleton"
    assert rule_of(result, "shop", "S4") == "singleton"
    assert result.stats["email_alias"]["handle_linked"] == 2


def test_email_alias_a_year_is_no_tag_and_the_closest_handle_wins() -> None:
    result = run(
        candidates(
            # hannah1978 spells the name and birth year of a Hannah without an e-mail too
            identity("d365", "c1", first_name="Hannah", last_name="Kerr", birth_date="1978-02-03",
                     email="hannah1978@mail.com"),
            identity("legacy", "L1", first_name="Hannah", last_name="Pike",
                     birth_date="1978-09-09"),
            identity("shop", "S1", email="hannah1978@other.net"),
            # the exact handle beats a counter variant and a separator variant
            identity("d365", "c2", first_name="Gary", last_name="Taylor", email="gary.taylor@a.com",
                     birth_date="1990-09-06"),
            identity("d365", "c3", first_name="Gary", last_name="Taylor",
                     email="gary.taylor19@a.com", birth_date="1989-12-15"),
            identity("d365", "c4", first_name="Gary", last_name="Taylor", email="garytaylor@a.com",
                     birth_date="1975-12-13"),
            identity("shop", "S2", email="gary.taylor@b.com"),
        )
    )  # fmt: skip
    assert rule_of(result, "shop", "S1") == "singleton"
    assert result.stats["email_alias"]["user_ambiguous"] == 1
    assert customer_of(result, "shop", "S2") == customer_of(result, "d365", "c2")
    assert result.stats["email_alias"]["user_linked"] == 1


def test_email_alias_a_customer_with_a_shop_account_does_not_take_another() -> None:
    result = run(
        candidates(
            # one Tom Reed already has his shop account (same address): S2 is the other's
            identity("d365", "c1", first_name="Tom", last_name="Reed", email="tom.reed@mail.com",
                     birth_date="1990-01-01"),
            identity("shop", "S1", email="tom.reed@mail.com"),
            identity("d365", "c2", first_name="Tom", last_name="Reed", email="tom.reed@web.com",
                     birth_date="1950-01-01"),
            identity("shop", "S2", email="tom.reed@other.net"),
            # round 1: S3's numbered handle is Ann Lee c3's; round 2: S4 can only be c4's
            identity("d365", "c3", first_name="Ann", last_name="Lee", email="ann.lee@mail.com",
                     birth_date="1980-01-01", phone="+16175550100"),
            identity("legacy", "L3", first_name="Ann", last_name="Lee", email="ann.lee58@x.com",
                     birth_date="1980-01-01", phone="+16175550100"),
            identity("d365", "c4", first_name="Ann", last_name="Lee", email="ann.lee@web.com",
                     birth_date="1960-01-01"),
            identity("shop", "S3", email="ann.lee58@y.com"),
            identity("shop", "S4", email="ann.lee@z.com"),
        )
    )  # fmt: skip
    assert customer_of(result, "shop", "S1") == customer_of(result, "d365", "c1")
    assert customer_of(result, "shop", "S2") == customer_of(result, "d365", "c2")
    assert customer_of(result, "shop", "S3") == customer_of(result, "d365", "c3")
    assert customer_of(result, "shop", "S4") == customer_of(result, "d365", "c4")
    assert result.stats["email_alias"]["user_linked"] == 2
    assert result.stats["email_alias"]["user_ambiguous"] == 0


# --- clustering and overrides --------------------------------------------------------------


def test_clustering_cuts_the_weakest_probabilistic_link_and_keeps_crm_contacts_apart() -> None:
    nodes = pd.DataFrame(
        {
            "unique_id": ["legacy|a", "legacy|b", "legacy|c", "d365|x", "d365|y", "shop|s"],
            "source_system": ["legacy", "legacy", "legacy", "d365", "d365", "shop"],
        }
    )
    links = pd.DataFrame(
        [
            ("legacy|a", "legacy|b", "splink", 0.99),
            ("legacy|b", "legacy|c", "splink", 0.92),
            ("d365|x", "d365|y", "splink", 0.999),
            ("d365|x", "shop|s", "email", np.nan),
            ("d365|y", "shop|s", "email", np.nan),
        ],
        columns=["unique_id_l", "unique_id_r", "match_rule", "match_probability"],
    )
    result = cluster(nodes, links, never_merge=[("legacy|a", "legacy|c")])
    status = result.links.set_index(["unique_id_l", "unique_id_r"])["status"]
    assert status[("legacy|a", "legacy|b")] == ACCEPTED
    assert status[("legacy|b", "legacy|c")] == REJECTED_NEVER_MERGE
    key = result.members.set_index("unique_id")["cluster_key"]
    assert key["legacy|a"] == key["legacy|b"] != key["legacy|c"]
    # two CRM contacts: joined by deterministic evidence (a shared e-mail), never by Splink alone
    assert key["d365|x"] == key["d365|y"] == key["shop|s"]
    assert status[("d365|x", "d365|y")] != REJECTED_CRM  # already joined by the e-mail links

    only_model = cluster(nodes, links.iloc[[2]], never_merge=[])
    assert only_model.links["status"].iloc[0] == REJECTED_CRM


def test_overrides_merge_and_never_merge_survive_rules() -> None:
    cands = candidates(
        identity("d365", "c1", first_name="Eva", last_name="Lind", email="eva@mail.com"),
        identity("legacy", "L1", first_name="Eva", last_name="Lind", email="eva@mail.com"),
        identity("legacy", "L2", first_name="Ida", last_name="Moss"),
        identity("shop", "S9", email="im@other.org"),
    )
    overrides = [
        override("never_merge", ("d365", "c1"), ("legacy", "L1")),
        override("merge", ("legacy", "L2"), ("shop", "S9")),
        override("merge", ("legacy", "nope"), ("shop", "S9")),
    ]
    result = run(cands, overrides=overrides)
    assert customer_of(result, "d365", "c1") != customer_of(result, "legacy", "L1")
    assert customer_of(result, "legacy", "L2") == customer_of(result, "shop", "S9")
    assert rule_of(result, "shop", "S9") == "override_merge"
    assert any("unknown identities" in note for note in result.notes)
    rejected = result.links[result.links["status"] == REJECTED_NEVER_MERGE]
    assert list(rejected["match_rule"]) == ["email"]


def _random_links(rng: np.random.Generator, ids: np.ndarray, n: int, rules: list[str]):
    left, right = rng.integers(0, len(ids), n), rng.integers(0, len(ids), n)
    keep = left != right
    left, right = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    rule = rng.choice(rules, len(left))
    probability = np.where(rule == "splink", rng.choice([0.9, 0.95, 1.0], len(left)), np.nan)
    return pd.DataFrame(
        {
            "unique_id_l": ids[left],
            "unique_id_r": ids[right],
            "match_rule": rule,
            "rules": rule,
            "match_probability": probability,
        }
    )


@pytest.mark.parametrize("later_rules", [["email_alias"], ["email", "splink", "email_alias"]])
def test_clustering_taken_in_two_steps_is_clustering_taken_at_once(later_rules) -> None:
    """Weaker links are taken on top of the first clusters; stronger ones make it start over.
    Either way the result is that of all links at once."""
    rng = np.random.default_rng(7)
    first_rules = ["override_merge", "card_account", "email", "phone_last_name", "splink"]
    for _ in range(50):
        systems = rng.choice(["d365", "legacy", "shop"], 30)
        ids = np.array([f"{s}|{i:02d}" for i, s in enumerate(systems)], dtype=object)
        nodes = pd.DataFrame({"unique_id": ids, "source_system": systems})
        never = [tuple(ids[rng.choice(len(ids), 2, replace=False)]) for _ in range(2)]
        first = _random_links(rng, ids, 40, first_rules)
        later = _random_links(rng, ids, 15, later_rules)
        clustering = Clustering(nodes, never)
        at_once = cluster(nodes, first, never)
        in_steps = clustering.add(first)
        pd.testing.assert_frame_equal(in_steps.members, at_once.members)
        pd.testing.assert_frame_equal(in_steps.links, at_once.links)
        at_once = cluster(nodes, pd.concat([first, later], ignore_index=True), never)
        in_steps = clustering.add(later)
        pd.testing.assert_frame_equal(in_steps.members, at_once.members)
        pd.testing.assert_frame_equal(in_steps.links, at_once.links)


def test_records_are_normalised_per_value_whatever_the_column_types() -> None:
    cands = candidates(
        identity("d365", 1, first_name="  José-Luis ", last_name="O'Brien", birth_date="1980-01-02",
                 email=" Jane.Doe@X.com ", phone=" 555 "),
        identity("legacy", 1.0, first_name=" ", last_name="Ashcraft", email="a\u2003b\t@Mail.org",
                 phone=5551234),
        identity("shop", "3", first_name="Bob", email="test@foo.com", phone=5551234.0),
        identity("shop", "4", first_name="bob", email="@x.com", phone_alt=""),
    )  # fmt: skip
    records = prepare_records(cands.reindex(columns=list(CANDIDATE_COLUMNS)))
    assert records["unique_id"].tolist() == ["d365|1", "legacy|1.0", "shop|3", "shop|4"]
    assert records["first_name"].tolist() == ["joseluis", None, "bob", "bob"]
    assert records["first_name_canonical"].tolist() == ["joseluis", None, "robert", "robert"]
    assert records["last_name_soundex"].tolist() == ["O165", "A261", None, None]
    assert records["email"].tolist() == ["jane.doe@x.com", "ab@mail.org", None, "@x.com"]
    assert records["email_user"].tolist() == ["jane.doe", "ab", None, None]
    assert records["email_stem"].tolist() == ["janedoe", None, None, None]
    # a number and its float are two texts, as pandas writes them
    assert records["phone"].tolist() == ["555", "5551234", "5551234.0", None]
    assert records["phone_alt"].tolist() == [None, None, None, None]
    assert records["birth_year"].tolist() == [1980, None, None, None]


def test_card_holders_are_normalised_and_de_duplicated() -> None:
    cands = pd.DataFrame(
        {
            "source_system": ["d365", "legacy", "legacy", None],
            "source_record_id": ["c1", "L1", "L2", "L3"],
            "card_account_ids": ["ca1, ca2", " ,CA1", None, "CA9"],
        }
    )
    links = pd.DataFrame(
        {
            "card_account_id": [" ca1", None, "CA3"],
            "source_system": ["d365", "d365", "legacy"],
            "source_record_id": ["c1", "c2", "L2"],
        }
    )
    assert card_holders(cands, links).values.tolist() == [
        ["CA1", "d365", "c1"],
        ["CA3", "legacy", "L2"],
        ["CA2", "d365", "c1"],
        ["CA1", "legacy", "L1"],
    ]


def test_assign_ids_settles_contested_ids_greedily() -> None:
    """The cluster with most members of a former id keeps it (then the smallest id, then the
    smallest cluster key); a cluster alone with its former id keeps it."""
    members = pd.DataFrame(
        {
            "unique_id": ["a1", "a2", "a3", "b1", "c1", "c2", "d1"],
            "cluster_key": ["a1", "a1", "a3", "b1", "c1", "c1", "d1"],
        }
    )
    previous = pd.DataFrame(
        {
            "unique_id": ["a1", "a2", "a3", "b1", "c1", "c2", "x9"],
            "scv_customer_id": ["SCV-A", "SCV-A", "SCV-A", "SCV-B", "SCV-C", "SCV-B", "SCV-A"],
        }
    )
    ids, lineage = assign_ids(members, previous, {"SCV-A", "SCV-B", "SCV-C"}, RESOLVED_AT)
    assert ids.tolist()[:6] == ["SCV-A", "SCV-A", ids.iloc[2], "SCV-B", "SCV-C", "SCV-C"]
    assert ids.iloc[2] not in {"SCV-A", "SCV-B", "SCV-C"} and ids.iloc[6].startswith(ID_PREFIX)
    assert lineage[
        ["old_scv_customer_id", "new_scv_customer_id", "change_type"]
    ].values.tolist() == [
        ["SCV-A", ids.iloc[2], "split"],
        ["SCV-B", "SCV-C", "split"],
    ]
    assert lineage["reason"].iloc[0] == f"1 of 4 identities of SCV-A split off into {ids.iloc[2]}"


# --- stable ids ----------------------------------------------------------------------------


def _people() -> list[dict[str, object]]:
    return [
        identity("d365", "c1", first_name="Ada", last_name="King", email="ada@mail.com"),
        identity("shop", "S1", email="ada@mail.com"),
        identity("legacy", "L1", first_name="Ada", last_name="King", phone="+12125550111"),
        identity("d365", "c2", first_name="Bo", last_name="Dahl", email="bo@mail.com"),
    ]


def test_ids_are_stable_across_reruns_and_merges_are_recorded() -> None:
    first = run(candidates(*_people()))
    ada, ada_legacy = customer_of(first, "d365", "c1"), customer_of(first, "legacy", "L1")
    assert ada != ada_legacy  # nothing links the legacy record yet
    assert first.lineage.empty

    again = run(candidates(*_people()), previous=as_previous(first))
    pd.testing.assert_frame_equal(
        again.crosswalk.drop(columns="resolved_at"), first.crosswalk.drop(columns="resolved_at")
    )
    assert again.lineage.empty

    # a new legacy row shares the e-mail of Ada and the phone of her old legacy record
    bridge = identity("legacy", "L2", first_name="Ada", last_name="King", email="ada@mail.com",
                      phone="+12125550111")  # fmt: skip
    newcomer = identity("shop", "S7", email="new@mail.com")
    merged = run(candidates(*_people(), bridge, newcomer), previous=as_previous(first))
    assert customer_of(merged, "legacy", "L2") == ada  # the larger former cluster keeps its id
    assert customer_of(merged, "legacy", "L1") == ada
    assert customer_of(merged, "d365", "c2") == customer_of(first, "d365", "c2")
    assert customer_of(merged, "shop", "S7") not in set(first.crosswalk["scv_customer_id"])
    changes = merged.lineage[["old_scv_customer_id", "new_scv_customer_id", "change_type"]]
    assert changes.values.tolist() == [[ada_legacy, ada, "merge"]]

    # a steward splits the legacy records off again: Ada keeps her id, the part gets a new one
    split = run(
        candidates(*_people(), bridge, newcomer),
        overrides=[override("never_merge", ("d365", "c1"), ("legacy", "L2"))],
        previous=as_previous(merged),
    )
    assert customer_of(split, "d365", "c1") == ada
    part = customer_of(split, "legacy", "L2")
    assert part != ada and part != ada_legacy  # a retired id is never handed out again
    assert split.lineage["change_type"].tolist() == ["split"]


def test_outputs_are_written_and_lineage_appends_only_changes(tmp_path: Path) -> None:
    path = build_warehouse(tmp_path / "wh.duckdb", candidates(*_people()))
    for _ in range(2):
        with duckdb.connect(str(path)) as con:
            inputs, previous = read_inputs(con), read_previous(con)
        result = resolve(inputs, previous, RULES_ONLY, RESOLVED_AT)
        with duckdb.connect(str(path)) as con:
            write_frames(
                con,
                output_writes(
                    result.crosswalk, result.links, result.explanations, result.lineage,
                    result.ambiguous,
                ),
            )  # fmt: skip
    with duckdb.connect(str(path)) as con:
        columns = [r[0] for r in con.execute(f"DESCRIBE {CROSSWALK.sql}").fetchall()]
        assert columns == [name for name, _ in CROSSWALK_COLUMNS]
        assert con.execute(f"SELECT count(*) FROM {CROSSWALK.sql}").fetchone() == (4,)
        assert con.execute(f"SELECT count(*) FROM {LINEAGE.sql}").fetchone() == (0,)


# --- the model on simulated identities -----------------------------------------------------


def _simulated_identities(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Candidates and card links with realistic noise, derived from a 300-customer simulation."""
    from scv_platform.settings import SimulationSettings
    from scv_platform.simulate import simulate

    settings = SimulationSettings(customers=300, days=10, end=date(2025, 6, 30), seed=5)
    simulate(settings, tmp_path / "landing", tmp_path / "truth")
    people = pd.read_parquet(tmp_path / "truth" / "people.parquet").set_index("person_id")
    truth = pd.read_parquet(tmp_path / "truth" / "identity_map.parquet")
    cards = pd.read_parquet(tmp_path / "truth" / "card_accounts.parquet")
    rng = np.random.default_rng(11)

    def typo(name: str) -> str:
        i = int(rng.integers(1, len(name) - 1))
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]

    rows, links = [], []
    for system, record_id, person_id in truth.itertuples(index=False):
        if person_id is None:
            rows.append(identity(system, record_id, email=f"guest.{record_id.lower()}@mail.com"))
            continue
        p = people.loc[person_id]
        user, domain = p["email"].split("@")
        alias = (
            f"{user}{int(rng.integers(10, 99))}@{'aol.com' if domain != 'aol.com' else 'msn.com'}"
        )
        if system == "shop":
            rows.append(
                identity(system, record_id, email=p["email"] if rng.random() < 0.85 else alias)
            )
            continue
        legacy = system == "legacy"
        first, last = p["first_name"], p["last_name"]
        if legacy and rng.random() < 0.1 and len(first) > 3:
            first = typo(first)
        if legacy and rng.random() < 0.06 and len(last) > 3:
            last = typo(last)
        draw = rng.random()
        email = None if draw < 0.2 else (alias if legacy and draw < 0.7 else p["email"])
        kept = {  # the legacy workbook lost some values
            name: not legacy or rng.random() < share
            for name, share in (("phone", 0.5), ("address", 0.6), ("postal", 0.8))
        }
        rows.append(
            identity(
                system, record_id, first_name=first, last_name=last, email=email,
                birth_date=None if rng.random() < 0.08 else p["birthdate"],
                phone=f"+1{p['phone']}" if kept["phone"] else None,
                address_line1=p["address_line1"].upper() if kept["address"] else None,
                city=p["city"], state_code=p["state"],
                postal_code=p["postal_code"] if kept["postal"] else None,
            )
        )  # fmt: skip
        held = cards.loc[cards["person_id"] == person_id, "scv_cardaccountid"]
        if len(held) and (not legacy or rng.random() < 0.3):
            links.append((held.iloc[0], system, record_id))
    card_links = pd.DataFrame(
        links, columns=["card_account_id", "source_system", "source_record_id"]
    )
    return candidates(*rows), card_links, truth


def test_splink_model_on_simulated_identities(tmp_path: Path) -> None:
    cands, card_links, truth = _simulated_identities(tmp_path)
    config = IdentityConfig(u_max_pairs=2e5)
    result = run(cands, card_links=card_links, config=config)

    assert result.model.trained
    assert set(result.model.parameters["comparison"]) == {
        "first_name", "last_name", "birth_date", "address_line1", "location", "email", "phone",
    }  # fmt: skip
    scores = evaluate_crosswalk(result.crosswalk, truth)
    assert scores["precision"] >= 0.97, scores
    assert scores["recall"] >= 0.9, scores

    explained = result.explanations
    assert (explained["match_probability"] >= config.match_threshold).all()
    accepted = explained[explained["status"] == ACCEPTED]
    assert len(accepted) >= 5, "the model should link records the rules miss"
    person = truth.assign(key=truth["source_system"] + "|" + truth["source_record_id"]).set_index(
        "key"
    )["person_id"]
    correct = (
        person.reindex(accepted["unique_id_l"]).to_numpy()
        == person.reindex(accepted["unique_id_r"]).to_numpy()
    )
    assert correct.mean() >= 0.9
    weights = [c for c in explained.columns if c.startswith("mw_")]
    total = explained["prior_match_weight"] + explained[weights].sum(axis=1)
    assert np.allclose(total, explained["match_weight"], atol=1e-6)
    splink_rows = result.crosswalk[result.crosswalk["match_rule"] == "splink"]
    assert splink_rows["match_probability"].between(config.match_threshold, 1).all()

    # the next run scores with the stored model instead of training: the same links
    trained = result.model.newly_trained
    assert trained is not None and trained.identities == len(cands)
    previous = as_previous(result)
    previous.model = trained
    again = run(cands, card_links=card_links, config=config, previous=previous)
    assert again.model.newly_trained is None
    assert again.model.provenance.startswith("scored by the model trained 2025-07-01 02:00")
    pd.testing.assert_frame_equal(again.crosswalk, result.crosswalk)
    pd.testing.assert_frame_equal(again.explanations, result.explanations)

    # the sample explanation is drawn once: the next run's same link reuses the chart
    key, chart = waterfall_markdown(result.explanations)
    assert "data:image/png;base64," in chart
    assert waterfall_markdown(again.explanations, (key, "the chart of the last run")) == (
        key, "the chart of the last run")  # fmt: skip
    moved = result.explanations.assign(match_weight=result.explanations["match_weight"] + 1)
    assert waterfall_markdown(moved, (key, "the chart of the last run"))[1].count("base64,") == 1
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        for resolved in (result, again):  # only a newly trained model is stored
            write_frames(con, output_writes(
                resolved.crosswalk, resolved.links, resolved.explanations, resolved.lineage,
                resolved.ambiguous, resolved.model.newly_trained,
            ))  # fmt: skip
        assert read_previous(con).model == trained
        assert con.execute(f"SELECT count(*) FROM {MODEL.sql}").fetchone() == (1,)


def test_a_stored_model_is_retrained_when_old_changed_or_outgrown() -> None:
    config = IdentityConfig(retrain_days=7, retrain_identity_change=0.05)
    digest = definition_digest(config)
    stored = TrainedModel(RESOLVED_AT, 1_000, digest, "{}")
    later = RESOLVED_AT + timedelta(days=6, hours=23)
    assert retrain_reason(stored, 1_050, digest, later, config) is None
    assert retrain_reason(None, 1_000, digest, later, config) == "no model trained yet"
    assert "1,000 to 1,051" in retrain_reason(stored, 1_051, digest, later, config)
    assert "1,000 to 940" in retrain_reason(stored, 940, digest, later, config)
    week = retrain_reason(stored, 1_000, digest, RESOLVED_AT + timedelta(days=7), config)
    assert week == "the model is 7.0 days old (retrained every 7)"
    assert "changed" in retrain_reason(stored, 1_000, "another", later, config)
    every_run = IdentityConfig(retrain_days=0)
    assert retrain_reason(stored, 1_000, definition_digest(every_run), RESOLVED_AT, every_run)
    assert digest != definition_digest(IdentityConfig(seed=7))


# --- Dagster: the asset, its metadata and the quality gate --------------------------------


def test_quality_gate_blocks_downstream_on_a_giant_cluster(tmp_path: Path) -> None:
    cands = candidates(
        *(identity("shop", f"S{i}", email="shared@mail.com") for i in range(3)),
        identity("d365", "c1", first_name="Al", last_name="Roy", email="al@mail.com"),
    )
    path = build_warehouse(tmp_path / "wh.duckdb", cands)
    identity_defs = build_identity_assets(IdentityConfig(max_cluster_size=2))

    @dg.asset(deps=[dg.AssetKey(["gold", "customer_crosswalk"])])
    def customer_360() -> None:
        """A downstream consumer of the crosswalk."""

    result = dg.materialize(
        [*identity_defs.assets, *identity_defs.asset_checks, customer_360],
        resources={"warehouse": DuckDBResource(database=str(path))},
        raise_on_error=False,
    )
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["identity_largest_cluster"].passed
    assert evaluations["identity_distinct_crm_contacts"].passed
    assert evaluations["identity_resolution_share"].passed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["gold", "customer_crosswalk"]) in materialized
    assert dg.AssetKey(["silver", "identity_id_lineage"]) in materialized
    assert dg.AssetKey(["customer_360"]) not in materialized  # blocked by the failed check
    crosswalk_event = next(
        e for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["gold", "customer_crosswalk"])
    )  # fmt: skip
    metadata = crosswalk_event.materialization.metadata
    assert metadata["identities"].value == 4
    assert "| comparison |" in metadata["model_parameters"].value or "No model" in (
        metadata["model_parameters"].value
    )
    # the warehouse is free again: dbt can open it in another process
    with duckdb.connect(str(path)) as con:
        assert con.execute(f"SELECT count(*) FROM {CROSSWALK.sql}").fetchone() == (4,)


def test_crm_contacts_check_needs_deterministic_evidence(tmp_path: Path) -> None:
    crosswalk = pd.DataFrame(
        {
            "source_system": ["d365", "d365", "legacy"],
            "source_record_id": ["c1", "c2", "L1"],
            "scv_customer_id": ["SCV-000000000001"] * 3,
            "match_rule": ["splink", "splink", "splink"],
            "match_probability": [0.95, 0.95, 0.97],
            "resolved_at": [RESOLVED_AT] * 3,
        }
    )
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        replace_table(con, CROSSWALK, crosswalk, CROSSWALK_COLUMNS)
        failed = check_distinct_crm_contacts(con)
        assert not failed.passed
        assert failed.metadata["customers_failing"].value == 1
        assert check_largest_cluster(con, IdentityConfig(max_cluster_size=3)).passed


# --- evaluation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clusters", "expected"),
    [
        (["A", "A", "B", "C"], {"precision": 1.0, "recall": 1 / 3}),
        (["A", "A", "A", "A"], {"precision": 3 / 6, "recall": 1.0}),
    ],
)
def test_evaluate_crosswalk_counts_pairs(clusters: list[str], expected: dict) -> None:
    keys = {"source_system": ["d365", "legacy", "shop", "shop"], "source_record_id": list("1234")}
    crosswalk = pd.DataFrame({**keys, "scv_customer_id": clusters})
    truth = pd.DataFrame({**keys, "person_id": ["P1", "P1", "P1", None]})
    scores = evaluate_crosswalk(crosswalk, truth)
    assert scores["precision"] == pytest.approx(expected["precision"], abs=1e-4)
    assert scores["recall"] == pytest.approx(expected["recall"], abs=1e-4)
