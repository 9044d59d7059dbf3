"""`python -m pvkg` runs the CLI."""

from .cli import app

if __name__ == "__main__":  # guarded: validation's worker processes import the main module afresh
    app(prog_name="pvkg")
