"""Write app/data/pinyin-phrases.txt.gz, the phrase table app/i18n.py sorts Chinese names with.

Why: pypinyin's phrase dictionary (47,111 phrases in 0.55.0) costs a process some 44 MB, nearly a
third of a gunicorn worker (issue 21). Without it, polyphonic characters take their first reading
(长沙 would sort as "zhang sha", 重庆 as "zhong qing", 厦门 as "sha men"). The app therefore loads
pypinyin with PYPINYIN_NO_PHRASES and reads this table instead, which keeps what sorting needs:

- every phrase, because pypinyin cuts a run of characters into phrases by forward maximum
  matching over the whole dictionary, and where a phrase ends decides the reading of the next
  one (校长沙 is 校长 + 沙, "xiao zhang sha", not 校 + 长沙);
- the reading of only the 3,437 phrases whose plain pinyin (Style.NORMAL, what lazy_pinyin gives)
  differs from their characters' first single readings; the others read as their characters do.

Format, one phrase a line in code point order, UTF-8, gzip'd: `phrase` alone, or
`phrase<TAB>reading reading ...` (pypinyin's toned reading of each character, the first where it
lists several; a name's sort key only ever takes the first). The first line is a `#` comment
naming the pypinyin version it was made from.

Run it with the pinned pypinyin (requirements.txt) after changing that pin, and commit the file:

    .venv/bin/python scripts/pinyin_phrases.py          # writes the table
    .venv/bin/python scripts/pinyin_phrases.py --check  # exits 1 if the table is out of date

tests/test_i18n_pinyin.py runs --check, so a new pypinyin without a new table fails the tests.
"""
import gzip
import os
import sys
from importlib.metadata import version
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "app" / "data" / "pinyin-phrases.txt.gz"


def _plain(words, converter, style) -> list[str]:
    return [item[0] for item in converter.convert(words, style, False, "default", True)]


def table_text() -> str:
    """The table, from the installed pypinyin with its whole phrase dictionary."""
    if os.environ.get("PYPINYIN_NO_PHRASES"):
        sys.exit("PYPINYIN_NO_PHRASES is set: this script needs pypinyin's phrase dictionary.")
    from pypinyin import Style
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.converter import UltimateConverter

    converter = UltimateConverter()  # what pypinyin.lazy_pinyin converts with
    lines = [f"# pypinyin {version('pypinyin')}: {len(PHRASES_DICT)} phrases; "
             f"written by scripts/pinyin_phrases.py"]
    single: dict[str, str] = {}
    for phrase in sorted(PHRASES_DICT):
        as_phrase = _plain(phrase, converter, Style.NORMAL)
        for ch in phrase:
            if ch not in single:
                single[ch] = _plain(ch, converter, Style.NORMAL)[0]
        as_characters = [single[ch] for ch in phrase]
        if as_phrase == as_characters:
            lines.append(phrase)
        else:
            lines.append(phrase + "\t" + " ".join(readings[0] for readings in PHRASES_DICT[phrase]))
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = table_text()
    if "--check" in argv:
        current = gzip.decompress(TABLE.read_bytes()).decode("utf-8") if TABLE.exists() else ""
        if current != text:
            print(f"{TABLE} is out of date: run scripts/pinyin_phrases.py", file=sys.stderr)
            return 1
        return 0
    TABLE.parent.mkdir(exist_ok=True)
    # mtime=0: the same table gives the same bytes, so a re-run changes nothing in git.
    TABLE.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{TABLE}: {len(text.splitlines()) - 1} phrases, {TABLE.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
