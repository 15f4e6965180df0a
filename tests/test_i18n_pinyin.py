"""Names sort by pinyin exactly as with pypinyin's whole phrase dictionary, which the app no longer
loads (issue 21: 44 MB a worker): app/i18n.py reads pypinyin without it, plus the phrase table
scripts/pinyin_phrases.py makes. The reference is pypinyin with its whole dictionary, in a
process of its own (this one has pypinyin loaded without it)."""
import csv
import itertools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from app import i18n
from app.demo.places import GIVEN, PLACES, SURNAMES, _name

ROOT = Path(__file__).resolve().parents[1]

# Places people know by a reading their characters do not have alone, and surnames read apart.
POLYPHONIC = """长沙 长沙市 长沙县 长春 长治 长乐 长汀 重庆 重庆市 厦门 厦门市 蚌埠 六安 丽水 东阿 乐亭 番禺
洪洞 单县 尉氏 栎阳 大理 银行 行政村 行唐 铅山 歙县 黟县 台州 天台 亳州 莘县 浚县 犍为 筠连 涪陵
綦江 藁城 蔚县 监利 郫都区 阆中 邛崃 荥阳 濮阳 涡阳 枞阳 盱眙 泌阳 沈丘 柘城 济南 济宁 朝阳 朝天
乐清 乐山 会同 会昌 会理 宿州 宿松 都江堰 石家庄 曲阜 曲靖 那曲 吐鲁番 大埔 黄埔 吴堡 瓦窑堡 盖洋镇
校长沙村 长沙长 重庆长 曾 单 解 仇 朴 区 查 盖 覃 曾国藩 单田芳 解缙 仇英 朴正 区庄 查良 盖叫天 覃塘
银行行长 行长 长江 长大 重新 重量 调查 查查 第2网格 第10网格 一组 12号 模拟3县2镇7村 甲村""".split()


def _sample() -> list[str]:
    """Every region name the demo and the county fixture know, the demo's household names (every
    one-character given name, and 3,000 drawn as the demo draws them), the polyphonic names above,
    every phrase whose reading differs from its characters', and 2,000 seeded runs of phrases and
    their tails (where one phrase's end decides the next one's reading)."""
    names = {name for place in PLACES for name in place[:3]} | {"三明市", "罗翠村积分超市", "明溪县水利局"}
    with open(ROOT / "tests" / "data" / "mingxi_tree.csv", encoding="utf-8") as f:
        names |= {row["name"] for row in csv.DictReader(f)}
    names |= {f"模拟{c}县{t}镇{v}村" for c in (1, 12) for t in (1, 3) for v in (1, 2, 10)}
    names |= {f"第{n}网格" for n in range(1, 13)}
    names |= {surname + given for surname, given in itertools.product(SURNAMES, GIVEN)}
    rng = random.Random(21)
    names |= {_name(rng) for _ in range(3000)}
    names |= set(POLYPHONIC)
    pinyin = i18n._pinyin()
    names |= pinyin.read_whole
    phrases = pinyin.phrases
    for _ in range(2000):
        parts = [rng.choice(phrases) for _ in range(rng.randint(2, 3))]
        names.add("".join(part[rng.randrange(len(part)):] if rng.random() < 0.5 else part
                          for part in parts))
    return sorted(names)


def _reference(names: list[str]) -> list[list[str]]:
    """pypinyin.lazy_pinyin of each name with pypinyin's whole phrase dictionary."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    code = ("import json, sys\nfrom pypinyin import lazy_pinyin\nfrom pypinyin.constants import PHRASES_DICT\n"
            "print(json.dumps([len(PHRASES_DICT), [lazy_pinyin(n) for n in json.load(sys.stdin)]]))")
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(names), capture_output=True,
                          text=True, env=env, check=True)
    phrases, pinyin = json.loads(done.stdout)
    assert phrases > 40000, "the reference must have pypinyin's whole phrase dictionary"
    return pinyin


def test_names_read_and_sort_as_with_the_whole_phrase_dictionary():
    names = _sample()
    assert len(names) > 8000
    expected = _reference(names)
    got = [i18n.name_pinyin(name) for name in names]
    differ = [(name, want, have) for name, want, have in zip(names, expected, got) if want != have]
    assert not differ, f"{len(differ)} of {len(names)} names read differently: {differ[:20]}"
    by_reference = sorted(names, key=lambda n: (i18n.name_key(n), n))
    reference_keys = dict(zip(names, expected))
    assert by_reference == sorted(names, key=lambda n: (_key_of(reference_keys[n]), n))


def _key_of(pinyin: list[str]) -> tuple:
    """name_key over a given reading (the reference's)."""
    key = []
    for part in pinyin:
        for piece in i18n.re.split(r"(\d+)", part):
            if piece:
                key.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece.lower()))
    return tuple(key)


def test_polyphonic_places_take_their_phrase_readings():
    assert i18n.name_pinyin("长沙") == ["chang", "sha"]
    assert i18n.name_pinyin("重庆市") == ["chong", "qing", "shi"]
    assert i18n.name_pinyin("厦门") == ["xia", "men"]
    # Where a phrase ends decides the next: 校长 + 沙, not 校 + 长沙 (why the table keeps every phrase).
    assert i18n.name_pinyin("校长沙村") == ["xiao", "zhang", "sha", "cun"]
    assert i18n.name_pinyin("第10网格 a") == ["di", "10", "wang", "ge", " a"]
    assert sorted(["重庆", "长沙", "厦门", "张村"], key=i18n.name_key) == ["长沙", "重庆", "厦门", "张村"]


def test_the_app_loads_pypinyin_without_its_phrase_dictionary():
    """The memory issue 21 is about: pypinyin's own phrase dictionary stays unread, and only the
    phrases that read differently are given to it."""
    code = ("import sys; from app.i18n import warm_up; warm_up()\n"
            "from pypinyin.constants import PHRASES_DICT\n"
            "import os; print('pypinyin.phrases_dict' in sys.modules, len(PHRASES_DICT),"
            " os.environ.get('PYPINYIN_NO_PHRASES'))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=True)
    loaded, phrases, variable = done.stdout.split()
    assert (loaded, variable) == ("False", "None")  # and the variable does not leak to children
    assert int(phrases) == len(i18n._pinyin().read_whole) < 4000


def test_the_phrase_table_is_made_from_the_installed_pypinyin():
    """A new pypinyin needs a new table: scripts/pinyin_phrases.py --check says whether it is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    done = subprocess.run([sys.executable, "scripts/pinyin_phrases.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
