"""The pytest plugin of ``fragment.testing``, registered through the ``pytest11`` entry point.

Fixtures:

``fragment_emulator``
    A running :class:`~fragment.testing.Emulator` (in its own thread, so it serves sync and
    async tests alike), fresh for each test. Configure it with the marker
    ``@pytest.mark.fragment_emulator(faults=Faults(...), token_lifetime=..., ...)``, whose
    keyword arguments are those of :class:`~fragment.testing.Emulator`.
``fragment_instant_retries``
    Makes every retry of every client wait no time during the test (see
    :func:`~fragment.testing.instant_retries`); use it with faults for fast tests.
``fragment_emulator_factory``
    A function taking :class:`~fragment.testing.Emulator`'s keyword arguments and returning
    a running emulator, for tests that need several or differently configured ones. All are
    stopped when the test ends.

The emulator is imported only when a fixture is used, so installing fragment costs other
test suites nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fragment.testing import Emulator

__all__ = ["fragment_emulator", "fragment_emulator_factory", "fragment_instant_retries"]

_MARKER = "fragment_emulator"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that ``--strict-markers`` suites accept it."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**options): keyword arguments of fragment.testing.Emulator for the fragment_emulator fixture",
    )


@pytest.fixture
def fragment_emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators on demand: ``fragment_emulator_factory(faults=Faults(slow=0.5))``."""
    from fragment.testing import Emulator

    with contextlib.ExitStack() as stack:

        def start(**options: Any) -> Emulator:
            return stack.enter_context(Emulator(**options).in_thread())

        yield start


@pytest.fixture
def fragment_emulator(request: pytest.FixtureRequest, fragment_emulator_factory: Callable[..., Emulator]) -> Emulator:
    """A running emulator for one test, configured by the ``fragment_emulator`` marker if any."""
    marker = request.node.get_closest_marker(_MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    return fragment_emulator_factory(**options)


@pytest.fixture
def fragment_instant_retries() -> Iterator[None]:
    """Retries wait no time during this test (the retries themselves still happen)."""
    from fragment.testing import instant_retries

    with instant_retries():
        yield
