"""The project's checks: ``nox`` runs tests, lint, typecheck and docs; ``nox -s bench`` the benchmark."""

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install_group(session: nox.Session, group: str, *extras: str) -> None:
    """Install the package (with ``extras``) and one dependency group of pyproject.toml."""
    target = f".[{','.join(extras)}]" if extras else "."
    session.install(target, *PYPROJECT["dependency-groups"][group])


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and integration tests (the emulator over real sockets), with the optional extras."""
    install_group(session, "test", "fast", "cli", "otel")
    session.run("pytest", *session.posargs)


@nox.session(name="tests-all-pythons", python=["3.11", "3.12", "3.13"])
def tests_all_pythons(session: nox.Session) -> None:
    """The tests on every supported Python (not in the default run: needs the interpreters)."""
    tests(session)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install(*PYPROJECT["dependency-groups"]["lint"])
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, and on the typing examples in tests/typing."""
    install_group(session, "typecheck", "fast", "cli", "otel")
    session.run("mypy", "fragment")
    session.run("mypy", "tests/typing")


@nox.session
def docs(session: nox.Session) -> None:
    """Sphinx with warnings as errors, then its doctests.

    The guides' ```python examples are not doctests: tests/test_docs_examples.py runs each
    one against an emulator, in the tests session.
    """
    install_group(session, "docs", "fast", "cli", "otel")
    session.run("sphinx-build", "-n", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")
    session.run("sphinx-build", "-n", "-W", "--keep-going", "-b", "doctest", "docs", "docs/_build/doctest")


@nox.session
def bench(session: nox.Session) -> None:
    """The throughput benchmark of SPEC section 9 (not part of the default run)."""
    install_group(session, "test", "fast", "cli", "otel")
    session.run("python", "tests/bench/run.py", *session.posargs)
