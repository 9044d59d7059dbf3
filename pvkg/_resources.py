"""Where pvkg's data files are. The only module that joins paths to the ontology, shapes, queries and
vocabularies: from a source checkout it uses the top-level folders (the source of truth); from an
installed wheel, the copies under pvkg/data/."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_DIR = _PACKAGE_DIR.parent
_WHEEL_DATA_DIR = _PACKAGE_DIR / "data"


def package_dir() -> Path:
    """The folder of the pvkg package (its templates and static files live there)."""
    return _PACKAGE_DIR


def data_dir(name: str) -> Path:
    """The folder of one kind of data file: 'ontology', 'shapes', 'queries', 'vocabulary', 'studies' or
    'schema'."""
    checkout = _CHECKOUT_DIR / name
    if (_CHECKOUT_DIR / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return _WHEEL_DATA_DIR / name


def ontology_file() -> Path:
    return data_dir("ontology") / "pvkg.ttl"


def ontology_catalog() -> Path:
    return data_dir("ontology") / "catalog-v001.xml"


def robot_report_files() -> list[Path]:
    """ROBOT's `report` profile for pvkg's ontology and the report queries it names (file:./robot/...)."""
    return sorted((data_dir("ontology") / "robot").glob("*"))


def dataset_file() -> Path:
    """What pvkg says about the dataset beyond what a build computes (VoID/DCAT, nanopublication info)."""
    return data_dir("ontology") / "dataset.ttl"


def shapes_files() -> list[Path]:
    return sorted(data_dir("shapes").glob("*.ttl"))


def study_schema_file() -> Path:
    """The JSON Schema of study files (pvkg/_build/studyformat.py makes it; `pvkg schema` prints it)."""
    return data_dir("schema") / "study-file.schema.json"


def vocabulary_files() -> list[Path]:
    return sorted(data_dir("vocabulary").glob("*.yaml"))


def default_studies_dir() -> Path:
    """`studies/` of the working directory when there is one, else the seed studies shipped with pvkg."""
    here = Path("studies")
    return here if here.is_dir() else data_dir("studies")


def context_file() -> Path:
    """pvkg's JSON-LD context, the file that https://w3id.org/pvkg/context.jsonld names."""
    return data_dir("ontology") / "context.jsonld"
