"""How long the household card sheets take: issuing cards for a village and rendering them as a PDF.

Run by hand (never in the test suite), on a throw-away SQLite database:

    .venv/bin/python bench/card_sheets.py --cards 400

It builds one village with that many households and a committee account, issues every household
a card (one transaction, as the committee's bulk form does), then renders the cards as the sheet's
HTML and as a PDF through WeasyPrint (the same template and stylesheet), printing each time and
the PDF's pages and size. The sheet's own limit is 200 cards a printout; here the limit is lifted
to measure one PDF of all of them.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=400)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import Household, RegionLevel, Role, User
    from app.regions.services import add_regions
    from app.shop.cards import sheets as card_sheets, services as cards

    instance = tempfile.mkdtemp(prefix="lianxin-cards-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.db",
                      "INSTANCE_PATH": instance, "SECRET_KEY": "bench-secret",
                      "SERVER_NAME": "bench.local"})
    with app.app_context(), app.test_request_context():
        upgrade()
        (city,) = add_regions([("三明市", RegionLevel.CITY, None)])
        (county,) = add_regions([("明溪县", RegionLevel.COUNTY, city)])
        (town,) = add_regions([("城关乡", RegionLevel.TOWNSHIP, county)])
        (village,) = add_regions([("罗翠村", RegionLevel.VILLAGE, town)])
        committee = User(username="bench-committee", role=Role.COMMITTEE.value,
                         region_id=village.id)
        committee.set_password("bench-password-1")
        db.session.add(committee)
        db.session.add_all(Household(village_id=village.id, number=f"{i:04d}", head_name=f"罗翠{i}户")
                           for i in range(1, args.cards + 1))
        db.session.commit()
        started = time.perf_counter()
        cards.issue_cards(committee, village.id)
        print(f"issue {args.cards} cards with PINs: {time.perf_counter() - started:.1f} s")
        card_sheets.PER_PART = args.cards
        started = time.perf_counter()
        data = card_sheets.sheet(committee, village.id, None, 1)
        html = card_sheets.render_html(data, pdf=True)
        print(f"sheet data and HTML ({len(html) // 1024} KiB): "
              f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        pdf = card_sheets.render_pdf(data)
        print(f"PDF of {data['count']} cards ({len(pdf) // 1024} KiB): "
              f"{time.perf_counter() - started:.1f} s")
        if args.out:
            Path(args.out).write_bytes(pdf)


if __name__ == "__main__":
    os.environ.setdefault("LIANXIN_LANGUAGE", "zh_Hans")
    main()
