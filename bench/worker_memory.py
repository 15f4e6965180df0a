"""A worker's memory at start, by what sorting Chinese names costs (issue 21).

Each variant runs in a fresh Python process: create_app(), then the pinyin warm-up, then 2,000
demo household names sorted by name_key; it reports VmRSS after each step (/proc/self/status)
and the time of the warm-up and of the sort. Variants:

- `full`: pypinyin with its whole phrase dictionary, as app/i18n.py loaded it before issue 21
  (the warm-up is pypinyin.lazy_pinyin on one name; names sorted by the same key over it);
- `app`: app/i18n.py as it is (warm_up(), name_key);
- `none`: no pinyin at all, the floor.

    .venv/bin/python bench/worker_memory.py [--repeat 3]

The variants alternate, so a busy machine weighs on each alike. SQLite in a temporary folder:
the database plays no part before the first request.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, random, re, sys, time
sys.path.insert(0, {root!r})

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

figures = {{"start": rss()}}
from app import create_app
from app.demo.places import _name
from app import i18n
create_app()
figures["create_app"] = rss()
variant = {variant!r}
if variant == "full":
    def key(name):  # app/i18n.py's name_key before issue 21: pypinyin loads on the first call
        from pypinyin import lazy_pinyin
        return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower())
                     for part in lazy_pinyin(name or "") for p in re.split(r"(\d+)", part) if p)
    warm = lambda: key("罗翠村")  # noqa: E731
else:
    key, warm = i18n.name_key, i18n.warm_up
started = time.perf_counter()
if variant != "none":
    warm()
figures["warm_up_s"] = time.perf_counter() - started
figures["warm"] = rss()
rng = random.Random(1)
names = [_name(rng) for _ in range(2000)]
started = time.perf_counter()
if variant != "none":
    sorted(names, key=key)
figures["sort_2000_s"] = time.perf_counter() - started
figures["sorted"] = rss()
print(json.dumps(figures))
"""


def run(variant: str, env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), variant=variant)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SECRET_KEY="x" * 32, LIANXIN_INSTANCE=tmp,
                   DATABASE_URL=f"sqlite:///{tmp}/bench.db")
        for name in ("PYPINYIN_NO_PHRASES", "PYPINYIN_NO_DICT_COPY"):
            env.pop(name, None)
        rows: dict[str, list[dict]] = {"full": [], "app": [], "none": []}
        for _ in range(args.repeat):
            for variant in rows:
                rows[variant].append(run(variant, env))
    print(f"{'variant':8} {'create_app MB':>14} {'warm MB':>8} {'sorted MB':>10} "
          f"{'warm-up s':>10} {'sort 2000 s':>12}")
    for variant, runs in rows.items():
        for r in runs:
            print(f"{variant:8} {r['create_app']:14.1f} {r['warm']:8.1f} {r['sorted']:10.1f} "
                  f"{r['warm_up_s']:10.3f} {r['sort_2000_s']:12.3f}")
    median = {v: sorted(r["sorted"] for r in runs)[len(runs) // 2] for v, runs in rows.items()}
    print(f"median after the sort: full {median['full']:.1f} MB, app {median['app']:.1f} MB "
          f"({median['app'] - median['full']:+.1f}), none {median['none']:.1f} MB")


if __name__ == "__main__":
    main()
