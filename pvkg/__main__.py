"""`python -m pvkg` runs the CLI."""

from .cli import app

app(prog_name="pvkg")
