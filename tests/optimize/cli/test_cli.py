"""The CLI contract: bad input exits 2 with one line per problem, no traceback, and a
failed run never overwrites an earlier good output."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from optimize.cli import build_parser, main
from optimize.outputs.export import write_outputs


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimize.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_help_documents_every_plan_option():
    text = build_parser()._subparsers._group_actions[0].choices["plan"].format_help()
    for opt in ("--data", "--out", "--start", "--weeks", "--store", "--scenario", "--shock",
                "--quantile", "--time-limit", "--seed", "--workers"):
        assert opt in text


def test_missing_scenario_dir_exits_2_without_traceback(tmp_path):
    proc = run_cli("validate", "--data", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "nope: scenario directory not found" in proc.stderr


def test_bad_contacts_file_names_file_line_column_value(tmp_path, sample_dir):
    scen = tmp_path / "scen"
    shutil.copytree(sample_dir, scen)
    (scen / "contacts.csv.gz").unlink()
    (scen / "contacts.csv").write_text(
        "interval_start,channel,language,contacts,aht_s\n"
        "2026-11-16T08:00:00+00:00,chat,en,-3,500\n"
    )
    proc = run_cli("validate", "--data", str(scen))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if "-3" in ln)
    assert "contacts.csv:2" in line and "contacts" in line


def test_unparseable_cli_value_exits_2(tmp_path, sample_dir):
    proc = run_cli("forecast", "--data", str(sample_dir), "--asof", "yesterday-ish",
                   "--horizon-days", "1", "--out", str(tmp_path / "f.csv"))
    assert proc.returncode == 2
    assert "--asof" in proc.stderr and "Traceback" not in proc.stderr


def test_failed_write_keeps_previous_output(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, {"roster.csv": b"good\n"})

    class Boom(dict):
        def items(self):
            yield "roster.csv", b"half"
            raise OSError("disk full")

    with pytest.raises(OSError):
        write_outputs(out, Boom(x=1))
    assert (out / "roster.csv").read_bytes() == b"good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary directory left


def test_failed_plan_keeps_previous_output(tmp_path, sample_dir, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "roster.csv").write_text("previous good roster\n")
    scen = tmp_path / "scen"
    shutil.copytree(sample_dir, scen)
    (scen / "agents.csv").write_text("agent_id,name\nA1,Ann\n")
    assert main(["plan", "--data", str(scen), "--out", str(out)]) == 2
    assert (out / "roster.csv").read_text() == "previous good roster\n"
    assert "agents.csv" in capsys.readouterr().err


def test_runs_on_missing_store_is_a_clear_error(tmp_path):
    proc = run_cli("runs", "--store", str(tmp_path / "none.sqlite"))
    assert proc.returncode == 2 and "refresh" in proc.stderr


def test_runs_keep_prunes_old_runs(tmp_path, capsys):
    from tests.forecast.test_store import make_forecast, publish

    path = tmp_path / "runs.sqlite"
    infos = [publish(path, make_forecast(days=1, seed=s), data_hash=f"h{s}") for s in range(3)]
    assert main(["runs", "--store", str(path), "--keep", "1"]) == 0
    out = capsys.readouterr().out
    assert "pruned 2 run(s), kept the newest 1" in out
    assert infos[2].run_id in out and infos[0].run_id not in out
    assert main(["runs", "--store", str(path), "--keep", "0"]) == 2
    assert "keep must be a positive integer, got 0" in capsys.readouterr().err
