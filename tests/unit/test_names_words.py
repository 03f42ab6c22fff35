"""The name matcher's word tables are data: loaded from the files beside the CSL snapshot, checked, and
versioned."""

from __future__ import annotations

import tomllib

import pytest

from screening.adapters.name_words import NameWordsError, name_words_digest, parse_name_words
from screening.domain import names
from screening.domain.names import NameWords, install_words, normalise
from screening.resources import data_path, load_name_words, screening_version


def _files() -> tuple[bytes, bytes, bytes]:
    return (
        data_path("name_words.toml").read_bytes(),
        data_path("han_words.csv").read_bytes(),
        data_path("common_words.txt").read_bytes(),
    )


def test_shipped_tables_load_and_hold_what_the_matcher_reads() -> None:
    words = load_name_words()
    assert {"limited", "gmbh", "ooo"} <= words.legal_words
    assert words.abbreviations["tech"] == "technology"
    assert ("joint", "stock", "company") in words.legal_phrases
    assert words.han_words["有限公司"] == ""
    assert words.han_words["理工大学"].split("|")[0] == "university science technology"
    assert words.traditional["訊"] == "讯"
    assert words.cyrillic["ж"] == "zh"
    assert normalise("SENSETIME TECH DEV CO LTD").tokens == ("sensetime", "technology", "development")
    assert normalise("北京市商汤科技开发有限公司").tokens == (
        "beijing",
        "shangtang",
        "technology",
        "development",
    )
    assert normalise("ООО Ромашка").tokens == ("romashka",)
    # A place of the Chinese table is a place however the name is written.
    assert words.han_words["华中"] == "huazhong"
    assert {"huazhong", "luoyang"} <= words.places
    assert names.token_kind("huazhong") == "place"
    assert {"target", "palm", "golden"} <= words.common_words and "huawei" not in words.common_words


def test_installed_tables_decide_what_a_word_is() -> None:
    words_toml, _, _ = _files()
    table = tomllib.loads(words_toml.decode("utf-8"))
    table["legal_forms"]["words"].append("acmeform")
    han_rows = [{"chinese": "有限公司", "english": ""}, {"chinese": "科技", "english": "technology"}]
    try:
        install_words(NameWords.from_tables(table, han_rows, ["zeta"]))
        assert normalise("Zeta Acmeform").tokens == ("zeta",)
        assert normalise("北京科技有限公司").tokens[-1] == "technology"
    finally:
        install_words(load_name_words())
    assert normalise("Zeta Acmeform").tokens == ("zeta", "acmeform")


def test_malformed_tables_are_refused_with_the_table_named() -> None:
    words_toml, han_csv, common_txt = _files()
    with pytest.raises(NameWordsError, match=r"name_words\.toml"):
        parse_name_words(b"[legal_forms\nwords = 1", han_csv, common_txt)
    broken = words_toml.replace(b"[abbreviations]", b"[abbreviation]")
    with pytest.raises(NameWordsError, match=r"\[abbreviations\]"):
        parse_name_words(broken, han_csv, common_txt)
    with pytest.raises(NameWordsError, match=r"han_words\.csv"):
        parse_name_words(words_toml, b"hanzi,meaning\n", common_txt)
    with pytest.raises(NameWordsError, match=r"common words"):
        parse_name_words(words_toml, han_csv, b"# only a comment\n")
    with pytest.raises(NameWordsError, match=r"common words"):
        parse_name_words(words_toml, han_csv, b"Target\n")


def test_the_tables_hash_is_part_of_the_lists_version() -> None:
    files = _files()
    version = screening_version("csl:2026-07-31:abc")
    assert version.endswith(f"+words:{name_words_digest(*files)}")
    words_toml, han_csv, common_txt = files
    assert name_words_digest(words_toml + b"\n# changed\n", han_csv, common_txt) != name_words_digest(*files)
    assert name_words_digest(words_toml, han_csv, common_txt + b"zebra\n") != name_words_digest(*files)


def test_names_py_holds_the_algorithm_not_the_tables() -> None:
    # The tables live in the data files; the module starts empty and is filled by `install_words`.
    source = (data_path("..") / "domain" / "names.py").read_text(encoding="utf-8")
    assert '"technology": ' not in source and '"股份有限公司"' not in source
    assert len(source.splitlines()) < 1800
    assert names._LEGAL_TOKENS  # installed by screening.resources
