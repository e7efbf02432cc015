"""Every ```python example in README.md and docs/*.md runs, against a fresh emulator each.

How it works: each fenced block whose info string is ``python`` (or ``py``) is one test,
named by file and line (``docs/errors.md:42``). The block runs as a script in a fresh
interpreter, with the ``FRAGMENT_*`` environment variables pointing at an emulator that
the ``fragment_emulator`` fixture started for that block alone, in a temporary working
directory holding a copy of ``docs/examples/``. It passes when the script exits with 0.

So an example must be complete: its imports, its ``asyncio.run(...)``, its sample data.
Use ``assert`` in an example only where the assertion teaches something.

Three markers change that. Each is an HTML comment (invisible on GitHub and in the Sphinx
site) on the line just before the opening fence:

``<!-- pytest -->``
    The block is a test module: it runs under a plain ``pytest``, as a user's suite with
    no configuration would (pytest-asyncio in its default strict mode, so an ``async``
    test needs its marker), and tests that use the ``fragment_emulator`` fixture really
    run. It passes when every test in it passes; a block without tests fails.
``<!-- no-run -->``
    The block is not run, nor collected as a test: for a signature or a fragment of a
    larger program that cannot run on its own. Keep these rare.
``<!-- output -->``
    Before a ```text block that comes right after a Python block: what that example
    prints, exactly (trailing whitespace aside). A page that says "it prints" then says
    what it does print.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fragment.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NO_RUN = "<!-- no-run -->"
PYTEST = "<!-- pytest -->"
OUTPUT = "<!-- output -->"
# No -o options: the example runs with pytest's and its plugins' defaults, as it would for a user.
PYTEST_ARGS = ("-m", "pytest", "-q", "-p", "no:cacheprovider")
TIMEOUT = 120.0

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


class Example:
    """One fenced Python block: where it is, its code, and whether it is marked not to run."""

    def __init__(self, path: Path, line: int, code: str, marker: str) -> None:
        self.path = path
        self.line = line
        self.code = code
        self.marker = marker
        """The line before the opening fence: :data:`NO_RUN`, :data:`PYTEST` or anything else."""
        self.output: str | None = None
        """What the example prints, when the page shows it in a block marked :data:`OUTPUT`."""

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def extract(path: Path) -> list[Example]:
    """The ```python blocks of a Markdown file, with the line number of their opening fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    last_block: Example | None = None  # the Python example that was the previous block, if any
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        fence, info = match["fence"], match["info"].split()
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index])
            index += 1
        index += 1  # the closing fence
        previous = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
        if info and info[0] in ("python", "py"):
            last_block = Example(path, start + 1, "\n".join(body) + "\n", marker=previous)
            examples.append(last_block)
            continue
        if previous == OUTPUT:
            assert last_block is not None, f"{path.name}:{start + 1}: {OUTPUT} must follow a Python block"
            last_block.output = "\n".join(body)
        last_block = None
    return examples


FOUND = [example for source in SOURCES if source.exists() for example in extract(source)]
EXAMPLES = [example for example in FOUND if example.marker != NO_RUN]


def _inherited_setting(name: str) -> bool:
    return name.startswith("FRAGMENT_") or name == "PYTHONPATH" or name.lower().endswith("_proxy")


def test_examples_were_found() -> None:
    assert any(example.path.name == "README.md" for example in EXAMPLES)
    assert len(EXAMPLES) > 10


def test_few_examples_are_left_unrun() -> None:
    not_run = [example.id for example in FOUND if example.marker == NO_RUN]
    assert len(not_run) <= len(FOUND) // 10, f"too many {NO_RUN} blocks: {not_run}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_example_runs(example: Example, fragment_emulator: Emulator, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    script = tmp_path / ("test_" + re.sub(r"\W", "_", example.id) + ".py")
    # Blank lines up to the fence keep the traceback's line numbers equal to the file's.
    script.write_text("\n" * example.line + example.code, encoding="utf-8")
    runner = PYTEST_ARGS if example.marker == PYTEST else ()
    command = [sys.executable, *runner, script.name]
    # A proxy from the environment would stand between an example using trust_env and the emulator.
    env = {key: value for key, value in os.environ.items() if not _inherited_setting(key)}
    env |= fragment_emulator.env()
    env["PYTHONPATH"] = str(ROOT)  # the checkout under test, whatever is installed
    completed = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"{example.id} exited with {completed.returncode}\n"
            f"--- stdout ---\n{completed.stdout}\n--- stderr ---\n{completed.stderr}",
            pytrace=False,
        )
    if example.output is not None:
        assert _lines(completed.stdout) == _lines(example.output), f"{example.id} printed something else"


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]
