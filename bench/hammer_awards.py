"""Hammer a running Lianxin with concurrent award confirmations, then check the ledger.

Run by hand against a server started with the demo data, for example:

    LIANXIN_PER_PROCESS_LIMITS=1 .venv/bin/gunicorn -w 4 -b 127.0.0.1:8020 wsgi:app &
    .venv/bin/python bench/hammer_awards.py http://127.0.0.1:8020 --threads 20
    .venv/bin/flask --app wsgi ledger verify

Each of --threads committee sessions (separate cookies, separate connections) prepares an award
confirmation for household 0002; then all of them post their confirmation at once, twice over
(a double submit), and every confirmation is also posted by a second thread of the same session
(a second tab) with the same idempotency key. Expected: exactly one entry per distinct confirmation, whatever the timing.
It prints the balance change it saw against the number of distinct confirmations.
"""
import argparse
import html
import http.cookiejar
import re
import sys
import threading
import urllib.parse
import urllib.request

FIELD = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


class Session:
    """One signed-in browser: its own cookie jar and connections."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path, timeout=60).read().decode()

    def post(self, path: str, data) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            response = self.opener.open(self.base + path, body, timeout=60)
            return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, username: str, password: str) -> None:
        token = _fields(self.get("/login"))["csrf_token"]
        self.post("/login", {"csrf_token": token, "username": username, "password": password})


def _fields(page: str) -> dict:
    return {name: html.unescape(value) for name, value in FIELD.findall(page)}


def balance(session: Session) -> int:
    page = session.get("/households/?q=0002")
    row = re.search(r">0002<.*?</tr>", page, re.S).group(0)
    return int(re.findall(r'<td class="text-end">(-?\d+)</td>', row)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--rule-code", default="HJ03", help="an award rule without a limit")
    args = parser.parse_args()
    sessions = [Session(args.base) for _ in range(args.threads)]
    for s in sessions:
        s.sign_in("committee", "lianxin-demo")
    rule_page = sessions[0].get("/ledger/award")
    rule_id = re.search(r'<option[^>]*value="(\d+)"[^>]*>' + re.escape(args.rule_code),
                        rule_page).group(1)
    before = balance(sessions[0])
    confirmations = []
    for s in sessions:
        token = _fields(s.get("/ledger/award"))["csrf_token"]
        status, page = s.post("/ledger/award/preview", {
            "csrf_token": token, "rule_id": rule_id, "note": "hammer", "household_number": "0002",
            "target": "household", "grid_id": "0", "q": ""})
        confirmations.append(_fields(page))
    distinct = len({c.get("key") for c in confirmations if c.get("key")})
    barrier = threading.Barrier(args.threads * 2)
    statuses = []

    def fire(session, form):
        barrier.wait()
        for _ in range(2):  # a double submit
            statuses.append(session.post("/ledger/award/confirm", form)[0])

    threads = []
    for i, s in enumerate(sessions):
        threads.append(threading.Thread(target=fire, args=(s, confirmations[i])))
        # The same form again from a second tab of the same browser.
        threads.append(threading.Thread(target=fire, args=(s, confirmations[i])))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    points = int(re.search(r"[+](\d+)", re.search(r'id="confirm-total">[^<]*', sessions[0].post(
        "/ledger/award/preview", {"csrf_token": _fields(sessions[0].get("/ledger/award"))["csrf_token"],
                                  "rule_id": rule_id, "note": "", "household_number": "0002",
                                  "target": "household", "grid_id": "0", "q": ""})[1]).group(0)).group(1))
    after = balance(sessions[0])
    print(f"requests: {len(statuses)}, statuses: {sorted(set(statuses))}")
    print(f"distinct confirmations: {distinct}, points each: {points}")
    print(f"balance {before} -> {after}: change {after - before}, expected {distinct * points}")
    sys.exit(0 if after - before == distinct * points and 500 not in statuses else 1)


if __name__ == "__main__":
    main()
