"""Every command has help text with an example, and the README's commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from coder.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "coder")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert re.search(r"\n\s+coder ", result.output.split("Example:", 1)[1])


def test_readme_commands_are_real_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    known = {" ".join(p) for p in _commands(cli) if p}
    used = set(re.findall(r"^coder ((?:codebook )?[a-z]+)", readme, flags=re.M))
    assert used, "the README shows no coder command"
    assert used <= known, f"README uses unknown commands: {sorted(used - known)}"
