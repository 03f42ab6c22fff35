"""Name normalisation and matching against the shipped Consolidated Screening List snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.adapters.csl import (
    ListFormatError,
    combine,
    load_cjk_aliases,
    load_list_file,
    parse_list_bytes,
)
from screening.domain.names import MatchThresholds, NameIndex, ScreeningLists, normalise

SHIPPED = (
    Path(__file__).resolve().parents[2] / "services" / "screening" / "data" / "consolidated_2026-07-31.csv"
)


@pytest.fixture(scope="module")
def lists() -> ScreeningLists:
    loaded = load_list_file(SHIPPED)
    return ScreeningLists.build(loaded.entries, loaded.version, MatchThresholds(strong=0.92, weak=0.80))


def best(lists: ScreeningLists, name: str, country: str | None = None):
    hits = lists.index.match([name], country=country)
    return hits[0] if hits else None


# -- normalisation --------------------------------------------------------------------------------------


def test_normalise_drops_legal_forms_and_expands_abbreviations() -> None:
    assert normalise("SENSETIME TECH DEV CO LTD").tokens == ("sensetime", "technology", "development")
    assert normalise("Beijing Sensetime Technology Development Co., Ltd.").tokens == (
        "beijing",
        "sensetime",
        "technology",
        "development",
    )


def test_normalise_drops_russian_legal_forms() -> None:
    assert normalise("OOO Romashka").tokens == ("romashka",)
    assert normalise('Obshchestvo s Ogranichennoi Otvetstvennostiu "Romashka"').tokens == ("romashka",)
    assert normalise("AO Kronshtadt").tokens == ("kronshtadt",)
    assert normalise("ООО Ромашка").tokens == ("romashka",)


def test_normalise_translates_chinese_business_words_and_joins_pinyin_of_the_name() -> None:
    assert normalise("北京市商汤科技开发有限公司").tokens == (
        "beijing",
        "shangtang",
        "technology",
        "development",
    )
    assert normalise("海光信息技术股份有限公司").tokens == ("haiguang", "information", "technology")


def test_normalise_reads_pinyin_legal_forms_and_business_words() -> None:
    assert normalise("Haiguang Xinxi Jishu Youxian Gongsi").tokens == (
        "haiguang",
        "information",
        "technology",
    )


def test_normalise_survives_mangled_legal_forms() -> None:
    assert normalise("ZOELLA TRADINGLIMITED").tokens == ("zoella", "trading")
    assert normalise("MOBIN PETROCHEMICAL COMPNY").tokens == ("mobin", "petrochemical")


# -- SenseTime and the examples ---------------------------------------------------------------------

SENSETIME_EL = "Beijing Sensetime Technology Development Co., Ltd."


@pytest.mark.parametrize(
    "name",
    [
        "Beijing SenseTime Technology Development Co., Ltd.",
        "Beijing Shangtang Technology Development",
        "Sense Time",
        "SENSETIME TECH DEV CO LTD",
        "北京市商汤科技开发有限公司",
    ],
)
def test_finds_sensetime_under_each_of_its_names(lists: ScreeningLists, name: str) -> None:
    hit = best(lists, name)
    assert hit is not None
    assert hit.entry.name == SENSETIME_EL
    assert hit.entry.source == "EL"
    assert hit.strong


def test_chinese_sensetime_reaches_the_listed_pinyin_alias(lists: ScreeningLists) -> None:
    hit = best(lists, "北京市商汤科技开发有限公司")
    assert hit is not None
    assert hit.matched_name == "Beijing Shangtang Technology Development Co., Ltd."


@pytest.mark.parametrize("name", ["iFlyTek", "iFLYTEK CO., LTD.", "IFLYTEK", "iflytek ltd"])
def test_single_word_entry_matches_its_spellings(lists: ScreeningLists, name: str) -> None:
    hit = best(lists, name)
    assert hit is not None and hit.entry.name == "IFLYTEK" and hit.strong


@pytest.mark.parametrize(
    ("name", "entry", "matched"),
    [
        ("北京壁仞科技开发有限公司", "Beijing Biren Technology Development Co., Ltd.", None),
        ("海光信息技术股份有限公司", "Higon", "Haiguang Xinxi Jishu Youxian Gongsi"),
        ("北京算能科技有限公司", "Sophgo Technologies Ltd.", "Beijing Suanneng Technology Co., Ltd"),
    ],
)
def test_chinese_character_names_reach_listed_english_and_pinyin_forms(
    lists: ScreeningLists, name: str, entry: str, matched: str | None
) -> None:
    hit = best(lists, name)
    assert hit is not None and hit.strong
    assert hit.entry.name == entry
    assert hit.matched_name == (matched or entry)


@pytest.mark.parametrize("name", ["华勤技术股份有限公司", "联想集团有限公司"])
def test_unlisted_chinese_companies_match_nothing(lists: ScreeningLists, name: str) -> None:
    assert lists.index.match([name]) == []


def test_normalise_reads_numbered_units_and_ordinals_as_numbers() -> None:
    assert normalise("中国电子科技集团公司第十四研究所").tokens == (
        "china",
        "electronic",
        "technology",
        "group",
        "14",
        "research",
        "institute",
    )
    assert "701" in normalise("中国船舶重工集团公司第七〇一研究所").tokens
    assert normalise("CETC 14th Research Institute").tokens == ("cetc", "14", "research", "institute")
    assert normalise("China Electronics Technology Group Corporation No. 28 Institute").tokens[-2:] == (
        "28",
        "institute",
    )


def test_normalise_gives_each_rendering_of_an_ambiguous_chinese_word() -> None:
    name = normalise("北京理工大学")
    assert name.tokens == ("beijing", "university", "science", "technology")
    assert name.alternatives == (("beijing", "institute", "technology"),)
    assert normalise("Beijing Institute of Technology").alternatives == ()


@pytest.mark.parametrize(
    ("name", "matched"),
    [
        ("北京邮电大学", "Beijing University of Posts and Telecommunications (BUPT)"),
        ("南京航空航天大学", "Nanjing University of Aeronautics and Astronautics"),
        ("中国工程物理研究院", "Chinese Academy of Engineering Physics"),
        ("国家超级计算无锡中心", "National Supercomputing Center Wuxi"),
        (
            "中国电子科技集团公司第十四研究所",
            "China Electronics Technology Group Corporation 14th Research Institute (CETC 14)",
        ),
    ],
)
def test_chinese_institution_words_reach_the_listed_english_name(
    lists: ScreeningLists, name: str, matched: str
) -> None:
    hit = best(lists, name, country="CN")
    assert hit is not None and hit.matched_name == matched


def test_a_numbered_institute_is_a_strong_match_and_another_number_is_not(lists: ScreeningLists) -> None:
    hit = best(lists, "中国电子科技集团公司第十四研究所")
    assert hit is not None and hit.strong
    assert "CETC 14" in hit.entry.name
    # The list carries no 15th institute: the number is the identity, the shared words are not.
    assert not any(other.strong for other in lists.index.match(["中国电子科技集团公司第十五研究所"]))


def test_a_name_reached_through_an_alternative_translation_is_held_not_denied(lists: ScreeningLists) -> None:
    # "理工大学" is "Institute of Technology" here; the primary rendering says "University of Science and
    # Technology", so the hit comes from the alternative and is held for review.
    hit = best(lists, "北京理工大学", country="CN")
    assert hit is not None and hit.matched_name == "Beijing Institute of Technology"
    assert not hit.strong and hit.why["rendering"].startswith("alternative translation")
    # "工业大学" read as "Institute of Technology" would be Beijing Institute of Technology too: Beijing
    # University of Technology is not on the list, and an alternative reading never denies it.
    assert not any(other.strong for other in lists.index.match(["北京工业大学"], country="CN"))


def test_a_bracketed_acronym_is_not_needed_to_match(lists: ScreeningLists) -> None:
    hit = best(lists, "Beijing University of Posts and Telecommunications")
    assert hit is not None and hit.strong
    assert hit.matched_name == "Beijing University of Posts and Telecommunications (BUPT)"


def test_city_qualifier_position_does_not_matter(lists: ScreeningLists) -> None:
    hit = best(lists, "Beijing Moore Thread Intelligent Technology Co., Ltd.")
    assert hit is not None and hit.strong
    assert hit.entry.name == "Moore Thread Intelligent Technology (Beijing) Co., Ltd."


def test_word_order_of_a_person_name_does_not_matter(lists: ScreeningLists) -> None:
    listed = next(entry for entry in lists.entries if entry.entry_type == "Individual" and "," in entry.name)
    last, _, first = listed.name.partition(",")
    hit = best(lists, f"{first.strip()} {last.strip()}")
    assert hit is not None and hit.entry.entry_id == listed.entry_id


def test_typo_in_a_distinctive_word_still_matches(lists: ScreeningLists) -> None:
    hit = best(lists, "Beijing Sensetmie Technology Development Co Ltd")
    assert hit is not None and hit.entry.name == SENSETIME_EL


@pytest.mark.parametrize(
    "name",
    ["Beijing Technology Co., Ltd.", "Shanghai Intelligent Technology Development Co., Ltd.", "China Group"],
)
def test_generic_words_alone_are_never_a_strong_match(lists: ScreeningLists, name: str) -> None:
    assert not any(hit.strong for hit in lists.index.match([name]))


def test_one_shared_word_with_more_words_around_is_not_strong(lists: ScreeningLists) -> None:
    assert not any(hit.strong for hit in lists.index.match(["Sugon Cloud Logistics Partners"]))


@pytest.mark.parametrize(
    "name",
    [
        "Tencent Holdings Limited",
        "Alibaba Group Holding Limited",
        "Baidu, Inc.",
        "ByteDance Ltd.",
        "Lenovo Group Limited",
        "Xiaomi Corporation",
        "Keysight Technologies",
    ],
)
def test_unlisted_companies_are_left_alone(lists: ScreeningLists, name: str) -> None:
    assert not any(hit.strong for hit in lists.index.match([name]))


def test_huawei_technologies_is_found_on_the_entity_list_and_cmic(lists: ScreeningLists) -> None:
    hits = [hit for hit in lists.index.match(["Huawei Technologies Co., Ltd."], limit=10) if hit.strong]
    assert {"EL", "CMIC"} <= {hit.entry.source for hit in hits}
    assert any(hit.entry.name.startswith("Huawei Technologies Co., Ltd.") for hit in hits)


def test_country_is_supporting_evidence_only(lists: ScreeningLists) -> None:
    same = best(lists, "Sense Time", country="CN")
    other = best(lists, "Sense Time", country="US")
    assert same is not None and other is not None
    assert same.score >= other.score
    assert other.strong  # a different country never undoes a strong name match
    assert same.why["country"] == "supports" and other.why["country"] == "differs"


def test_hits_are_one_per_entry_best_first_and_explained(lists: ScreeningLists) -> None:
    hits = lists.index.match(["Sense Time", "Beijing Shangtang Technology Development"], limit=10)
    ids = [hit.entry.entry_id for hit in hits]
    assert len(ids) == len(set(ids))
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    why = hits[0].why
    assert why["matched"] and {"query", "listed", "similarity", "weight", "kind"} <= set(why["matched"][0])
    assert "unmatched_query" in why and "unmatched_listed" in why


def test_only_hits_at_or_above_the_weak_threshold_are_returned(lists: ScreeningLists) -> None:
    for hit in lists.index.match(["Moore Threads Shanghai"], limit=20):
        assert hit.score >= lists.index.thresholds.weak
        assert hit.strong == (hit.score >= lists.index.thresholds.strong)


def test_repeated_queries_are_answered_from_the_cache(lists: ScreeningLists) -> None:
    first = lists.index.match(["Sugon"])
    size = lists.index.cache_info()["size"]
    assert lists.index.match(["SUGON"]) == [
        hit.__class__(**{**{f: getattr(hit, f) for f in hit.__slots__}, "query": "SUGON"}) for hit in first
    ]
    assert lists.index.cache_info()["size"] == size


def test_small_index_works_without_the_shipped_list() -> None:
    loaded = parse_list_bytes(
        b"_id,source,name,alt_names,addresses\n"
        b'a,Entity List (EL) - Bureau of Industry and Security,Acme Rocket Works,ARW,"Moscow, RU"\n',
        "tiny.csv",
    )
    index = NameIndex.build(loaded.entries)
    hit = index.match(["ACME ROCKET WORKS LLC"], country="RU")[0]
    assert hit.entry.source == "EL" and hit.strong and hit.entry.countries == ("RU",)


# -- the list loader ----------------------------------------------------------------------------------------


def test_loads_the_official_csv_layout_with_version(lists: ScreeningLists) -> None:
    assert len(lists.entries) == 25_921
    assert lists.version.startswith("csl:2026-07-31:") and len(lists.version.split(":")[2]) == 12
    sensetime = next(entry for entry in lists.entries if entry.name == SENSETIME_EL)
    assert sensetime.source == "EL"
    assert sensetime.alt_names == ("Beijing Shangtang Technology Development Co., Ltd.", "Sense Time")
    assert sensetime.countries == ("CN",)


def test_loads_the_compact_json_with_the_same_entry_ids(tmp_path: Path) -> None:
    compact = {
        "sourceGeneratedAt": "2026-07-31T13:15:00+00:00",
        "tables": {"sources": ["Entity List (EL) - Bureau of Industry and Security"], "programmes": []},
        "entries": [{"n": "IFLYTEK", "a": ["iFlytek Co."], "s": 0, "c": ["CN"], "fr": "84 FR 54002"}],
    }
    path = tmp_path / "screening-list.json"
    path.write_bytes(json.dumps(compact).encode())
    loaded = load_list_file(path)
    entry = loaded.entries[0]
    assert (entry.name, entry.source, entry.alt_names, entry.countries) == (
        "IFLYTEK",
        "EL",
        ("iFlytek Co.",),
        ("CN",),
    )
    assert loaded.version.startswith("csl:2026-07-31:")
    csv_ids = {entry.entry_id for entry in load_list_file(SHIPPED).entries if entry.name == "IFLYTEK"}
    assert entry.entry_id in csv_ids


def test_loads_trade_gov_results_json() -> None:
    document = {
        "results": [
            {
                "id": "x1",
                "name": "Beijing Biren Technology Development Co., Ltd.",
                "alt_names": ["Biren"],
                "source": "Entity List (EL) - Bureau of Industry and Security",
                "addresses": [{"address": "Wangjing", "city": "Beijing", "country": "CN"}],
                "programs": [],
                "type": "Entity",
            }
        ]
    }
    loaded = parse_list_bytes(json.dumps(document).encode(), "consolidated.json")
    entry = loaded.entries[0]
    assert (entry.entry_id, entry.source, entry.countries, entry.alt_names) == (
        "x1",
        "EL",
        ("CN",),
        ("Biren",),
    )
    assert loaded.version.startswith("csl:unknown:")


def test_combined_lists_join_their_versions() -> None:
    first = parse_list_bytes(
        b"_id,source,name\na,Entity List (EL) - Bureau of Industry and Security,A Co\n", "a.csv"
    )
    second = parse_list_bytes(
        b"_id,source,name\nb,Unverified List (UVL) - Bureau of Industry and Security,B\n", "b.csv"
    )
    entries, version = combine([first, second])
    assert [entry.source for entry in entries] == ["EL", "UVL"]
    assert version == f"{first.version}+{second.version}"


# -- supplemental Chinese names (data/cjk_names.csv) ------------------------------------------------------

CJK_NAMES = SHIPPED.parent / "cjk_names.csv"


@pytest.fixture(scope="module")
def lists_with_table() -> ScreeningLists:
    loaded = load_list_file(SHIPPED)
    aliases = load_cjk_aliases(CJK_NAMES.read_text(encoding="utf-8"))
    return ScreeningLists.build(loaded.entries, loaded.version, MatchThresholds(), extra_aliases=aliases)


@pytest.mark.parametrize(
    ("brand", "group", "subsidiary", "subsidiary_strong"),
    [
        ("商汤科技", "Sensetime Group Limited", SENSETIME_EL, False),
        ("Shangtang Technology Group", "Sensetime Group Limited", SENSETIME_EL, False),
        ("商汤科技集团", "Sensetime Group Limited", SENSETIME_EL, False),
        # "旷视科技" is also the Beijing company's registered name without its city: a hit there too (held at
        # the shipped strong threshold, 0.95), as any such short form of a registered name is, yet below the
        # group's.
        ("旷视科技", "Megvii Technology Limited", "Megvii Technology", False),
    ],
)
def test_a_group_brand_reaches_the_group_not_its_listed_subsidiary(
    lists_with_table: ScreeningLists, brand: str, group: str, subsidiary: str, subsidiary_strong: bool
) -> None:
    # The Entity List names the groups' operating subsidiaries; the groups are on the CMIC list only. The
    # brand is the group's: the table maps it there, and the subsidiary is a weaker hit at most.
    hits = lists_with_table.index.match([brand])
    assert hits[0].entry.name == group and hits[0].entry.source == "CMIC" and hits[0].strong
    (on_the_entity_list,) = [hit for hit in hits if hit.entry.name == subsidiary]
    assert on_the_entity_list.score < hits[0].score
    assert on_the_entity_list.strong is subsidiary_strong


def test_no_table_row_points_a_group_brand_at_a_listed_subsidiary() -> None:
    aliases = load_cjk_aliases(CJK_NAMES.read_text(encoding="utf-8"))
    on_a_subsidiary = {
        (chinese, listed)
        for listed, names in aliases.items()
        for chinese in names
        if listed in (SENSETIME_EL, "Megvii Technology", "Yitu Technologies")
    }
    # Only the subsidiaries' registered names (with their city) remain mapped to them.
    assert {chinese for chinese, _ in on_a_subsidiary} == {
        "北京市商汤科技开发有限公司",
        "北京旷视科技有限公司",
        "上海依图网络科技有限公司",
    }


def test_the_registered_name_of_a_listed_subsidiary_still_reaches_it(
    lists_with_table: ScreeningLists,
) -> None:
    for registered, entry in [
        ("北京市商汤科技开发有限公司", SENSETIME_EL),
        ("北京旷视科技有限公司", "Megvii Technology"),
        ("上海依图网络科技有限公司", "Yitu Technologies"),
    ]:
        hit = best(lists_with_table, registered)
        assert hit is not None and hit.strong and hit.entry.name == entry and hit.entry.source == "EL"


def test_every_supplemental_chinese_name_belongs_to_a_listed_name() -> None:
    listed = {name for entry in load_list_file(SHIPPED).entries for name in entry.names}
    aliases = load_cjk_aliases(CJK_NAMES.read_text(encoding="utf-8"))
    assert aliases and not set(aliases) - listed


def test_chinese_brand_name_finds_iflytek_through_the_table_and_says_so(
    lists_with_table: ScreeningLists,
) -> None:
    hit = best(lists_with_table, "科大讯飞", country="CN")
    assert hit is not None and hit.strong
    assert hit.entry.name == "IFLYTEK"
    assert hit.matched_name == "科大讯飞股份有限公司"
    assert hit.why["name_source"] == "supplemental"
    assert hit.why["note"] == "matched supplemental Chinese name"
    evidence = hit.evidence()
    assert evidence["entry_name"] == "IFLYTEK" and evidence["matched_name"] == "科大讯飞股份有限公司"


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("科大訊飛股份有限公司", "IFLYTEK"),  # traditional characters
        ("海康威視", "Hangzhou Hikvision Digital Technology Co., Ltd."),
        ("北京旷视科技 有限公司", "Megvii Technology"),  # spacing before the legal form
        ("哈尔滨工业大学", "Harbin Institute of Technology"),
    ],
)
def test_forms_of_table_names_reach_the_listed_entry(
    lists_with_table: ScreeningLists, name: str, entry: str
) -> None:
    hit = best(lists_with_table, name)
    assert hit is not None and hit.strong and hit.entry.name == entry


def test_without_the_table_a_chinese_brand_name_is_not_reached(lists: ScreeningLists) -> None:
    # Transliteration gives "kedaxunfei"; nothing on the list is spelt so. The table is what bridges it.
    assert lists.index.match(["科大讯飞"]) == []


def test_a_name_not_in_the_table_still_goes_through_transliteration(lists_with_table: ScreeningLists) -> None:
    hit = best(lists_with_table, "上海壁仞智能科技有限公司")
    assert hit is not None and hit.strong
    assert hit.entry.name == "Shanghai Biren Intelligent Technology Co., Ltd."
    assert "name_source" not in hit.why  # a name from the list itself


def test_unlisted_chinese_companies_match_nothing_with_the_table(lists_with_table: ScreeningLists) -> None:
    assert lists_with_table.index.match(["华勤技术股份有限公司"]) == []
    assert lists_with_table.index.match(["联想集团有限公司"]) == []


def test_the_alias_table_loader_rejects_other_tables() -> None:
    with pytest.raises(ListFormatError):
        load_cjk_aliases("name,source\nX,Y\n")
    assert load_cjk_aliases(
        "# comment\nchinese_name,listed_name,notes\n华为,Huawei,short\n华为,Huawei,dup\n"
    ) == {"Huawei": ["华为"]}


# -- general repairs: legal forms, spacing, short typos -------------------------------------------------


def test_normalise_reads_spanish_and_glued_legal_forms() -> None:
    assert normalise("MAQUINAS EDJA, S.A. DE C.V.").tokens == ("maquinas", "edja")
    assert normalise("maquinas edja sa de cv").tokens == ("maquinas", "edja")
    assert normalise("Obshchestvo S OgranichennoiOtvetstvennostyu 'Gazprom Personal'").tokens == (
        "gazprom",
        "personal",
    )


def test_normalise_segments_chinese_from_the_end_and_folds_traditional_characters() -> None:
    assert normalise("龙芯中科技术股份有限公司").tokens == ("longxinzhongke", "technology")
    assert normalise("長江存儲科技有限責任公司").tokens == normalise("长江存储科技有限责任公司").tokens


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("SD-MBANK PAO", "SDM-BANK PUBLIC JOINT STOCK COMPANY"),
        ("REALTEKSEMI-CONDUCTOR CO. LTD", "REALTEK SEMI-CONDUCTOR CO. LTD"),
    ],
)
def test_a_name_spaced_differently_is_the_same_name(lists: ScreeningLists, name: str, entry: str) -> None:
    hit = best(lists, name)
    assert hit is not None and hit.strong and hit.entry.name == entry
    assert "spacing" in hit.why


def test_glued_and_or_co_is_cut_off(lists: ScreeningLists) -> None:
    hit = best(lists, "Riviera Sunrise Resortand Spa")
    assert hit is not None and hit.strong and hit.entry.name.upper() == "RIVIERA SUNRISE RESORT & SPA"


def test_one_slip_in_a_short_listed_word_is_held_but_the_word_as_written_ranks_first(
    lists: ScreeningLists,
) -> None:
    slipped = best(lists, "BERNARD A. SEAR")
    assert slipped is not None and slipped.entry.name == "BERNARD A. SPEAR" and not slipped.strong
    exact = best(lists, "BERNARD A. SPEAR")
    assert exact is not None and exact.strong and exact.score > slipped.score
