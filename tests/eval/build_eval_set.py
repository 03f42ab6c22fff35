"""Build the name-matching evaluation set from the shipped CSL snapshot and real unlisted company names.

Deterministic (seeded). Writes `tests/eval/name_eval_set.jsonl`, one case per line:
- positives `{"kind": "variant", "variant": <how made>, "query": ..., "country": ..., "expected": [ids]}`:
  a real CSL name changed by a typo, a legal-form change, abbreviations, word order, spacing, case and
  punctuation, an alias, or written in Chinese characters (a hand-made table of real Chinese names of listed
  companies). `expected` holds the entry the variant was made from plus entries with the very same name
  (the matcher cannot tell those apart).
- negatives `{"kind": "negative", "query": ..., "country": null, "source": ...}`: real companies from
  Wikidata ownership edges and the FtM sample in `tests/eval/data/`, dropped when their name is on the list
  (exact comparison after a simple normalisation independent of the matcher) or contains a listed name.

Run: `.venv/bin/python tests/eval/build_eval_set.py` (regenerates the JSONL; commit it).
"""

from __future__ import annotations

import csv
import json
import random
import re
import string
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CSL = ROOT / "services" / "screening" / "data" / "consolidated_2026-07-31.csv"
DATA = HERE / "data"
OUT = HERE / "name_eval_set.jsonl"
SEED = 20260731
POSITIVES = 1300
NEGATIVES = 1300

# Real Chinese registered names of listed companies, with the listed name they belong to (hand-made).
CHINESE = [
    ("北京市商汤科技开发有限公司", "Beijing Sensetime Technology Development Co., Ltd."),
    ("北京壁仞科技开发有限公司", "Beijing Biren Technology Development Co., Ltd."),
    ("上海壁仞智能科技有限公司", "Shanghai Biren Intelligent Technology Co., Ltd."),
    ("杭州壁仞科技开发有限公司", "Hangzhou Biren Technology Development Co., Ltd."),
    ("上海壁仞信息科技有限公司", "Shanghai Biren Information Technology Co., Ltd."),
    ("海光信息技术股份有限公司", "Higon"),
    ("北京算能科技有限公司", "Sophgo Technologies Ltd."),
    ("青岛算能科技有限公司", "Qingdao Sophgo Technology Co., Ltd."),
    ("武汉算能科技有限公司", "Wuhan Suanneng Technology Co., Ltd."),
    ("厦门算能科技有限公司", "Xiamen Sophgo Technologies Limited"),
    ("中科曙光", "Sugon"),
    ("曙光信息产业股份有限公司", "Sugon"),
    ("摩尔线程智能科技(北京)有限责任公司", "Moore Thread Intelligent Technology (Beijing) Co., Ltd."),
    ("摩尔线程智能科技(上海)有限责任公司", "Moore Thread Intelligent Technology (Shanghai) Co., Ltd."),
    ("成都海光集成电路设计有限公司", "Chengdu Haiguang Integrated Circuit"),
    ("成都海光微电子技术有限公司", "Chengdu Haiguang Microelectronics Technology"),
    ("天津飞腾信息技术有限公司", "Tianjin Phytium Information Technology"),
    ("长江存储科技有限责任公司", "Yangtze Memory Technologies Co., Ltd."),
    ("中国电子科技集团公司", "China Electronics Technology Group Corporation"),
    ("中国航天科技集团有限公司", "China Aerospace Science and Technology Corporation"),
    ("中国移动通信集团有限公司", "China Mobile Communications Group Co., Ltd."),
    ("中国电信集团有限公司", "China Telecommunications Corporation"),
    ("中国联合网络通信集团有限公司", "China United Network Communications Group Co., Ltd."),
    ("浪潮电子信息产业股份有限公司", "Inspur Electronic Information Industry Co., Ltd."),
    ("浪潮(北京)电子信息产业有限公司", "Inspur (Beijing) Electronic Information Industry Co., Ltd."),
    ("中科寒武纪科技股份有限公司", "Cambricon Technologies Corporation Limited"),
    ("上海微电子装备(集团)股份有限公司", "Shanghai Micro Electronics Equipment (Group) Co., Ltd."),
    ("北京航空航天大学", "Beijing University of Aeronautics and Astronautics (BUAA)"),
    ("哈尔滨工业大学", "Harbin Institute of Technology"),
    ("国防科技大学", "National University of Defense Technology (NUDT)"),
    ("西北工业大学", "Northwestern Polytechnical University"),
    ("中国工程物理研究院", "Chinese Academy of Engineering Physics"),
    ("杭州海康威视数字技术股份有限公司", "Hangzhou Hikvision Digital Technology Co., Ltd."),
    ("浙江大华技术股份有限公司", "Dahua Technology"),
    ("北京旷视科技有限公司", "Megvii Technology"),
    ("云从科技集团股份有限公司", "CloudWalk Technology"),
    ("深圳云天励飞技术股份有限公司", "Intellifusion"),
    ("厦门美亚柏科信息股份有限公司", "Xiamen Meiya Pico Information Co. Ltd."),
    ("深圳市大疆创新科技有限公司", "DJI"),
    ("南京烽火星空通信发展有限公司", "Nanjing FiberHome Starrysky Communication Development Co."),
    ("龙芯中科技术股份有限公司", "Loongson Technology"),
    ("中科星图股份有限公司", "GEOVIS Technology Co., Ltd."),
    ("华为技术有限公司", "Huawei Technologies Co., Ltd. (Huawei)"),
    ("奇虎360科技有限公司", "Qihoo 360 Technology Co. Ltd"),
    ("本源量子计算科技(合肥)股份有限公司", "Origin Quantum Computing Technology (Hefei) Co., Ltd."),
    ("中国航空工业集团有限公司", "AVIATION INDUSTRY CORPORATION OF CHINA, LTD."),
    ("科大讯飞股份有限公司", "IFLYTEK"),
    ("中国电信股份有限公司", "China Telecom Corporation Limited"),
]

ABBREVIATIONS = {
    "technology": "Tech",
    "technologies": "Tech",
    "international": "Intl",
    "corporation": "Corp",
    "company": "Co",
    "development": "Dev",
    "information": "Info",
    "group": "Grp",
    "industry": "Ind",
    "industries": "Inds",
    "electronics": "Elec",
    "electronic": "Elec",
    "science": "Sci",
    "limited": "Ltd",
    "engineering": "Eng",
    "communications": "Comm",
    "communication": "Comm",
    "services": "Svcs",
    "manufacturing": "Mfg",
}
LEGAL_SUFFIXES = [
    "Co., Ltd.",
    "Co Ltd",
    "Company Limited",
    "Limited",
    "LLC",
    "Inc.",
    "Corp.",
    "Ltd",
    "GmbH",
    "S.A.",
    "Pte. Ltd.",
]
LEGAL_TAIL = re.compile(
    r"[\s,]*(co\.?,?\s*ltd\.?|company limited|limited|ltd\.?|llc|l\.l\.c\.|inc\.?|corp\.?|corporation|"
    r"gmbh|s\.a\.|pte\.? ltd\.?|jsc|ojsc|pjsc)\s*$",
    re.IGNORECASE,
)
RUSSIAN_PREFIX = re.compile(r"^(ooo|oao|zao|ao|pao|llc|jsc|ojsc|pjsc)\s+(.+)$", re.IGNORECASE)


def simple_key(name: str) -> str:
    """A matcher-independent normal form for exact-name checks: NFKC, casefold, letters and digits only."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = LEGAL_TAIL.sub("", text)
    return re.sub(r"[\W_]+", "", text)


def typo(name: str, rng: random.Random) -> str | None:
    words = name.split()
    candidates = [i for i, word in enumerate(words) if sum(ch.isalpha() for ch in word) >= 5]
    if not candidates:
        return None
    i = rng.choice(candidates)
    word = words[i]
    letters = [k for k, ch in enumerate(word) if ch.isalpha()]
    k = rng.choice(letters[1:-1] or letters)
    op = rng.choice(["substitute", "delete", "insert", "transpose"])
    if op == "substitute":
        word = word[:k] + rng.choice(string.ascii_lowercase) + word[k + 1 :]
    elif op == "delete":
        word = word[:k] + word[k + 1 :]
    elif op == "insert":
        word = word[:k] + rng.choice(string.ascii_lowercase) + word[k:]
    elif k + 1 < len(word):
        word = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    words[i] = word
    result = " ".join(words)
    return result if result != name else None


def legal_form(name: str, rng: random.Random, entry_type: str) -> str | None:
    if entry_type == "Individual":
        return None
    russian = RUSSIAN_PREFIX.match(name)
    if russian:
        return rng.choice(
            [
                f'Obshchestvo s Ogranichennoi Otvetstvennostiu "{russian.group(2)}"',
                f"{russian.group(2)} LLC",
                f"{russian.group(2)}",
            ]
        )
    stripped = LEGAL_TAIL.sub("", name).strip(" ,")
    if stripped != name.strip() and stripped:
        return stripped if rng.random() < 0.5 else f"{stripped} {rng.choice(LEGAL_SUFFIXES)}"
    return f"{name.rstrip(' ,.')} {rng.choice(LEGAL_SUFFIXES)}"


def abbreviate(name: str, rng: random.Random) -> str | None:
    words = name.split()
    changed = False
    for i, word in enumerate(words):
        core = word.strip(",.()")
        short = ABBREVIATIONS.get(core.lower())
        if short:
            words[i] = word.replace(core, short.upper() if word.isupper() else short)
            changed = True
    return " ".join(words) if changed else None


def reorder(name: str, rng: random.Random, entry_type: str) -> str | None:
    if entry_type == "Individual" and "," in name:
        last, _, first = name.partition(",")
        return f"{first.strip()} {last.strip()}"
    paren = re.search(r"\s*\(([^)]+)\)", name)
    if paren:
        rest = (name[: paren.start()] + name[paren.end() :]).strip()
        return f"{paren.group(1)} {rest}"
    words = name.replace(",", "").split()
    if len(words) < 2:
        return None
    for _ in range(5):
        rng.shuffle(words)
        candidate = " ".join(words)
        if candidate != name.replace(",", ""):
            return candidate
    return None


def spacing(name: str, rng: random.Random) -> str | None:
    words = name.split()
    if len(words) >= 2 and rng.random() < 0.5:
        i = rng.randrange(len(words) - 1)
        if len(words[i]) > 2 and len(words[i + 1]) > 2:
            return " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])
    long = [i for i, word in enumerate(words) if len(word) >= 8 and word.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    cut = rng.randrange(3, len(words[i]) - 2)
    words[i] = words[i][:cut] + " " + words[i][cut:]
    return " ".join(words)


def case_punct(name: str, rng: random.Random) -> str | None:
    text = re.sub(r"[.,()\"']", "", name)
    return rng.choice([text.upper(), text.lower(), text.title()])


def load_entries() -> list[dict[str, str]]:
    with CSL.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def countries(row: dict[str, str]) -> list[str]:
    codes = []
    for address in (row.get("addresses") or "").split("; "):
        code = address.rsplit(",", 1)[-1].strip()
        if re.fullmatch(r"[A-Z]{2}", code) and code not in codes:
            codes.append(code)
    return codes


def build_positives(
    rows: list[dict[str, str]], by_key: dict[str, list[str]], rng: random.Random
) -> list[dict]:
    cases = []
    # Companies first: the list's Entity/EL/CMIC rows; individuals, vessels and aircraft less often.
    weights = [3 if (row["type"] in ("Entity", "")) else 1 for row in rows]
    kinds = ["typo", "legal_form", "abbreviation", "word_order", "spacing", "case_punct", "alias"]
    while len(cases) < POSITIVES:
        row = rng.choices(rows, weights=weights)[0]
        names = [row["name"], *[alt.strip() for alt in row["alt_names"].split(";") if alt.strip()]]
        kind = rng.choice(kinds)
        if kind == "alias":
            if len(names) < 2:
                continue
            base = rng.choice(names[1:])
            query = case_punct(base, rng) if rng.random() < 0.5 else base
        else:
            base = rng.choice(names)
            if kind == "typo":
                query = typo(base, rng)
            elif kind == "legal_form":
                query = legal_form(base, rng, row["type"])
            elif kind == "abbreviation":
                query = abbreviate(base, rng)
            elif kind == "word_order":
                query = reorder(base, rng, row["type"])
            elif kind == "spacing":
                query = spacing(base, rng)
            else:
                query = case_punct(base, rng)
        if not query or len(simple_key(query)) < 3:
            continue
        expected = sorted({row["_id"], *by_key.get(simple_key(base), [])})
        country_list = countries(row)
        cases.append(
            {
                "kind": "variant",
                "variant": kind,
                "query": query,
                "country": rng.choice(country_list) if country_list and rng.random() < 0.5 else None,
                "base": base,
                "expected": expected,
                "entry_type": row["type"] or None,
            }
        )
    for chinese, listed in CHINESE:
        ids = [row["_id"] for row in rows if row["name"] == listed]
        if not ids:
            raise SystemExit(f"hand table names an entry that is not on the list: {listed}")
        cases.append(
            {
                "kind": "variant",
                "variant": "chinese",
                "query": chinese,
                "country": "CN",
                "base": listed,
                "expected": sorted({*ids, *by_key.get(simple_key(listed), [])}),
                "entry_type": "Entity",
            }
        )
    return cases


def negative_names() -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    with (DATA / "wikidata_ownership_edges_2024-02.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for column in ("owned_label", "owner_label"):
                label = (row[column] or "").strip()
                if label and not re.fullmatch(r"Q\d+", label):
                    names.append((label, "wikidata"))
    with (DATA / "ftm_ownership_cn_tech_sample.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("schema") == "Company":
                for label in record["properties"].get("name", []):
                    if not re.fullmatch(r"Q\d+", label):
                        names.append((label, "ftm"))
    return names


def build_negatives(
    rows: list[dict[str, str]], by_key: dict[str, list[str]], rng: random.Random
) -> list[dict]:
    listed_keys = set(by_key)
    # Distinctive listed names (>= 6 chars): a negative containing one is ambiguous (a listed company's
    # affiliate, e.g. "Huawei Technologies (France)") and is dropped rather than labelled either way.
    listed_words = {
        re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", name).casefold()).strip()
        for row in rows
        if row["type"] != "Individual"
        for name in [row["name"], *row["alt_names"].split(";")]
    }
    by_first: dict[str, list[str]] = {}
    for name in listed_words:
        if len(name) >= 6:
            by_first.setdefault(name.split()[0], []).append(name)
    seen: set[str] = set()
    cases = []
    for label, origin in negative_names():
        key = simple_key(label)
        if len(key) < 3 or key in seen or key in listed_keys:
            continue
        padded = " " + re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", label).casefold()).strip() + " "
        if any(f" {name} " in padded for word in set(padded.split()) for name in by_first.get(word, ())):
            continue
        seen.add(key)
        cases.append({"kind": "negative", "query": label, "country": None, "source": origin})
    rng.shuffle(cases)
    return cases[:NEGATIVES]


def main() -> None:
    rng = random.Random(SEED)
    rows = load_entries()
    by_key: dict[str, list[str]] = {}
    for row in rows:
        for name in [row["name"], *row["alt_names"].split(";")]:
            if name.strip():
                by_key.setdefault(simple_key(name), []).append(row["_id"])
    positives = build_positives(rows, by_key, rng)
    negatives = build_negatives(rows, by_key, rng)
    with OUT.open("w", encoding="utf-8") as handle:
        for case in [*positives, *negatives]:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"wrote {len(positives)} variants and {len(negatives)} negatives to {OUT}")


if __name__ == "__main__":
    main()
