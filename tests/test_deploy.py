"""deploy/ agrees with the app: nginx parses the site, the environment template names every
setting, and nginx's body limit is the app's. (deploy/smoke runs it all for real; too slow here.)"""
import importlib.util
import re
import shutil
import subprocess

import pytest

from app.config import BASE_DIR, Config

DEPLOY = BASE_DIR / "deploy"
SITE = (DEPLOY / "nginx" / "lianxin.conf").read_text()
PROXY = (DEPLOY / "nginx" / "lianxin_proxy.conf").read_text()
ENV_TEMPLATE = (DEPLOY / "lianxin.env.example").read_text()
# Settings read outside app/config.py, by gunicorn.conf.py, the metrics and the backups.
PROMISED = {"LIANXIN_PER_PROCESS_LIMITS", "LIANXIN_BACKUP_DIR", "LIANXIN_METRICS_ALLOW",
            "PROMETHEUS_MULTIPROC_DIR"}


def _smoke():
    spec = importlib.util.spec_from_file_location("deploy_smoke", DEPLOY / "smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _template_names(commented: bool = True) -> set[str]:
    pattern = r"^#? ?([A-Z][A-Z0-9_]*)=" if commented else r"^([A-Z][A-Z0-9_]*)="
    return set(re.findall(pattern, ENV_TEMPLATE, flags=re.M))


def test_the_environment_template_names_every_setting():
    source = (BASE_DIR / "app" / "config.py").read_text()
    # os.environ.get("X"), os.environ["X"], _flag("X"), _positive_int("X", ...): a name in capitals
    # as a call's first argument or an environ key.
    read = set(re.findall(r"""(?:\w\(|environ\[)\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    assert {"DATABASE_URL", "SECRET_KEY", "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI"} <= read
    readme = (BASE_DIR / "README.md").read_text()
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.M))
    missing = (read | table | PROMISED) - _template_names()
    assert not missing, f"deploy/lianxin.env.example lacks {sorted(missing)}"


def test_the_production_values_are_set_not_left_to_defaults():
    set_names = _template_names(commented=False)
    assert {"DATABASE_URL", "SECRET_KEY", "SESSION_COOKIE_SECURE", "LIANXIN_TRUSTED_PROXIES",
            "RATELIMIT_STORAGE_URI", "PROMETHEUS_MULTIPROC_DIR"} <= set_names
    assert re.search(r"^SESSION_COOKIE_SECURE=1$", ENV_TEMPLATE, flags=re.M)
    assert re.search(r"^LIANXIN_TRUSTED_PROXIES=1$", ENV_TEMPLATE, flags=re.M)
    assert re.search(r"^RATELIMIT_STORAGE_URI=redis://", ENV_TEMPLATE, flags=re.M)
    # Every ${VAR} the systemd units use comes from the template.
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text()
        assert "EnvironmentFile=/etc/lianxin/lianxin.env" in text, unit.name
        assert set(re.findall(r"\$\{([A-Z_]+)\}", text)) <= set_names, unit.name
    app_unit = (DEPLOY / "systemd" / "lianxin.service").read_text()
    assert "-c /srv/lianxin/gunicorn.conf.py" in app_unit and "wsgi:app" in app_unit
    jobs = (DEPLOY / "systemd" / "lianxin-jobs.service").read_text()
    assert "Type=oneshot" in jobs and "flask --app wsgi jobs run" in jobs
    assert "OnCalendar=" in (DEPLOY / "systemd" / "lianxin-jobs.timer").read_text()


def test_nginx_takes_the_bodies_the_app_takes():
    size = re.search(r"^\s*client_max_body_size (\d+)([kKmM]?);", SITE, flags=re.M)
    assert size, "client_max_body_size is not set"
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[size.group(2).lower()]
    assert int(size.group(1)) * factor == Config.MAX_CONTENT_LENGTH


def test_nginx_serves_no_uploads_and_never_resends_a_post():
    # The only folder nginx serves itself is static/; photos go through the app's checks.
    assert re.findall(r"^\s*(?:alias|root)\s+(\S+);", SITE, flags=re.M) == [
        "/var/www/letsencrypt", "/srv/lianxin/static/"]
    assert "uploads" not in re.sub(r"#.*", "", SITE)
    retry = re.search(r"^proxy_next_upstream ([^;]*);", PROXY, flags=re.M).group(1).split()
    assert "non_idempotent" not in retry and {"error", "timeout"} <= set(retry)
    assert re.search(r"^server_tokens off;", SITE.replace("    ", ""), flags=re.M)
    assert "proxy_set_header X-Request-ID $request_id;" in PROXY
    metrics = re.search(r"location = /metrics \{(.*?)\}", SITE, flags=re.S).group(1)
    assert "deny all;" in metrics and "allow 127.0.0.1;" in metrics


def test_the_nginx_site_parses(tmp_path):
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (apt-get install nginx); the site was not parsed")
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed; no certificate to parse the site with")
    smoke = _smoke()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    (tmp_path / "temp").mkdir()
    site = tmp_path / "site.conf"
    site.write_text(smoke.render_site(SITE, http_port=8080, https_port=8443,
                                      nodes=["127.0.0.1:18001", "127.0.0.1:18002"], cert=str(cert),
                                      key=str(key), static=str(BASE_DIR / "static"),
                                      proxy_conf=str(DEPLOY / "nginx" / "lianxin_proxy.conf")))
    conf = tmp_path / "nginx.conf"
    conf.write_text(smoke.main_conf(tmp_path, site))
    tested = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)],
                            capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    assert "server 127.0.0.1:18002 max_fails" in site.read_text()


def _gunicorn_settings(environ: dict) -> dict:
    """gunicorn.conf.py's settings as gunicorn reads them, in a process with this environment."""
    import json
    import sys

    code = ("import json, runpy; s = runpy.run_path('gunicorn.conf.py'); "
            "print(json.dumps({k: s[k] for k in ('worker_class', 'threads')}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=environ,
                          capture_output=True, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr}


def test_the_workers_are_threaded_as_the_template_says():
    import os

    assert re.search(r"^LIANXIN_THREADS=[1-9][0-9]*$", ENV_TEMPLATE, flags=re.M)
    template = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_TEMPLATE, flags=re.M))
    base = {k: v for k, v in os.environ.items() if k != "LIANXIN_THREADS"}
    assert _gunicorn_settings({**base, "LIANXIN_THREADS": template["LIANXIN_THREADS"]}) == {
        "worker_class": "gthread", "threads": int(template["LIANXIN_THREADS"])}
    assert _gunicorn_settings(base) == {"worker_class": "gthread", "threads": 4}
    assert "LIANXIN_THREADS" in _gunicorn_settings({**base, "LIANXIN_THREADS": "four"})["error"]
    # The unit names no worker model of its own: gunicorn.conf.py's is the one.
    unit = re.sub(r"^#.*\n", "", (DEPLOY / "systemd" / "lianxin.service").read_text(), flags=re.M)
    assert "--threads" not in unit and "--worker-class" not in unit and " -k " not in unit
    assert "--preload" not in unit  # a reload (HUP) must import the new code


def test_gunicorns_hooks_import_nothing_of_the_app_into_its_master(tmp_path):
    """A module the master imports is inherited, old, by the workers it forks after a HUP: the
    hooks must leave none of `app` behind (they once imported app.ratelimits and app.health)."""
    import sys

    code = ("import runpy, sys, types; from pathlib import Path\n"
            "hooks = runpy.run_path('gunicorn.conf.py')\n"
            "server = types.SimpleNamespace(cfg=types.SimpleNamespace(workers=2))\n"
            "hooks['on_starting'](server)\n"
            f"Path({str(tmp_path)!r}, 'gauge_livesum_4242.db').write_bytes(b'')\n"
            "hooks['child_exit'](server, types.SimpleNamespace(pid=4242))\n"
            f"assert not Path({str(tmp_path)!r}, 'gauge_livesum_4242.db').exists()\n"
            "print(sorted(m for m in sys.modules if m == 'app' or m.startswith('app.')))\n")
    environ = {"PATH": "/usr/bin:/bin", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=environ,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_database_pool_holds_a_connection_for_each_thread(app):
    from app import create_app
    from app.extensions import db

    settings = {key: app.config[key] for key in ("INSTANCE_PATH", "UPLOAD_FOLDER")}
    url = "postgresql+psycopg://nobody@/lianxin?host=/nonexistent"  # never connected to
    for threads, pool in ((4, 5), (8, 8)):
        served = create_app({**settings, "SQLALCHEMY_DATABASE_URI": url, "THREADS": threads})
        with served.app_context():
            assert db.engine.pool.size() == pool
