"""The console sessions of docs/cli.md run as written.

A ```console block preceded by ``<!-- cli-session -->`` is one bash session, run in a
temporary directory holding a copy of ``docs/examples/``, with the ``FRAGMENT_*`` variables
pointing at a fresh emulator. Each ``$ `` command must exit with 0, or with the status the
block shows after it (``$ echo $?`` and its output line). Their output is not compared:
ids and timestamps differ from run to run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fragment.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = ROOT / "docs" / "cli.md"
MARKER = "<!-- cli-session -->"


def sessions() -> list[tuple[int, list[tuple[str, int]]]]:
    """Each marked block's line number and its commands, with the exit status each must have."""
    lines = CLI_DOC.read_text(encoding="utf-8").splitlines()
    found = []
    for index, line in enumerate(lines):
        if line.strip() == MARKER:
            assert lines[index + 1].startswith("```console"), (
                f"docs/cli.md:{index + 2}: the marker needs a console block"
            )
            end = lines.index("```", index + 2)
            found.append((index + 2, commands(lines[index + 2 : end])))
    return found


def commands(block: list[str]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    index = 0
    while index < len(block):
        line = block[index]
        index += 1
        if not line.startswith("$ "):
            continue
        command = line[2:]
        while command.endswith("\\"):
            command = command[:-1] + block[index].strip()
            index += 1
        if command == "echo $?":
            found[-1] = (found[-1][0], int(block[index]))
        else:
            found.append((command, 0))
    return found


SESSIONS = sessions()


def test_the_page_has_sessions_to_run() -> None:
    assert len(SESSIONS) >= 5


@pytest.mark.parametrize(("line", "session"), SESSIONS, ids=[f"docs/cli.md:{line}" for line, _ in SESSIONS])
def test_a_console_session_runs_as_written(
    line: int, session: list[tuple[str, int]], fragment_emulator: Emulator, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    script = ["set -u"]
    for command, status in session:
        script.append(f"{command}\nstatus=$?")
        failure = f"docs/cli.md:{line}: {command} exited with $status, not {status}"
        script.append(f'[ "$status" -eq {status} ] || {{ echo {shlex.quote(failure)} >&2; exit 1; }}')
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("FRAGMENT_")},
        **fragment_emulator.env(),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
    }

    run = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )

    assert run.returncode == 0, run.stderr
    assert not re.search(r"^Traceback", run.stderr, re.MULTILINE)
