"""Disguised and forged names: each disguise is revealed, reported and still matches its listed name; honest
names in any script are left alone and reported as honest; names that identify no one are told apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.adapters.csl import load_cjk_aliases, load_list_file
from screening.domain.disguise import (
    BIDI,
    ESCAPE,
    INVISIBLE,
    MIXED_SCRIPT,
    MIXED_WIDTH,
    identifies_no_one,
    reveal,
)
from screening.domain.lists import ListEntry
from screening.domain.names import MatchThresholds, ScreeningLists, normalise

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "services" / "screening" / "data"
SHIPPED = DATA / "consolidated_2026-07-31.csv"
EVAL_SET = ROOT / "tests" / "eval" / "name_eval_set.jsonl"

HUAWEI = "Huawei Technologies Co., Ltd."


@pytest.fixture(scope="module")
def lists() -> ScreeningLists:
    loaded = load_list_file(SHIPPED)
    aliases = load_cjk_aliases((DATA / "cjk_names.csv").read_text(encoding="utf-8"))
    return ScreeningLists.build(loaded.entries, loaded.version, MatchThresholds(), extra_aliases=aliases)


# Each disguise: the name as sent, what a reader sees, what `reveal` reports, the plain name it hides.
DISGUISES = [
    pytest.param("Нuаwеі Тесhnоlоgіеѕ Со., Ltd.", HUAWEI, (MIXED_SCRIPT,), HUAWEI, id="cyrillic-lookalikes"),
    pytest.param("Ηυawei", "Huawei", (MIXED_SCRIPT,), "Huawei", id="greek-lookalikes"),
    pytest.param("һսаԝеі", "huawei", (MIXED_SCRIPT,), "Huawei", id="every-letter-cyrillic-and-armenian"),
    pytest.param(
        "Ѕеnѕеtіmе", "Sensetime", (MIXED_SCRIPT,), "Sensetime", id="cyrillic-in-every-letter-but-n-m"
    ),
    pytest.param("ІFLYТЕК", "IFLYTEK", (MIXED_SCRIPT,), "IFLYTEK", id="cyrillic-capitals"),
    pytest.param(
        "Hua\u3164wei Tech\u3164nologies",
        "Huawei Technologies",
        (INVISIBLE,),
        HUAWEI,
        id="hangul-filler-in-every-word",
    ),
    pytest.param(
        "Huawei\u3164Technologies\u3164Co.,\u3164Ltd.",
        "HuaweiTechnologiesCo.,Ltd.",
        (INVISIBLE,),
        HUAWEI,
        id="hangul-filler-for-spaces",
    ),
    pytest.param(
        "H\u200bu\u200ba\u200bw\u200be\u200bi",
        "Huawei",
        (INVISIBLE,),
        "Huawei",
        id="zero-width-between-letters",
    ),
    pytest.param(
        "Huawei\u200bTechnologies\u200bCo.,\u200bLtd.",
        "HuaweiTechnologiesCo.,Ltd.",
        (INVISIBLE,),
        HUAWEI,
        id="zero-width-for-spaces",
    ),
    pytest.param(
        "Hua\u115fwei\u1160 Tech\uffa0nologies",
        "Huawei Technologies",
        (INVISIBLE,),
        HUAWEI,
        id="other-hangul-fillers",
    ),
    pytest.param(
        "Hua\u2060wei\u00ad Tech\ufe0fnologies\U000e0041",
        "Huawei Technologies",
        (INVISIBLE,),
        HUAWEI,
        id="joiner-shy-selector-tag",
    ),
    pytest.param(
        "\u202eiewauH\u202c Technologies", "Huawei Technologies", (BIDI,), HUAWEI, id="right-to-left-override"
    ),
    pytest.param(
        "\u202eseigolonhceT iewauH", "Huawei Technologies", (BIDI,), HUAWEI, id="unterminated-override"
    ),
    pytest.param(
        "Huawei\u202a Technologies\u202c", "Huawei Technologies", (BIDI,), HUAWEI, id="embedding-in-latin"
    ),
    pytest.param(
        "&#72;&#x75;awei &#84;echnologies", "Huawei Technologies", (ESCAPE,), HUAWEI, id="html-numeric"
    ),
    pytest.param(
        "Huawei&nbsp;Technologies &amp; Co.",
        "Huawei\u00a0Technologies & Co.",
        (ESCAPE,),
        HUAWEI,
        id="html-named",
    ),
    pytest.param("Huawei%20Technologies%20Co.%2C%20Ltd.", HUAWEI, (ESCAPE,), HUAWEI, id="url-encoded"),
    pytest.param("%26%2372%3Buawei", "Huawei", (ESCAPE,), "Huawei", id="url-encoded-html-reference"),
    pytest.param(
        "%E2%80%AEiewauH%E2%80%AC Technologies",
        "Huawei Technologies",
        (ESCAPE, BIDI),
        HUAWEI,
        id="escaped-override",
    ),
    pytest.param("&#x41D;uawei", "Huawei", (ESCAPE, MIXED_SCRIPT), "Huawei", id="escaped-lookalike"),
]


@pytest.mark.parametrize(("sent", "shown", "tricks", "plain"), DISGUISES)
def test_each_disguise_is_revealed_and_reported(
    sent: str, shown: str, tricks: tuple[str, ...], plain: str
) -> None:
    revealed = reveal(sent)
    assert revealed.text == shown
    assert revealed.tricks == tricks
    assert revealed.disguised


@pytest.mark.parametrize(("sent", "shown", "tricks", "plain"), DISGUISES)
def test_each_disguise_still_matches_its_listed_name(
    lists: ScreeningLists, sent: str, shown: str, tricks: tuple[str, ...], plain: str
) -> None:
    expected = lists.index.match([plain])
    found = lists.index.match([sent])
    assert expected and found
    assert found[0].entry.entry_id == expected[0].entry.entry_id
    assert found[0].strong == expected[0].strong
    assert found[0].score == pytest.approx(expected[0].score)


def test_full_width_letters_are_read_as_letters_and_are_no_trick(lists: ScreeningLists) -> None:
    # Full-width forms are how Chinese and Japanese text writes Latin letters: normalised, not an alert.
    assert reveal("Ｈｕａｗｅｉ　Ｔｅｃｈｎｏｌｏｇｉｅｓ").tricks == ()
    hit = lists.index.match(["Ｈｕａｗｅｉ　Ｔｅｃｈｎｏｌｏｇｉｅｓ"])[0]
    assert hit.strong and "huawei" in hit.entry.name.casefold()


def test_full_and_ordinary_width_letters_in_one_word_are_a_trick(lists: ScreeningLists) -> None:
    # No keyboard writes "Ｈuａwei": a word mixing the two widths is made to look like the name.
    assert reveal("Ｈuａwei Technologies").tricks == (MIXED_WIDTH,)
    assert reveal("Ｈuаwei").tricks == (MIXED_SCRIPT, MIXED_WIDTH)  # with a Cyrillic "а" as well
    assert reveal("ＮＴＴ Docomo").tricks == ()  # words of one width each
    hit = lists.index.match(["Ｈuａwei Technologies"])[0]
    assert hit.strong and "huawei" in hit.entry.name.casefold()


def test_a_name_in_cyrillic_lookalikes_only_is_held_for_review() -> None:
    # "АВВ" is as likely a Russian spelling as a disguise of "ABB": its look-alike reading is searched
    # beside the transliteration, as an alternative (a hold at most), and no trick is reported.
    small = ScreeningLists.build([ListEntry("1", "EL", "ABB Kronshtadt")], "test")
    assert reveal("АВВ Кронштадт").tricks == ()
    assert normalise("АВВ Кронштадт").alternatives == (("abb", "kronshtadt"),)
    hits = small.index.match(["АВВ Кронштадт"])
    assert hits and not hits[0].strong
    assert small.index.match(["ABB Kronshtadt"])[0].strong


def test_a_mirrored_bracket_shows_as_on_screen() -> None:
    # Under a right-to-left override the run is drawn reversed and a bracket as its mirror image.
    assert reveal("\u202e(iewauH)\u202c").text == "(Huawei)"
    assert reveal("\u202e)iewauH(\u202c").text == ")Huawei("


def test_escapes_are_decoded_two_rounds_at_most() -> None:
    assert reveal("%2526amp%253B").text == "&amp;"  # three rounds deep: the third is left
    assert reveal("%2526amp%253B").tricks == (ESCAPE,)


# -- honest names -------------------------------------------------------------------------------------------

HONEST = [
    "ПАО Сбербанк",
    "ПАО «Газпром»",
    "ООО «Яндекс»",
    "ПАО «МТС»",
    "АО «Российские железные дороги»",
    "ООО Ромашка",
    "ООО Romashka",
    "ТОО «Kaspi Магазин»",
    "ПрАТ «Київстар»",
    "Български пощи ЕАД",
    "Телеком Србија",
    "Монгол Улсын Хөгжлийн Банк",
    "Εθνική Τράπεζα της Ελλάδος",
    "ΟΤΕ Α.Ε.",
    "ΟΤΕ Group",
    "ΔΕΗ",
    "Հայաստանի էլեկտրական ցանցեր",
    "საქართველოს ბანკი",
    "شركة الزيت العربية السعودية",
    "طيران الإمارات",
    "ایران\u200cخودرو",
    "شرکت ملی نفت ایران",
    'בנק לאומי לישראל בע"מ',
    "טבע\u200f תעשיות פרמצבטיות",
    "\u202bטבע Teva\u202c",
    "טבע \u2067Teva\u2069",
    "टाटा मोटर्स",
    "क्\u200dष उद्योग",
    "রিলায়েন্স",
    "டாடா ஸ்டீல்",
    "บริษัท ปตท. จำกัด (มหาชน)",
    "华为技术有限公司",
    "中芯国际集成电路制造有限公司",
    "騰訊控股有限公司",
    "ＴＣＬ科技集团股份有限公司",
    "京东方科技集团股份有限公司",
    "トヨタ自動車株式会社",
    "株式会社ＮＴＴドコモ",
    "三菱ＵＦＪ銀行",
    "葛\U000e0100飾商事株式会社",
    "삼성전자 주식회사",
    "LG전자",
    "SK하이닉스",
    "Pizza 🍕 Co",
    "👨\u200d👩\u200d👧 Family Store",
    "☕\ufe0f Coffee House",
    "Tập đoàn Công nghiệp - Viễn thông Quân đội",
    "Türk Hava Yolları",
    "Citroe\u0308n",
    "Wuhan\u00a0eoptics Technology",
    "AT&T",
    "Johnson & Johnson",
    "100% Natural Foods",
    "Barnes &amp Noble",
    "M&S",
    "Procter & Gamble",
]


@pytest.mark.parametrize("name", HONEST)
def test_honest_names_in_any_script_are_not_reported(name: str) -> None:
    assert reveal(name).tricks == ()


def test_honest_non_latin_names_keep_their_reading() -> None:
    assert normalise("ООО Ромашка").tokens == ("romashka",)
    assert normalise("ООО Romashka").tokens == ("romashka",)
    assert normalise("华为技术有限公司").tokens == ("huawei", "technology")
    assert reveal("ПАО Сбербанк").text == "ПАО Сбербанк"
    assert reveal("ایران\u200cخودرو").text == "ایرانخودرو"  # removed for matching, but not an alert


def test_no_listed_or_evaluation_name_is_reported_as_disguised() -> None:
    names = [name for entry in load_list_file(SHIPPED).entries for name in entry.names]
    with EVAL_SET.open(encoding="utf-8") as handle:
        names += [json.loads(line)["query"] for line in handle if line.strip()]
    flagged = [name for name in names if reveal(name).tricks]
    assert len(names) > 55_000
    assert flagged == []


# -- names that identify no one ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        ".",
        "-",
        "?",
        "...",
        "\u200b",
        "\u3164",
        "TBD",
        "N/A",
        "n.a.",
        "unknown",
        "None",
        "null",
        "test",
        "TBD Ltd.",
        "Unknown Co., Ltd.",
        "XXX",
        "Co., Ltd.",
        "LLC",
        "GmbH",
        "S.A. de C.V.",
        "AG",
        "有限公司",
        "ООО",
        "The",
        "To be determined",
        "Customer",
        "&#84;&#66;&#68;",
    ],
)
def test_placeholders_and_legal_forms_alone_identify_no_one(name: str) -> None:
    assert identifies_no_one(name)


@pytest.mark.parametrize(
    "name",
    [
        "X Corp.",
        "3M",
        "AAA",
        "1&1",
        "Huawei",
        "ООО Ромашка",
        "华为",
        "Party City",
        "Test Valley Foods Ltd",
        "12345",
    ],
)
def test_real_names_identify_someone(name: str) -> None:
    assert not identifies_no_one(name)


def test_no_unlisted_evaluation_company_is_taken_for_a_placeholder() -> None:
    with EVAL_SET.open(encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle if line.strip()]
    assert [case["query"] for case in cases if identifies_no_one(case["query"])] == []
