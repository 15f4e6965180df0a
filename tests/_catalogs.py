"""Message catalogues for the test session: compile missing .mo files, extract a fresh template.

The .mo files are git-ignored, so a fresh checkout has none and every page would show English.
Call `compile_catalogs()` once per session (tests/conftest.py: pytest_sessionstart).
"""
import os
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
LANGUAGES = ("zh_Hans", "zh_Hant", "en")
# The same options as scripts/translations.sh: keep the two in step.
EXTRACT_OPTIONS = [
    "-F", "babel.cfg", "--ignore-dirs", ".* node_modules __pycache__",
    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2",
]


def po_path(language: str) -> Path:
    """The catalogue of one language."""
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, language=None):
    """A parsed .po or .pot file."""
    with open(path, "rb") as f:
        return read_po(f, locale=language)


def compile_catalogs(force: bool = False) -> list[Path]:
    """Compile each .po whose .mo is missing or older; returns the .mo files written.

    Each .mo is written to a temporary file and renamed, so a test run in parallel never reads half a file.
    """
    written = []
    for language in LANGUAGES:
        po = po_path(language)
        mo = po.with_suffix(".mo")
        if not po.exists():
            continue
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = read_catalog(po, language)
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalog)
            os.replace(tmp, mo)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written.append(mo)
    return written


def extract_fresh(target: Path):
    """Extract every message of app/**.py and templates/**.html into `target`; returns the catalogue."""
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        CommandLineInterface().run(["pybabel", "-q", "extract", *EXTRACT_OPTIONS, "-o", str(target), "."])
    finally:
        os.chdir(cwd)
    return read_catalog(target)
