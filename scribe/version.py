"""The code version recorded in every output's provenance."""

from importlib.metadata import PackageNotFoundError, version


def code_version() -> str:
    """Installed version of the hcc-scribe distribution (or 'dev' when run from a bare tree)."""
    try:
        return version("hcc-scribe")
    except PackageNotFoundError:
        return "dev"
