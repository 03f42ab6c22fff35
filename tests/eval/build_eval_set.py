"""Build the name-matching evaluation set from the shipped CSL snapshot and real unlisted company names.

Deterministic (seeded). Writes two files, one case per line: `tests/eval/name_eval_set.jsonl`, the tuning
part, and `tests/eval/name_eval_heldout.jsonl`, the held-out part (a quarter of every kind, chosen by a hash
of the query; see `HELD_OUT`). Nothing is ever tuned on the held-out part: `scripts/eval_names.py` reads it
only with `--part heldout` or `--part all`, and the build's gate reads its aggregate only.
- positives `{"kind": "variant", "variant": <how made>, "query": ..., "country": ..., "expected": [ids]}`:
  a real CSL name changed by a typo, a legal-form change, abbreviations, word order, spacing, case and
  punctuation, or an alias; and Chinese names in two parts: `chinese_table`, forms of the supplemental
  table's names that the table does not hold (legal form, city prefix, traditional characters, spacing), and
  `chinese_holdout` and `chinese_holdout_2`, real Chinese names of listed parties that are not in the table
  (translation and transliteration only; the second written before the dictionary work and measured once);
  `short_name`, the common short names of listed parties that the unlisted sources carry (`SHORT_NAMES`).
  `expected` holds the entry the variant was made from plus entries with the very same name (the matcher
  cannot tell those apart).
- negatives `{"kind": "negative", "query": ..., "country": ..., "source": ...}`: real companies that are on
  no list, by source: `well_known` (well-known firms worldwide) and `cn_tech` (Chinese technology companies
  whose names resemble listed ones), written by hand in `data/well_known_companies.csv`; `wikidata`
  (ownership edges), `ftm` (the FtM sample) and `gleif` (legal and other names in the GLEIF samples,
  `data/gleif_names.csv`); and `chinese_unlisted`, Chinese names of unlisted universities, institutes and
  companies (`CHINESE_UNLISTED`). A name is dropped when it is on the list: its `simple_key` (NFKC,
  casefolded, a trailing legal form removed, letters and digits only; independent of the matcher) equals
  the key of a listed name or alias, or its `bare_key` (legal forms at either end dropped as well) equals
  that of a listed name or alias, or it contains a distinctive listed name (an affiliate such as
  "Huawei Technologies (France)" is not a clean negative). Short names of listed parties (`SHORT_NAMES`)
  are positives, not negatives.

Run: `.venv/bin/python tests/eval/build_eval_set.py` (regenerates both files; commit them).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import string
import unicodedata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CSL = ROOT / "services" / "screening" / "data" / "consolidated_2026-07-31.csv"
DATA = HERE / "data"
OUT = HERE / "name_eval_set.jsonl"
OUT_HELD_OUT = HERE / "name_eval_heldout.jsonl"
SEED = 20260731
POSITIVES = 1300
# One case in `HELD_OUT` goes to the held-out part, by a hash of its kind and query (stable whatever else
# the set holds, so a case never moves between the parts when the set grows).
HELD_OUT = 4
_SPLIT_SALT = "held-out-2026-11"

# Common short names of listed parties found among the unlisted sources' names: not negatives (a party
# called "Huawei" is the listed Huawei), but positives of the listed entry they name.
SHORT_NAMES = {
    "Huawei": "HUAWEI TECHNOLOGIES CO., LTD.",
    "Huawei Technologies (France)": "Huawei Technologies France SASU",
}

# Chinese names of listed companies that are NOT in the supplemental table (`data/cjk_names.csv`): the
# hold-out for the transliteration path (pinyin plus translated business words). Real names, hand-made; the
# listed name each belongs to must be on the list. Chosen before measuring, not tuned on: reported, no target.
CHINESE_HOLDOUT = [
    ("上海壁仞智能科技有限公司", "Shanghai Biren Intelligent Technology Co., Ltd."),
    ("杭州壁仞科技开发有限公司", "Hangzhou Biren Technology Development Co., Ltd."),
    ("上海壁仞信息科技有限公司", "Shanghai Biren Information Technology Co., Ltd."),
    ("青岛算能科技有限公司", "Qingdao Sophgo Technology Co., Ltd."),
    ("武汉算能科技有限公司", "Wuhan Suanneng Technology Co., Ltd."),
    ("厦门算能科技有限公司", "Xiamen Sophgo Technologies Limited"),
    ("成都海光集成电路设计有限公司", "Chengdu Haiguang Integrated Circuit"),
    ("成都海光微电子技术有限公司", "Chengdu Haiguang Microelectronics Technology"),
    ("天津飞腾信息技术有限公司", "Tianjin Phytium Information Technology"),
    ("长江存储科技有限责任公司", "Yangtze Memory Technologies Co., Ltd."),
    ("中国航天科技集团有限公司", "China Aerospace Science and Technology Corporation"),
    ("中国移动通信集团有限公司", "China Mobile Communications Group Co., Ltd."),
    ("中国电信集团有限公司", "China Telecommunications Corporation"),
    ("中国联合网络通信集团有限公司", "China United Network Communications Group Co., Ltd."),
    ("中国电信股份有限公司", "China Telecom Corporation Limited"),
    ("上海微电子装备(集团)股份有限公司", "Shanghai Micro Electronics Equipment (Group) Co., Ltd."),
    ("中国工程物理研究院", "Chinese Academy of Engineering Physics"),
    ("深圳云天励飞技术股份有限公司", "Intellifusion"),
    ("厦门美亚柏科信息股份有限公司", "Xiamen Meiya Pico Information Co. Ltd."),
    ("深圳市大疆创新科技有限公司", "DJI"),
    ("南京烽火星空通信发展有限公司", "Nanjing FiberHome Starrysky Communication Development Co."),
    ("中科星图股份有限公司", "GEOVIS Technology Co., Ltd."),
    ("奇虎360科技有限公司", "Qihoo 360 Technology Co. Ltd"),
    ("本源量子计算科技(合肥)股份有限公司", "Origin Quantum Computing Technology (Hefei) Co., Ltd."),
    ("中国航空工业集团有限公司", "AVIATION INDUSTRY CORPORATION OF CHINA, LTD."),
    ("北京理工大学", "Beijing Institute of Technology"),
    ("南京航空航天大学", "Nanjing University of Aeronautics and Astronautics"),
    ("南京理工大学", "Nanjing University of Science and Technology"),
    ("四川大学", "Sichuan University"),
    ("天津大学", "Tianjin University"),
    ("电子科技大学", "University of Electronic Science and Technology of China"),
    ("北京邮电大学", "Beijing University of Posts and Telecommunications (BUPT)"),
    ("哈尔滨工程大学", "Harbin Engineering University"),
    ("中芯国际集成电路制造有限公司", "Semiconductor Manufacturing International Corporation (SMIC)"),
    ("北京智谱华章科技有限公司", "Beijing Zhipu Huazhang Technology Co., Ltd."),
    ("北京智源人工智能研究院", "Beijing Academy of Artificial Intelligence"),
    ("国家超级计算无锡中心", "National Supercomputing Center Wuxi"),
    ("北方华创科技集团股份有限公司", "Naura Technology Group Co., Ltd."),
    ("海能达通信股份有限公司", "Hytera Communications Limited"),
    ("科大国盾量子技术股份有限公司", "QuantumCTek Co., Ltd."),
    ("中国广核集团有限公司", "China General Nuclear Power Group"),
    ("中国航天科工集团有限公司", "China Aerospace Science and Industry Corporation Limited"),
    ("深圳市海思半导体有限公司", "HiSilicon Technologies Co., Ltd (HiSilicon)"),
]

# A second hold-out, written before the translation dictionary was extended (for hold-out-1 misses) and
# measured once afterwards: research institutes (numbered CETC, CSIC/CSSC and aerospace institutes, CAS
# institutes), universities, state groups and companies of the Entity List, CMIC and MEU. Same rules as
# above: real names, not in the table, not in the first hold-out; the listed name must be on the list.
CHINESE_HOLDOUT_2 = [
    (
        "中国电子科技集团公司第十四研究所",
        "China Electronics Technology Group Corporation 14th Research Institute (CETC 14)",
    ),
    (
        "中国电子科技集团公司第十三研究所",
        "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)",
    ),
    ("中国电子科技集团公司第二十九研究所", "CETC 29th Research Institute"),
    (
        "中国电子科技集团公司第三十八研究所",
        "China Electronics Technology Group Corporation 38th Research Institute (CETC 38)",
    ),
    (
        "中国电子科技集团公司第五十五研究所",
        "China Electronics Technology Group Corporation 55th Research Institute (CETC 55)",
    ),
    (
        "中国电子科技集团公司第二十八研究所",
        "The 28th Research Institute of China Electronics Technology Group Corporation",
    ),
    (
        "中国电子科技集团公司第五十八研究所",
        "China Electronics Technology Group Corporation 58 Research Institute",
    ),
    (
        "中国电子科技集团公司第十一研究所",
        "China Electronic Technology Group Corporation No. 11 Research Institute",
    ),
    (
        "中国船舶重工集团公司第七〇一研究所",
        "China Shipbuilding Industry Group Co., Ltd. (CSIC) 701st Research Institute",
    ),
    (
        "中国船舶重工集团公司第七二四研究所",
        "China Shipbuilding Industry Group Co., Ltd. (CSIC) 724th Research Institute",
    ),
    (
        "中国船舶集团有限公司第七一九研究所",
        "China State Shipbuilding Corporation, Limited (CSSC) 719th Research Institute",
    ),
    ("中国船舶集团有限公司", "China State Shipbuilding Corporation"),
    ("中国运载火箭技术研究院", "China Academy of Launch Vehicle Technology"),
    ("上海航天技术研究院", "Shanghai Academy of Spaceflight Technology (SAST)"),
    ("中国航天科工集团第三研究院", "China Aerospace Science and Industry Corporation (CASIC) 3rd Academy"),
    ("中国航天科工集团第二研究院", "Second Research Academy of CASIC"),
    ("北京控制工程研究所", "Beijing Institute of Control Engineering"),
    ("西安微电子技术研究所", "Xi’an Microelectronics Technology Institute"),
    ("北京微电子技术研究所", "Beijing Microelectronics Technology Institute"),
    (
        "中国航空工业集团有限公司西安航空计算技术研究所",
        "AVIC Xi’an Aeronautics Computing Technique Research Institute",
    ),
    ("中国飞行试验研究院", "Chinese Flight Test Establishment"),
    ("中国科学院计算技术研究所", "Institute of Computing Technology Chinese Academy of Sciences"),
    ("中国科学院微电子研究所", "Institute of Microelectronics of the Chinese Academy of Sciences"),
    ("中国科学院物理研究所", "Chinese Academy of Sciences, Institute of Physics"),
    ("中国科学院国家授时中心", "Chinese Academy of Sciences, National Time Service Center"),
    ("中国科学院沈阳自动化研究所", "China Academy of Science-Shenyang Institute of Automation"),
    ("中国科学院上海光学精密机械研究所", "Shanghai Institute of Optics and Fine Mechanics"),
    ("无锡江南计算技术研究所", "Wuxi Jiangnan Institute of Computing Technology"),
    ("北京计算科学研究中心", "Beijing Computational Science Research Center"),
    ("国家超级计算长沙中心", "National Supercomputing Center Changsha (NSCC-CS)"),
    ("国家超级计算济南中心", "National Supercomputing Center Jinan"),
    ("国家超级计算郑州中心", "National Supercomputer Center Zhengzhou"),
    ("北京量子信息科学研究院", "Beijing Academy of Quantum Information Sciences"),
    ("济南量子技术研究院", "Jinan Institute of Quantum Technology"),
    ("中国电子科学研究院", "China Academy of Electronics and Information Technology"),
    ("北京石墨烯研究院", "Beijing Graphene Institute"),
    ("南京玻璃纤维研究设计院", "Nanjing Fiberglass Research and Design Institute"),
    ("中国科学技术大学", "University of Science and Technology of China"),
    ("空军工程大学", "Air Force Engineering University"),
    ("中山大学", "Sun Yat-Sen University"),
    ("中国兵器工业集团有限公司", "China North Industries Group Corporation Limited"),
    ("中国兵器装备集团有限公司", "China South Industries Group Corporation"),
    ("中国核工业集团有限公司", "CHINA NATIONAL NUCLEAR CORPORATION"),
    ("中国交通建设股份有限公司", "China Communications Construction Company Limited"),
    ("中国海洋石油集团有限公司", "China National Offshore Oil Corporation"),
    ("中国电子信息产业集团有限公司", "China Electronics Corporation"),
    ("中国航空发动机集团有限公司", "Aero Engine Corporation of China"),
    ("中国铁建股份有限公司", "China Railway Construction Corporation Limited"),
    ("中国卫通集团股份有限公司", "CHINA SATELLITE COMMUNICATIONS CO., LTD."),
    ("福建省晋华集成电路有限公司", "Fujian Jinhua Integrated Circuit Company, Ltd."),
    ("中芯国际集成电路制造(北京)有限公司", "Semiconductor Manufacturing International (Beijing) Corporation"),
    (
        "中芯北方集成电路制造(北京)有限公司",
        "SMIC Northern Integrated Circuit Manufacturing (Beijing) Co., Ltd.",
    ),
    ("上海集成电路研发中心有限公司", "Shanghai Integrated Circuit Research and Development Center"),
    ("上海复旦微电子集团股份有限公司", "Shanghai Fudan Microelectronics Group Co., Ltd."),
    ("浙江宇视科技有限公司", "Zhejiang Uniview Technologies Co., Ltd."),
    ("同方威视技术股份有限公司", "Tongfang NucTech Technology Ltd."),
    ("昌吉溢达纺织有限公司", "Changji Esquel Textile Co. Ltd"),
    ("新疆丝路华大基因科技有限公司", "Xinjiang Silk Road BGI"),
    ("北京六合华大基因科技有限公司", "Beijing Liuhe BGI"),
    ("光启集团", "Kuang-Chi Group"),
    ("安徽长城军工股份有限公司", "Anhui Greatwall Military Industry Co., Ltd."),
]

# Chinese names of real parties that are on no list (checked against the snapshot by their English names),
# written with the second hold-out: universities and institutes whose names share the translated words of
# listed ones ("理工大学", "研究所", numbered institutes the list does not carry) and large companies.
CHINESE_UNLISTED = [
    "清华大学",
    "北京大学",
    "浙江大学",
    "复旦大学",
    "上海交通大学",
    "武汉大学",
    "华中科技大学",
    "大连理工大学",
    "华南理工大学",
    "北京科技大学",
    "西安交通大学",
    "同济大学",
    "东南大学",
    "南京大学",
    "北京工业大学",
    "中国农业大学",
    "北京师范大学",
    "中国科学院大学",
    "中国科学院自动化研究所",
    "中国科学院半导体研究所",
    "中国科学院声学研究所",
    "中国电子科技集团公司第十五研究所",
    "中国电子科技集团公司第二十一研究所",
    "中国电子科技集团公司第三十四研究所",
    "中国船舶集团有限公司第七〇八研究所",
    "国家超级计算成都中心",
    "国家超级计算昆山中心",
    "中国银行股份有限公司",
    "中国工商银行股份有限公司",
    "招商银行股份有限公司",
    "腾讯科技(深圳)有限公司",
    "阿里巴巴(中国)有限公司",
    "百度在线网络技术(北京)有限公司",
    "北京京东世纪贸易有限公司",
    "比亚迪股份有限公司",
    "小米科技有限责任公司",
    "宁德时代新能源科技股份有限公司",
    "美的集团股份有限公司",
    "海尔集团公司",
    "国家电网有限公司",
    "中国石油天然气集团有限公司",
    "中国中化控股有限责任公司",
    "中国建设银行股份有限公司",
    "中国平安保险(集团)股份有限公司",
    "中国人寿保险(集团)公司",
    "中国国际航空股份有限公司",
    "中国东方航空集团有限公司",
    "中国南方航空集团有限公司",
    "珠海格力电器股份有限公司",
]

# Variants of the supplemental table's Chinese names, so the table is measured on forms it does not hold:
# legal form dropped, added or swapped, a city prefix, traditional characters, spacing and bracket styles.
CJK_TABLE = ROOT / "services" / "screening" / "data" / "cjk_names.csv"
CHINESE_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "公司")
CHINESE_CITIES = ("北京", "上海", "深圳市", "杭州", "合肥市", "武汉")
CHINESE_PLACES = ("北京", "上海", "深圳", "杭州", "合肥", "武汉", "安徽", "浙江", "中国", "哈尔滨", "西北")
# Simplified → traditional for the characters of the table's names (a variant writer's table, independent of
# the matcher's own mapping).
TRADITIONAL = str.maketrans(
    "讯飞术华为业产电数视龙国开发团云从图网络学东门尔滨军队际汉马长实设计区师带线气体导总连务层级产证",
    "訊飛術華為業產電數視龍國開發團雲從圖網絡學東門爾濱軍隊際漢馬長實設計區師帶線氣體導總連務層級產證",
)

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


# Legal forms at either end of a name, for `bare_key` (the exact-name check of the negatives): "PJSC Saturn"
# and "Saturn" are the same name, so "Saturn" is no clean negative.
_LEGAL_WORDS = (
    r"(?:public |open |closed |private )?joint stock company|limited liability (?:company|partnership)"
    r"|company limited|co ltd|limited|ltd|llc|llp|lp|inc|incorporated|corp|corporation|company|co|gmbh|ag|kg"
    r"|se|sa|sas|sarl|srl|spa|s p a|s a|s a s|s r l|nv|bv|n v|b v|plc|ab|as|asa|oy|oyj|a s|kk|pte|pvt|pty"
    r"|private limited|pte ltd|pvt ltd|pty ltd|sdn bhd|bhd|ooo|oao|zao|pao|ao|jsc|ojsc|pjsc|cjsc|tov|pt"
    r"|fze|fzco|fzc|fz llc|sal|sa de cv|s a de c v|sab de cv|s a b de c v"
)
_LEGAL_ENDS = re.compile(rf"^(?:(?:{_LEGAL_WORDS}) )+|(?: (?:{_LEGAL_WORDS}))+$")


def bare_key(name: str) -> str:
    """`simple_key` without legal forms at either end ("PJSC Saturn", "KRSK, OAO"), for the negatives."""
    words = " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", name).casefold()).split())
    stripped = _LEGAL_ENDS.sub("", words)
    return (stripped or words).replace(" ", "")


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


def chinese_table() -> dict[str, list[str]]:
    """The supplemental table as Chinese name → the listed names it stands for."""
    with CJK_TABLE.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    table: dict[str, list[str]] = {}
    for row in csv.DictReader(lines):
        table.setdefault(row["chinese_name"], []).append(row["listed_name"])
    return table


def chinese_variant(
    name: str, listed: list[str], table: set[str], rng: random.Random
) -> tuple[str, str] | None:
    """A form of a table name that is not itself a table name: legal form, city, script or spacing."""
    options: list[tuple[str, str]] = []
    suffix = next((form for form in CHINESE_LEGAL_FORMS if name.endswith(form)), None)
    # Universities and institutes take no company legal form and no city prefix.
    is_school = any(word in " ".join(listed) for word in ("University", "Institute", "Academy"))
    if suffix:
        core = name[: -len(suffix)]
        options.append((core, "legal form dropped"))
        other = "有限公司" if suffix != "有限公司" else "股份有限公司"
        options.append((core + other, "legal form swapped"))
        options.append((f"{core} {suffix}", "space before the legal form"))
    elif not is_school:
        options.append((name + rng.choice(("有限公司", "股份有限公司")), "legal form added"))
        options.append((name + " Co., Ltd.", "English legal form added"))
    if not is_school and not name.startswith(CHINESE_PLACES) and "(" not in name:
        options.append((rng.choice(CHINESE_CITIES) + name, "city prefix"))
    traditional = name.translate(TRADITIONAL)
    if traditional != name:
        options.append((traditional, "traditional characters"))
    if "(" in name:
        options.append((name.replace("(", "（").replace(")", "）"), "full-width brackets"))
    options = [(query, how) for query, how in options if query not in table and query != name]
    return rng.choice(options) if options else None


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
) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
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
    names_on_list: dict[str, list[str]] = {}
    for row in rows:
        for name in [row["name"], *[alt.strip() for alt in row["alt_names"].split(";") if alt.strip()]]:
            names_on_list.setdefault(name, []).append(row["_id"])

    def chinese_case(variant: str, query: str, listed_names: list[str], how: str) -> dict[str, Any]:
        ids: set[str] = set()
        for listed in listed_names:
            if listed not in names_on_list:
                raise SystemExit(f"Chinese name of an entry that is not on the list: {listed}")
            ids.update(names_on_list[listed], by_key.get(simple_key(listed), []))
        return {
            "kind": "variant",
            "variant": variant,
            "query": query,
            "country": "CN",
            "base": " | ".join(listed_names),
            "how": how,
            "expected": sorted(ids),
            "entry_type": "Entity",
        }

    table = chinese_table()
    chinese_rng = random.Random(SEED + 1)  # its own stream: the cases above and the negatives stay the same
    for chinese in table:
        made = chinese_variant(chinese, table[chinese], set(table), chinese_rng)
        if made is not None:
            query, how = made
            cases.append(chinese_case("chinese_table", query, table[chinese], how))
    for chinese, listed in CHINESE_HOLDOUT:
        if chinese in table:
            raise SystemExit(f"hold-out name is in the supplemental table: {chinese}")
        cases.append(chinese_case("chinese_holdout", chinese, [listed], "hold-out"))
    first = {chinese for chinese, _ in CHINESE_HOLDOUT}
    for chinese, listed in CHINESE_HOLDOUT_2:
        if chinese in table or chinese in first:
            raise SystemExit(f"second hold-out name is in the table or the first hold-out: {chinese}")
        cases.append(chinese_case("chinese_holdout_2", chinese, [listed], "hold-out 2"))
    return cases


def negative_names() -> list[tuple[str, str, str | None]]:
    """Candidate negatives as (name, source, country), the hand-written sets first."""
    names: list[tuple[str, str, str | None]] = []
    with (DATA / "well_known_companies.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names.append((row["name"].strip(), row["group"], row["country"] or None))
    with (DATA / "wikidata_ownership_edges_2024-02.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for column in ("owned_label", "owner_label"):
                label = (row[column] or "").strip()
                if label and not re.fullmatch(r"Q\d+", label):
                    names.append((label, "wikidata", None))
    with (DATA / "ftm_ownership_cn_tech_sample.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("schema") == "Company":
                for label in record["properties"].get("name", []):
                    if not re.fullmatch(r"Q\d+", label):
                        names.append((label, "ftm", None))
    with (DATA / "gleif_names.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names.append((row["name"].strip(), "gleif", None))
    return names


def build_negatives(rows: list[dict[str, str]], by_key: dict[str, list[str]]) -> list[dict[str, Any]]:
    listed_keys = set(by_key)
    listed_bare = {
        bare_key(name) for row in rows for name in [row["name"], *row["alt_names"].split(";")] if name.strip()
    }
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
    for label, origin, country in negative_names():
        key = simple_key(label)
        if len(key) < 3 or key in seen or key in listed_keys or label in SHORT_NAMES:
            continue
        if bare_key(label) in listed_bare:
            continue
        padded = " " + re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", label).casefold()).strip() + " "
        if any(f" {name} " in padded for word in set(padded.split()) for name in by_first.get(word, ())):
            continue
        seen.add(key)
        cases.append({"kind": "negative", "query": label, "country": country, "source": origin})

    table = chinese_table()
    chinese = []
    for label in CHINESE_UNLISTED:
        if label in table:
            raise SystemExit(f"unlisted Chinese name is in the supplemental table: {label}")
        chinese.append({"kind": "negative", "query": label, "country": "CN", "source": "chinese_unlisted"})
    return cases + chinese


def short_name_positives(rows: list[dict[str, str]], by_key: dict[str, list[str]]) -> list[dict[str, Any]]:
    """`SHORT_NAMES` as positives of the entries bearing the listed name they stand for."""
    cases = []
    for short, listed in SHORT_NAMES.items():
        ids = sorted(
            {
                row["_id"]
                for row in rows
                if listed in (row["name"], *[alt.strip() for alt in row["alt_names"].split(";")])
            }
            | set(by_key.get(simple_key(listed), []))
        )
        if not ids:
            raise SystemExit(f"short name of an entry that is not on the list: {listed}")
        cases.append(
            {
                "kind": "variant",
                "variant": "short_name",
                "query": short,
                "country": None,
                "base": listed,
                "expected": ids,
                "entry_type": "Entity",
            }
        )
    return cases


def held_out(case: dict[str, Any]) -> bool:
    """Whether `case` belongs to the held-out part (a hash of its kind and query; see `HELD_OUT`)."""
    label = case.get("variant") or case.get("source")
    digest = hashlib.sha256(f"{_SPLIT_SALT}|{case['kind']}|{label}|{case['query']}".encode()).hexdigest()
    return int(digest[:8], 16) % HELD_OUT == 0


def main() -> None:
    rng = random.Random(SEED)
    rows = load_entries()
    by_key: dict[str, list[str]] = {}
    for row in rows:
        for name in [row["name"], *row["alt_names"].split(";")]:
            if name.strip():
                by_key.setdefault(simple_key(name), []).append(row["_id"])
    positives = build_positives(rows, by_key, rng) + short_name_positives(rows, by_key)
    negatives = build_negatives(rows, by_key)
    cases = [*positives, *negatives]
    parts = {
        OUT: [case for case in cases if not held_out(case)],
        OUT_HELD_OUT: [c for c in cases if held_out(c)],
    }
    for path, part in parts.items():
        with path.open("w", encoding="utf-8") as handle:
            for case in part:
                handle.write(json.dumps(case, ensure_ascii=False) + "\n")
        variants = sum(case["kind"] == "variant" for case in part)
        print(f"wrote {variants} variants and {len(part) - variants} negatives to {path.name}")


if __name__ == "__main__":
    main()
