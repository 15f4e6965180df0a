"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn wsgi:app`)."""
from app import create_app
from app.i18n import warm_up

app = create_app()

# Served (gunicorn, flask run): load the pinyin dictionaries before the first request needs them.
warm_up()
