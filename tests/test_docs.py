"""Tests that keep the docs honest: every CLI command has help, every setting is in the README."""

from pathlib import Path

from typer.testing import CliRunner

from motesok.cli import app
from motesok.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_has_help_and_is_in_the_readme():
    runner = CliRunner()
    commands = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    assert {"parse", "index", "search", "stats", "eval", "serve", "export-analysis"} <= set(commands)
    for name in commands:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage" in result.output
        assert f"motesok {name}" in README, f"README does not mention `motesok {name}`"


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"MOTESOK_{name.upper()}" in README, f"MOTESOK_{name.upper()} is not in the README"


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    assert "scripts/run.sh" in README and "scripts/test.sh" in README
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci
