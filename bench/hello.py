"""Bare Flask's hello world: the baseline bench/api.py divides the API's throughput by."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    """The least a Flask request can do."""
    return "Hello, World!"
