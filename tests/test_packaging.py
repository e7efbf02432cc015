"""The distribution's name on the package index is ours; the import name stays ``fragment``."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import fragment

ROOT = Path(__file__).resolve().parent.parent


def test_the_distribution_is_not_named_like_the_unrelated_fragment_package_on_the_index() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    # "fragment" on PyPI is someone else's code: `pip install fragment` must never be our advice.
    assert project["name"] == "fragment-billing"


def test_the_installed_distribution_provides_the_fragment_package() -> None:
    distribution = importlib.metadata.distribution("fragment-billing")
    scripts = {entry.name: entry.value for entry in distribution.entry_points if entry.group == "console_scripts"}

    assert distribution.version == fragment.__version__
    assert scripts == {"fragment": "fragment._cli:main"}


def test_no_doc_tells_users_to_install_the_other_fragment() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    advice = [
        path.name
        for path in documents
        for line in path.read_text(encoding="utf-8").splitlines()
        if "pip install" in line
        and ("'fragment[" in line or '"fragment[' in line or line.rstrip().endswith(" fragment"))
    ]

    assert advice == []
