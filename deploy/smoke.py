"""deploy/smoke: Lianxin as deploy/ describes it, on this machine, over loopback only.

Started by deploy/smoke (which installs what is missing and picks the repository's .venv). It makes
one temporary folder and runs everything in it, on free high ports, touching neither the machine's
own PostgreSQL cluster nor anything on ports 80, 443 or 6379:

    its own PostgreSQL 15 cluster (initdb, own port and socket folder, run as `postgres`) with WAL
    archiving into a pgBackRest repository; its own redis-server; two app nodes (gunicorn, 2 worker
    processes each with the env template's LIANXIN_THREADS threads, gunicorn.conf.py's gthread
    workers; the same SECRET_KEY and upload folder, rate limits in that Redis); and an nginx master
    running deploy/nginx/lianxin.conf (only names, ports and paths swapped) over HTTPS with a
    self-signed certificate, balancing the two nodes.

Then, through nginx only: every demo account signs in; a household pays at the shop; a household
checks in at the open meeting; a committee awards a grid; one node is killed (SIGKILL) in the
middle of 50 concurrent sales and every sale ends exactly once through the other; 40 requests at
once to one node's threads are each counted once in its /metrics; wrong passwords
spread over both nodes are limited as one; `ledger verify` is clean; `jobs run` started on two
nodes at once runs each job once; and pgBackRest restores the
cluster to a moment before a table was dropped. It prints what it checked and exits 1 on any
failure; every process and the folder are removed on the way out, failure or not.
"""
import concurrent.futures
import grp
import html
import http.cookiejar
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "lianxin.conf"
PROXY_CONF = DEPLOY / "nginx" / "lianxin_proxy.conf"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
VENV_BIN = REPO / ".venv" / "bin"
DEMO_PASSWORD = "lianxin-demo"
# shared/CONTRACT.md's demo accounts; one that the demo does not have yet is skipped with a note.
DEMO_ACCOUNTS = ("admin", "city", "committee", "shop", "household", "household2", "outsider",
                 "gridleader", "unit", "committee2")
SALES = 50


# --- the deploy files, made to run here ------------------------------------------------------------

def render_site(text: str, *, http_port: int, https_port: int, nodes: list[str], cert: str, key: str,
                static: str, proxy_conf: str) -> str:
    """deploy/nginx/lianxin.conf with loopback ports, these app nodes and local paths. Every
    replaced piece must be found, so a change to the site file cannot silently escape the smoke."""
    swaps = [
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/letsencrypt/live/lianxin.example.org/fullchain.pem", cert),
        ("/etc/letsencrypt/live/lianxin.example.org/privkey.pem", key),
        ("alias /srv/lianxin/static/;", f"alias {static.rstrip('/')}/;"),
        ("include /etc/nginx/lianxin_proxy.conf;", f"include {proxy_conf};"),
    ]
    for old, new in swaps:
        if old not in text:
            raise ValueError(f"{SITE.name} no longer has {old.strip()!r}: update deploy/smoke.py")
        text = text.replace(old, new)
    servers = re.findall(r"^ *server 10\.0\.0\.\d+:8000 ([^;]*);\n", text, flags=re.M)
    if not servers:
        raise ValueError(f"{SITE.name} has no upstream server lines: update deploy/smoke.py")
    lines = "".join(f"    server {node} {servers[0]};\n" for node in nodes)
    text = re.sub(r"(^ *server 10\.0\.0\.\d+:8000 [^;]*;\n)+", lambda _m: lines, text, count=1,
                  flags=re.M)
    return text


def worker_user() -> str:
    """The `user` directive for an nginx master started as root (Debian's www-data)."""
    for name, group in (("www-data", "www-data"), ("nobody", "nogroup"), ("nobody", "nobody")):
        try:
            pwd.getpwnam(name)
            grp.getgrnam(group)
            return f"user {name} {group};\n"
        except KeyError:
            continue
    return ""


def main_conf(prefix: Path, site: Path) -> str:
    """An nginx.conf of our own around the site, everything under `prefix`."""
    user = worker_user() if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {prefix}/temp/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}daemon off;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    log_format smoke '$request_method $uri $status $upstream_addr $request_id';
    access_log {prefix}/access.log smoke;
{temp}
    include {site};
}}
"""


def template_env() -> dict:
    """The settings deploy/lianxin.env.example sets (its uncommented NAME=value lines)."""
    found = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (DEPLOY / "lianxin.env.example").read_text(), flags=re.M)
    return {name: value.strip().strip('"') for name, value in found}


def free_port() -> int:
    """A free TCP port on loopback (the kernel's choice among the high ones)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes ---------------------------------------------------------------------------------------

class Processes:
    """Everything we start, each in its own process group, ended on the way out."""

    def __init__(self):
        self.groups: dict[str, subprocess.Popen] = {}
        self.stops: list = []  # callables run before the groups are killed (pg_ctl stop)

    def start(self, name: str, cmd: list, log: Path, **kw) -> subprocess.Popen:
        out = open(log, "ab")
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, **kw)
        out.close()
        self.groups[name] = proc
        return proc

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.groups.pop(name, None)
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def stop_all(self) -> None:
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception:  # noqa: BLE001 - cleaning up whatever is left
                pass
        for name in list(self.groups):  # disposable: no need to wait for graceful stops
            self.kill(name, signal.SIGKILL)


def run(cmd: list, *, env=None, cwd=None, timeout=300, check=True, input_text=None) -> str:
    """Run a command to its end; its output, or RuntimeError with the output's tail."""
    done = subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, input=input_text,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and done.returncode != 0:
        tail = "\n".join(done.stdout.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} ... exited {done.returncode}:\n{tail}")
    return done.stdout


def as_postgres(cmd: list) -> list:
    """`cmd` run as the postgres user (PostgreSQL refuses root), or as ourselves if not root."""
    return ["runuser", "-u", "postgres", "--", *map(str, cmd)] if os.geteuid() == 0 else list(map(str, cmd))


# --- HTTP through nginx ------------------------------------------------------------------------------

class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body or b"null")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser: its own cookies, English pages, no automatic redirects."""

    def __init__(self, base: str, context: ssl.SSLContext):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect())

    def request(self, method: str, path: str, form=None, body=None, headers=None,
                timeout: float = 30) -> Response:
        data = None
        headers = {"Accept-Language": "en", **(headers or {})}
        if form is not None:
            data = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = path if path.startswith(("http://", "https://")) else self.base + path
        if method == "POST" and form is not None:
            headers.setdefault("Referer", url)  # Flask-WTF checks it on HTTPS forms, as browsers send it
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)


class Api:
    """A JSON API client with a bearer token."""

    def __init__(self, base: str, context: ssl.SSLContext, username: str, password=DEMO_PASSWORD):
        self.browser = Browser(base, context)
        got = self.browser.post("/api/v1/tokens", body={"username": username, "password": password})
        if got.status != 201 or "token" not in (got.json() or {}):
            raise AssertionError(f"API token for {username}: {got.status} {got.text[:200]}")
        self.token = got.json()["token"]

    def call(self, method, path, body=None, timeout: float = 30) -> Response:
        return self.browser.request(method, "/api/v1" + path, body=body, timeout=timeout,
                                    headers={"Authorization": f"Bearer {self.token}"})


def hidden_inputs(page: str, form_index: int = 0) -> dict:
    """The named <input> fields of a page's n-th <form> (type hidden or not), with their values."""
    forms = re.findall(r"<form\b(.*?)</form>", page, flags=re.S)
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", forms[form_index] if forms else page):
        name = re.search(r'\bname="([^"]*)"', tag)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if name:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1)) if value else ""
    return fields


def form_action(page: str, marker: str) -> str:
    """The action of the first form whose action contains `marker`."""
    found = re.search(r'<form\b[^>]*action="([^"]*' + re.escape(marker) + r'[^"]*)"', page)
    if not found:
        raise AssertionError(f"no form posting to {marker}")
    return html.unescape(found.group(1))


def select_options(page: str, name: str) -> list[tuple[str, str]]:
    found = re.search(r'<select\b[^>]*name="' + re.escape(name) + r'"[^>]*>(.*?)</select>', page, flags=re.S)
    if not found:
        raise AssertionError(f"no <select name={name}>")
    return [(v, html.unescape(re.sub(r"<[^>]+>", "", t)).strip())
            for v, t in re.findall(r'<option\b[^>]*value="([^"]*)"[^>]*>(.*?)</option>', found.group(1), flags=re.S)]


def _form_with(page: str, marker: str) -> int:
    """The index of the first <form> of a page that contains `marker`."""
    forms = re.findall(r"<form\b.*?</form>", page, flags=re.S)
    return next(i for i, f in enumerate(forms) if marker in f)


def alerts(page: str) -> list[str]:
    """The flashed messages shown on a page."""
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(r'<div class="alert[^"]*" role="alert">(.*?)</div>', page, flags=re.S)]


def decode_qr_svg(svg: str) -> str:
    """The text of an SVG QR code drawn as one path of unit squares (app/meetings/codes.qr_svg)."""
    from PIL import Image, ImageDraw
    import zxingcpp

    size = int(float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1)))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        x, y = int(x), int(y)
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)
    found = zxingcpp.read_barcodes(image)
    if not found:
        raise AssertionError("the check-in QR code could not be read")
    return found[0].text


# --- the run -------------------------------------------------------------------------------------------

class Smoke:
    def __init__(self):
        self.results: list[tuple[str, bool, float, str]] = []
        self.procs = Processes()
        self.tmp = Path(tempfile.mkdtemp(prefix="lianxin-smoke-"))
        os.chmod(self.tmp, 0o755)  # postgres and nginx's workers reach their parts of it
        self.secret_key = secrets.token_urlsafe(48)
        self.run_id = secrets.token_hex(4)
        self.browsers: dict[str, Browser] = {}
        self.apis: dict[str, Api] = {}

    # A row of the table; `fatal` ends the run (nothing after it could work).
    def step(self, name: str, function, fatal: bool = False) -> bool:
        started = time.monotonic()
        try:
            note = function() or ""
            ok = True
        except Exception as error:  # noqa: BLE001 - every failure is a row of the table
            ok = False
            note = f"{type(error).__name__}: {error}"
            if os.environ.get("SMOKE_DEBUG"):
                traceback.print_exc()
        seconds = time.monotonic() - started
        self.results.append((name, ok, seconds, note))
        print(f"  {'ok  ' if ok else 'FAIL'} {name} ({seconds:.1f}s){': ' + note if note else ''}",
              flush=True)
        if not ok and fatal:
            raise SystemExit(1)
        return ok

    # --- setting up -------------------------------------------------------------------------------

    def start_postgres(self):
        pg = self.tmp / "pg"
        self.pg_data, self.pg_sock, self.pg_port = pg / "data", pg / "sock", free_port()
        self.pgbr = self.tmp / "pgbackrest"
        for folder in (pg, self.pg_sock, self.pgbr, self.pgbr / "repo", self.pgbr / "log",
                       self.pgbr / "lock", self.pgbr / "spool"):
            folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
        self.pgbr_conf = self.pgbr / "pgbackrest.conf"
        self.pgbr_conf.write_text(f"""[global]
repo1-path={self.pgbr}/repo
repo1-retention-full=2
log-path={self.pgbr}/log
lock-path={self.pgbr}/lock
spool-path={self.pgbr}/spool
log-level-console=warn
log-level-file=info
start-fast=y
compress-type=lz4
process-max=2

[smoke]
pg1-path={self.pg_data}
pg1-port={self.pg_port}
pg1-socket-path={self.pg_sock}
""")
        os.chmod(self.pgbr_conf, 0o644)
        # Our own (empty) include folder too: the machine's /etc/pgbackrest/conf.d stays out of it.
        (self.pgbr / "conf.d").mkdir()
        self.pgbr_cmd = ["pgbackrest", f"--config={self.pgbr_conf}",
                         f"--config-include-path={self.pgbr / 'conf.d'}", "--stanza=smoke"]
        run(as_postgres([PG_BIN / "initdb", "-D", self.pg_data, "-U", "postgres", "--auth=trust",
                         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]), cwd=self.tmp)
        with open(self.pg_data / "postgresql.conf", "a") as conf:
            conf.write(f"""
# deploy/smoke
port = {self.pg_port}
listen_addresses = ''
unix_socket_directories = '{self.pg_sock}'
max_connections = 100
shared_buffers = 64MB
# A throw-away cluster: no flushes to disk (not for a real one).
fsync = off
wal_level = replica
archive_mode = on
archive_command = '{" ".join(self.pgbr_cmd)} archive-push %p'
""")
        self.procs.stops.append(self.stop_postgres)
        self.pg_ctl("start", "-w", "-t", "60", "-l", pg / "server.log")
        self.psql("CREATE DATABASE lianxin")
        run(as_postgres([*self.pgbr_cmd, "stanza-create"]), cwd=self.tmp)
        return f"port {self.pg_port}, socket {self.pg_sock}"

    def stop_postgres(self) -> None:
        """Stop our cluster however it is; its postmaster never outlives the run."""
        pid_file = self.pg_data / "postmaster.pid"
        pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
        self.pg_ctl("stop", "-m", "immediate", "-t", "20", check=False)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def pg_ctl(self, *args, check=True):
        return run(as_postgres([PG_BIN / "pg_ctl", "-D", self.pg_data, *args]), cwd=self.tmp, check=check)

    def psql(self, sql: str, database: str = "postgres") -> str:
        return run(as_postgres([PG_BIN / "psql", "-h", self.pg_sock, "-p", self.pg_port, "-U", "postgres",
                                "-d", database, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                                "-c", sql]), cwd=self.tmp).strip()

    def start_redis(self):
        self.redis_port = free_port()
        folder = self.tmp / "redis"
        folder.mkdir()
        self.procs.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no", "--dir", str(folder),
                                   "--daemonize", "no"], folder / "redis.log")
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.redis_port), 1).close() or True,
                 "redis-server", 15)
        return f"port {self.redis_port}"

    def app_env(self, node: int = 0) -> dict:
        """deploy/lianxin.env.example's settings, with this run's addresses and folders."""
        # Nothing of the caller's own Lianxin settings: the run is the template's.
        env = {k: v for k, v in os.environ.items() if not k.startswith((
            "LIANXIN_", "RATELIMIT_", "LOGIN_LIMIT_", "PROMETHEUS_", "API_", "SHOP_", "PAY_CODE_",
            "BASKET_", "DATABASE_URL", "SECRET_KEY", "UPLOAD_FOLDER", "SESSION_COOKIE", "TEST_DATABASE"))}
        env.update(template_env())
        metrics = self.tmp / f"node{node}" / "metrics"
        metrics.mkdir(parents=True, exist_ok=True)
        env.update({
            "DATABASE_URL": f"postgresql+psycopg://postgres@/lianxin?host={self.pg_sock}&port={self.pg_port}",
            "SECRET_KEY": self.secret_key,
            "LIANXIN_INSTANCE": str(self.tmp / "instance"),
            "UPLOAD_FOLDER": str(self.tmp / "uploads"),
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{self.redis_port}/0",
            "LIANXIN_BACKUP_DIR": str(self.tmp / "backups"),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "PYTHONDONTWRITEBYTECODE": "1",
            # libpq's defaults too, so a tool the app starts (pg_dump for a backup) finds our
            # cluster, never the machine's own on 5432.
            "PGHOST": str(self.pg_sock), "PGPORT": str(self.pg_port), "PGUSER": "postgres",
            "PGDATABASE": "lianxin",
        })
        return env

    def flask(self, *args, timeout=600, check=True, input_text=None) -> str:
        return run([VENV_BIN / "flask", "--app", "wsgi", *args], env=self.app_env(), cwd=REPO,
                   timeout=timeout, check=check, input_text=input_text)

    def load_demo(self):
        self.flask("db", "upgrade")
        self.flask("demo-data")
        self.guard_password = secrets.token_urlsafe(12)
        # An account of our own for the wrong-password limit, so no demo account's count is touched.
        self.flask("users", "create", "smoke-guard", "--role", "admin", "--password", self.guard_password)
        households = self.psql("SELECT count(*) FROM households", "lianxin")
        return f"{households} households"

    def start_nodes(self):
        self.nodes = []
        conf = REPO / "gunicorn.conf.py"
        for number in (1, 2):
            port = free_port()
            folder = self.tmp / f"node{number}"
            folder.mkdir(exist_ok=True)
            cmd = [str(VENV_BIN / "gunicorn")] + (["-c", str(conf)] if conf.exists() else []) + [
                "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "30",
                "--graceful-timeout", "5", "--pid", str(folder / "gunicorn.pid"), "wsgi:app"]
            self.procs.start(f"node{number}", cmd, folder / "gunicorn.log", env=self.app_env(number), cwd=REPO)
            self.nodes.append(f"127.0.0.1:{port}")
        for number, node in enumerate(self.nodes, 1):
            wait_for(lambda node=node: _plain_get(f"http://{node}/login") == 200, f"node{number} /login", 90,
                     alive=self.procs.groups[f"node{number}"])
        # The worker model is gunicorn.conf.py's (the command line names none): threaded.
        for number in (1, 2):
            log = (self.tmp / f"node{number}" / "gunicorn.log").read_text()
            assert "Using worker: gthread" in log, f"node{number} does not run gthread workers"
        threads = self.app_env()["LIANXIN_THREADS"]
        return f"{', '.join(self.nodes)}; gthread, 2 workers x {threads} threads"

    def start_nginx(self):
        prefix = self.tmp / "nginx"
        (prefix / "temp").mkdir(parents=True)
        self.cert, key = prefix / "cert.pem", prefix / "key.pem"
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", self.cert, "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        self.http_port, self.https_port = free_port(), free_port()
        site = prefix / "site.conf"
        site.write_text(render_site(SITE.read_text(), http_port=self.http_port, https_port=self.https_port,
                                    nodes=self.nodes, cert=str(self.cert), key=str(key),
                                    static=str(REPO / "static"), proxy_conf=str(PROXY_CONF)))
        conf = prefix / "nginx.conf"
        conf.write_text(main_conf(prefix, site))
        run(["nginx", "-t", "-q", "-p", prefix, "-c", conf])
        self.procs.start("nginx", ["nginx", "-p", str(prefix), "-c", str(conf)], prefix / "stderr.log")
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.tls = ssl.create_default_context(cafile=str(self.cert))
        wait_for(lambda: Browser(self.base, self.tls).get("/login").status == 200, "nginx", 30,
                 alive=self.procs.groups["nginx"])
        return f"https://127.0.0.1:{self.https_port} (http :{self.http_port})"

    # --- checks through nginx ------------------------------------------------------------------

    def check_front(self):
        plain = _plain_get(f"http://127.0.0.1:{self.http_port}/login", full=True)
        assert plain[0] == 301 and plain[1].get("Location", "").startswith("https://"), \
            f"http: {plain[0]} {plain[1].get('Location')}"
        browser = Browser(self.base, self.tls)
        page = browser.get("/login")
        server = page.headers.get("Server", "")
        assert page.status == 200 and server == "nginx", f"/login {page.status}, Server {server!r}"
        assert "max-age=31536000" in page.headers.get("Strict-Transport-Security", ""), "no HSTS"
        notes = ["301 to https", "Server: nginx (no version)", "HSTS"]
        if shutil.which("curl"):
            version = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_version}", "--http2",
                           "--cacert", str(self.cert), self.base + "/login"])
            assert version.strip() == "2", f"HTTP version {version!r}"
            notes.append("HTTP/2")
        return ", ".join(notes)

    def check_static(self):
        page = Browser(self.base, self.tls).get("/login").text
        link = re.search(r'href="(/static/[^"]+\.css\?v=[0-9a-f]{10})"', page)
        assert link, "no versioned stylesheet link on /login"
        got = Browser(self.base, self.tls).get(link.group(1), headers={"Accept-Encoding": "gzip"})
        cache = ", ".join(got.headers.get_all("Cache-Control") or [])
        assert got.status == 200 and "max-age=31536000" in cache and "immutable" in cache, \
            f"{got.status} Cache-Control {cache!r}"
        assert got.headers.get("Content-Encoding") == "gzip", "stylesheet not gzipped"
        assert "Content-Security-Policy" not in got.headers, "static file came from the app, not nginx"
        bare = Browser(self.base, self.tls).get(link.group(1).split("?")[0])
        assert "immutable" not in ", ".join(bare.headers.get_all("Cache-Control") or []), \
            "an unversioned address is kept for a year"
        return f"{link.group(1).split('?')[0]}: gzip, 1 year immutable, from disk"

    def sign_in(self, username: str, password: str = DEMO_PASSWORD, browser=None) -> Response:
        browser = browser or Browser(self.base, self.tls)
        form = browser.get("/login")
        token = hidden_inputs(form.text).get("csrf_token")
        assert form.status == 200 and token, f"/login {form.status}, no CSRF token"
        got = browser.post("/login", form={"csrf_token": token, "username": username, "password": password})
        got.browser = browser
        return got

    def check_sign_ins(self):
        existing = set(self.psql("SELECT username FROM users", "lianxin").split())
        signed, skipped = [], []
        for username in DEMO_ACCOUNTS:
            if username not in existing:
                skipped.append(username)
                continue
            got = self.sign_in(username)
            where = got.headers.get("Location", "")
            assert got.status == 302 and "/login" not in where, f"{username}: {got.status} {where}"
            home = got.browser.get(where)
            assert home.status in (200, 302), f"{username}: {where} answered {home.status}"
            self.browsers[username] = got.browser
            signed.append(username)
        return f"{len(signed)} accounts" + (f"; not in the demo yet, skipped: {', '.join(skipped)}"
                                            if skipped else "")

    def api(self, username: str) -> Api:
        if username not in self.apis:
            self.apis[username] = Api(self.base, self.tls, username)
        return self.apis[username]

    def balance(self, household_id: int) -> int:
        got = self.api("committee").call("GET", f"/households/{household_id}")
        assert got.status == 200, f"household {household_id}: {got.status} {got.text[:200]}"
        return got.json()["balance"]

    def check_pay(self):
        household, shop = self.api("household"), self.api("shop")
        me = household.call("GET", "/me").json()
        before = self.balance(me["household_id"])
        products = [p for p in shop.call("GET", "/products").json() if p["stock"] > 0
                    and p["points"] <= before]
        assert products, "no product the household can afford"
        product = max(products, key=lambda p: p["points"])
        code = household.call("POST", "/payment-codes")
        assert code.status == 201, f"payment code {code.status} {code.text[:200]}"
        sale = shop.call("POST", "/redemptions", body={
            "code": code.json()["code"], "items": [{"product_id": product["id"], "quantity": 1}],
            "idempotency_key": f"smoke-{self.run_id}-pay"})
        assert sale.status == 201, f"sale {sale.status} {sale.text[:200]}"
        after = self.balance(me["household_id"])
        assert sale.json()["balance_after"] == after == before - product["points"], \
            f"balance {before} -> {after}, sale says {sale.json()}"
        again = shop.call("POST", "/redemptions", body={
            "code": code.json()["code"], "items": [{"product_id": product["id"], "quantity": 1}]})
        assert again.status == 409, f"a used code answered {again.status}"
        return f"{product['points']} points, balance {before} -> {after}; the used code again: 409"

    def check_check_in(self):
        household = self.api("household2")
        meetings = household.call("GET", "/meetings?status=open").json()
        assert meetings, "no open meeting in the demo"
        meeting = meetings[0]
        committee = self.browsers["committee"]
        page = committee.get(f"/meetings/{meeting['id']}/code")
        assert page.status == 200, f"code page {page.status}"
        svg_path = re.search(r'src="([^"]*code\.svg[^"]*)"', page.text)
        svg = committee.get(html.unescape(svg_path.group(1)))
        assert svg.status == 200, f"code.svg {svg.status}"
        url = decode_qr_svg(svg.text)
        assert "/m/" in url, f"the QR holds {url!r}"
        first = household.call("POST", "/check-ins", body={"code": url})
        assert first.status in (200, 201) and first.json()["meeting_id"] == meeting["id"], \
            f"check-in {first.status} {first.text[:200]}"
        again = household.call("POST", "/check-ins", body={"code": url})
        assert again.status == 200, f"the same check-in again answered {again.status}"
        return f"meeting {meeting['id']}: {first.status}, again 200 (QR read from the code page)"

    def check_award(self):
        committee = self.browsers["committee"]
        page = committee.get("/ledger/award")
        assert page.status == 200, f"/ledger/award {page.status}"
        rules = [v for v, _t in select_options(page.text, "rule_id") if v]
        grids = [(v, t) for v, t in select_options(page.text, "grid_id") if v not in ("", "0")]
        assert rules and grids, "no rule or grid to award"
        fields = hidden_inputs(page.text, _form_with(page.text, 'name="grid_id"'))
        # The first grid holds the member's own household (the demo's): the award goes to the
        # others and that household waits for another member of the committee.
        grid_id, grid_name = grids[0]
        note = f"deploy/smoke {self.run_id} grid {grid_id}"
        preview = committee.post(form_action(page.text, "/award/preview"), form={
            **fields, "rule_id": rules[0], "target": "grid", "grid_id": grid_id, "note": note})
        assert preview.status == 200 and "/award/confirm" in preview.text, f"preview {preview.status}"
        confirm = hidden_inputs(preview.text, _form_with(preview.text, "/award/confirm"))
        households = [int(h) for h in re.split(r"[,\s]+", confirm.get("households", "")) if h]
        assert households, f"the confirmation names no households: {confirm}"
        action = form_action(preview.text, "/award/confirm")
        done = committee.post(action, form=confirm)
        assert done.status == 302, f"confirm {done.status}"
        shown = " ".join(alerts(committee.get(done.headers["Location"]).text))
        recorded = re.search(r"Recorded for (\d+) household", shown)
        assert recorded, f"no award recorded: {shown[:200]}"
        written = int(recorded.group(1))
        own = len(households) - written
        assert own in (0, 1), f"{written} recorded of {len(households)}: {shown[:200]}"
        assert not own or "your own" in shown, f"the own household is not named as waiting: {shown[:200]}"
        replay = committee.post(action, form=confirm)
        assert replay.status == 302, f"the same confirmation again: {replay.status}"
        count = self.psql(f"SELECT count(*) FROM ledger_entries WHERE note = '{note}'", "lianxin")
        assert int(count) == written, f"{count} entries for {written} households"
        return (f"{grid_name}: {len(households)} households, {written} recorded"
                + (", the member's own left for another member" if own else "")
                + f"; the confirmation sent twice wrote {count}")

    def check_shared_limit(self):
        browser = Browser(self.base, self.tls)
        form = browser.get("/login")
        token = hidden_inputs(form.text)["csrf_token"]
        answers = []
        for _ in range(11):
            got = browser.post("/login", form={"csrf_token": token, "username": "smoke-guard",
                                               "password": "wrong-password"})
            answers.append(got.status)
        time.sleep(0.3)  # nginx writes a request's log line as the request ends
        upstreams = set(re.findall(r"^POST /login \d+ (\S+) ",
                                   (self.tmp / "nginx" / "access.log").read_text(), flags=re.M)[-11:])
        assert answers[:10] == [200] * 10, f"the first ten answered {answers[:10]}"
        assert answers[10] == 429, f"the 11th wrong password answered {answers[10]}"
        assert len(upstreams) == 2, f"the attempts reached only {upstreams}"
        return f"attempts 1-10: 200, the 11th: 429, spread over {' and '.join(sorted(upstreams))}"

    def check_kill_during_sales(self):
        shop = self.api("shop")
        buyers = [(name, self.api(name)) for name in ("household", "household2")]
        ids = {name: api.call("GET", "/me").json()["household_id"] for name, api in buyers}
        before = {name: self.balance(ids[name]) for name, _api in buyers}
        products = sorted((p for p in shop.call("GET", "/products").json() if p["stock"] > 0),
                          key=lambda p: p["points"])
        # One unit a sale, the cheapest products first, within each household's balance.
        plan, left = [], {p["id"]: p["stock"] for p in products}
        budget = dict(before)
        for i in range(SALES):
            name = max(budget, key=budget.get)  # the household with the most points left
            product = next((p for p in products if left[p["id"]] > 0 and p["points"] <= budget[name]), None)
            assert product, f"stock or points ran out after {i} sales"
            left[product["id"]] -= 1
            budget[name] -= product["points"]
            plan.append((name, product))
        codes = []
        for name, product in plan:
            made = dict(buyers)[name].call("POST", "/payment-codes")
            assert made.status == 201, f"payment code {made.status}"
            codes.append(made.json()["code"])
        barrier = threading.Barrier(SALES + 1)
        first_answers = [None] * SALES
        retries = [0] * SALES

        def sell(i):
            name, product = plan[i]
            body = {"code": codes[i], "items": [{"product_id": product["id"], "quantity": 1}],
                    "idempotency_key": f"smoke-{self.run_id}-sale-{i}"}
            barrier.wait()
            for attempt in range(6):
                try:
                    got = shop.call("POST", "/redemptions", body=body, timeout=40)
                except (OSError, urllib.error.URLError) as error:
                    got = Response(0, {}, str(error).encode())
                if first_answers[i] is None:
                    first_answers[i] = got.status
                if got.status == 201:
                    return got.json()
                if got.status not in (0, 500, 502, 503, 504):
                    raise AssertionError(f"sale {i}: {got.status} {got.text[:200]}")
                retries[i] += 1
                time.sleep(0.5 * (attempt + 1))
            raise AssertionError(f"sale {i}: no receipt after {attempt + 1} tries")

        with concurrent.futures.ThreadPoolExecutor(SALES) as pool:
            futures = [pool.submit(sell, i) for i in range(SALES)]
            barrier.wait()
            # Kill node 1 (master and workers: a machine that dies) while the sales are under way.
            deadline = time.monotonic() + 10
            while sum(f.done() for f in futures) < SALES // 5 and time.monotonic() < deadline:
                time.sleep(0.005)
            done_at_kill = sum(f.done() for f in futures)
            self.procs.kill("node1", signal.SIGKILL)
            assert done_at_kill < SALES, "every sale had ended before the kill: nothing was tested"
            receipts = [f.result() for f in futures]
        self.nodes_alive = [self.nodes[1]]
        keys = f"api:%:smoke-{self.run_id}-sale-%"
        rows = int(self.psql(f"SELECT count(*) FROM redemptions WHERE idempotency_key LIKE '{keys}'", "lianxin"))
        assert len({r["id"] for r in receipts}) == SALES == rows, \
            f"{len({r['id'] for r in receipts})} receipts, {rows} sales in the database"
        spent = {name: 0 for name in before}
        for (name, product) in plan:
            spent[name] += product["points"]
        after = {name: self.balance(ids[name]) for name in before}
        assert all(after[n] == before[n] - spent[n] for n in before), \
            f"balances {before} -> {after}, spent {spent}"
        failed_first = sum(1 for s in first_answers if s != 201)
        return (f"killed node 1 after {done_at_kill} of {SALES} answers; {failed_first} sales failed "
                f"once ({sum(retries)} retries, same key); {rows} sales, each once; balances match")

    def check_goes_on(self):
        got = self.sign_in("household")
        assert got.status == 302, f"sign-in after the kill: {got.status}"
        self.apis.pop("household", None)
        household, shop = self.api("household"), self.api("shop")
        code = household.call("POST", "/payment-codes").json()["code"]
        product = min((p for p in shop.call("GET", "/products").json() if p["stock"] > 0),
                      key=lambda p: p["points"])
        sale = shop.call("POST", "/redemptions", body={"code": code, "items": [
            {"product_id": product["id"], "quantity": 1}], "idempotency_key": f"smoke-{self.run_id}-after"})
        assert sale.status == 201, f"sale after the kill: {sale.status} {sale.text[:200]}"
        return "sign-in, token and a sale through nginx with node 1 dead"

    def check_threads_counted(self):
        """Many requests at once to one node, whose threads in two workers answer them: each is
        counted once in its /metrics (prometheus_client's multiprocess files, one a worker)."""
        node = getattr(self, "nodes_alive", self.nodes)[-1]
        series = 'lianxin_http_requests_total{endpoint="main.healthz",status="200"}'

        def count() -> float:
            with urllib.request.urlopen(f"http://{node}/metrics", timeout=10) as r:
                text = r.read().decode()
            found = re.search("^" + re.escape(series) + r" (\S+)$", text, flags=re.M)
            return float(found.group(1)) if found else 0.0

        before, many = count(), 40
        barrier = threading.Barrier(many)

        def one(_i):
            barrier.wait()
            return _plain_get(f"http://{node}/healthz")

        with concurrent.futures.ThreadPoolExecutor(many) as pool:
            statuses = list(pool.map(one, range(many)))
        assert statuses == [200] * many, f"statuses {sorted(set(statuses))}"
        after = count()
        assert after - before == many, f"{many} requests, counted {after - before:g}"
        return f"{many} /healthz at once to {node}: counted {after - before:g} in /metrics"

    def check_ledger(self):
        done = subprocess.run([VENV_BIN / "flask", "--app", "wsgi", "ledger", "verify"], env=self.app_env(),
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout[-500:]
        return done.stdout.strip().splitlines()[-1][:100] if done.stdout.strip() else "exit 0"

    def check_jobs(self):
        # lianxin-jobs.service's command, started on two nodes at the same moment.
        cmd = [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "run"]
        started = [subprocess.Popen(cmd, env=self.app_env(), cwd=REPO, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outputs = [proc.communicate(timeout=600)[0] for proc in started]
        for proc, out in zip(started, outputs):
            assert proc.returncode == 0, f"jobs run exited {proc.returncode}: {out[-400:]}"
        said = [dict(re.findall(r"^([\w.-]+): (ran|skipped|failed)\b", out, flags=re.M)) for out in outputs]
        runs = dict(line.split("|") for line in self.psql(
            "SELECT name, count(*) FROM job_runs GROUP BY name", "lianxin").splitlines() if line)
        assert runs, "no job claimed a period"
        for name, count in runs.items():
            ran = sum(1 for s in said if s.get(name) == "ran")
            assert ran == int(count), f"{name}: ran {ran} times for {count} period(s)"
        return f"both exit 0; {len(runs)} periodic jobs, each run once ({', '.join(sorted(runs))})"

    def check_pitr(self):
        # Stop the app first: a restore replaces the cluster under them.
        for name in [n for n in self.procs.groups if n.startswith("node")]:
            self.procs.kill(name, signal.SIGTERM)
        self.psql("CREATE TABLE smoke_pitr (note text); INSERT INTO smoke_pitr VALUES ('before the drop')",
                  "lianxin")
        pgbr = self.pgbr_cmd
        run(as_postgres([*pgbr, "--type=full", "backup"]), cwd=self.tmp, timeout=300)
        time.sleep(1)
        target = self.psql("SELECT now()")
        time.sleep(1)
        self.psql("DROP TABLE smoke_pitr", "lianxin")
        households = self.psql("SELECT count(*) FROM households", "lianxin")
        # The WAL with the drop must reach the repository before the restore can stop short of it.
        self.psql("SELECT pg_switch_wal()")
        run(as_postgres([*pgbr, "check"]), cwd=self.tmp, timeout=120)
        self.pg_ctl("stop", "-m", "fast", "-t", "60")
        run(as_postgres([*pgbr, "--delta", "--type=time", f"--target={target}",
                         "--target-action=promote", "restore"]), cwd=self.tmp, timeout=300)
        self.pg_ctl("start", "-w", "-t", "120", "-l", self.tmp / "pg" / "server.log")
        wait_for(lambda: self.psql("SELECT pg_is_in_recovery()") == "f", "recovery", 60)
        back = self.psql("SELECT note FROM smoke_pitr", "lianxin")
        assert back == "before the drop", f"smoke_pitr holds {back!r}"
        assert self.psql("SELECT count(*) FROM households", "lianxin") == households
        return f"full backup, DROP TABLE, restore --type=time to {target[11:19]}: the table is back"

    # --- the whole run ------------------------------------------------------------------------------

    def run(self) -> int:
        print(f"deploy/smoke: everything in {self.tmp}", flush=True)
        self.step("PostgreSQL 15 cluster of its own + pgBackRest stanza", self.start_postgres, fatal=True)
        self.step("redis-server of its own", self.start_redis, fatal=True)
        self.step("migrations, demo data (flask demo-data)", self.load_demo, fatal=True)
        self.step("two app nodes (gunicorn, 2 threaded workers each)", self.start_nodes, fatal=True)
        self.step("nginx: deploy/nginx/lianxin.conf over HTTPS", self.start_nginx, fatal=True)
        self.step("HTTP->HTTPS, HTTP/2, HSTS, no version shown", self.check_front)
        self.step("/static from nginx: versioned, cached a year, gzip", self.check_static)
        if self.step("every demo account signs in (form, CSRF, cookies)", self.check_sign_ins):
            self.step("a household pays at the shop (API)", self.check_pay)
            self.step("a household checks in at the open meeting", self.check_check_in)
            self.step("the committee awards a grid (award pages)", self.check_award)
        self.step("wrong passwords over both nodes limited as one", self.check_shared_limit)
        if self.step(f"SIGKILL a node during {SALES} concurrent sales", self.check_kill_during_sales):
            self.step("the run goes on through the other node", self.check_goes_on)
        self.step("one node's threads and workers counted as one in /metrics", self.check_threads_counted)
        self.step("flask ledger verify", self.check_ledger)
        self.step("flask jobs run on two nodes at once", self.check_jobs)
        self.step("pgBackRest: point-in-time restore before a DROP", self.check_pitr)
        return 0 if all(ok for _n, ok, _s, _note in self.results) else 1

    def table(self) -> None:
        width = max(len(name) for name, *_ in self.results) if self.results else 10
        print()
        print(f"{'check':<{width}}  result  seconds")
        print(f"{'-' * width}  ------  -------")
        for name, ok, seconds, _note in self.results:
            print(f"{name:<{width}}  {'ok' if ok else 'FAIL':<6}  {seconds:7.1f}")
        failed = [r for r in self.results if not r[1]]
        for name, _ok, _s, note in failed:
            print(f"\nFAIL {name}:\n  {note}")

    def cleanup(self) -> None:
        self.procs.stop_all()
        if os.environ.get("SMOKE_KEEP"):
            print(f"SMOKE_KEEP: left {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _plain_get(url: str, full: bool = False):
    req = urllib.request.Request(url, headers={"Accept-Language": "en"})
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(req, timeout=5) as r:
            status, headers = r.status, r.headers
    except urllib.error.HTTPError as error:
        status, headers = error.code, error.headers
    return (status, headers) if full else status


def wait_for(test, what: str, seconds: float, alive: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if test():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"{what}: the process ended (exit {alive.returncode}); see its log")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {seconds:.0f}s")
        time.sleep(0.2)


def main() -> int:
    smoke = Smoke()

    def ended(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, ended)
    signal.signal(signal.SIGHUP, ended)
    started = time.monotonic()
    code = 1
    try:
        code = smoke.run()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except KeyboardInterrupt:
        code = 130
    finally:
        smoke.table()
        smoke.cleanup()
    code = code or (0 if smoke.results and all(r[1] for r in smoke.results) else 1)
    print(f"\ndeploy/smoke: {'passed' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f}s")
    return code


if __name__ == "__main__":
    sys.exit(main())
