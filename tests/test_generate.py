"""Verilog generation: files, determinism, Verilator -Wall lint, Icarus Verilog."""

import json
import os
import subprocess

import pytest

from spikecore.cli import main
from spikecore.config import load_config, shipped_configs
from spikecore.hdl.generate import generate_verilog
from spikecore.hdl.memories import memory_names
from spikecore.regmap import build_regmap
from spikecore.sim.build_cache import generated
from spikecore.sim.toolchain import iverilog_bin, verilator_bin, verilator_env

LINT_CONFIGS = shipped_configs()     # tiny, default and the board configurations


@pytest.mark.parametrize("name", LINT_CONFIGS)
def test_verilator_lint_wall(name):
    """`verilator --lint-only -Wall` with the generated .vlt: zero warnings. Only the width
    categories are waived in the .vlt, nothing else."""
    core = generated(load_config(name), name)
    vlt = core.vlt.read_text()
    waived = {line.split("-rule")[1].split()[0] for line in vlt.splitlines()
              if line.startswith("lint_off")}
    assert waived == {"WIDTHEXPAND", "WIDTHTRUNC"}
    result = subprocess.run([verilator_bin(), "--lint-only", "-Wall", "--top-module",
                             "spikecore", core.verilog.name, core.vlt.name],
                            cwd=core.out_dir, env=verilator_env(), capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "%Warning" not in result.stderr and "%Error" not in result.stderr


@pytest.mark.parametrize("name", LINT_CONFIGS)
def test_icarus_compiles(name):
    """Icarus Verilog (a second, independent parser) compiles the generated core."""
    iverilog = iverilog_bin()
    if iverilog is None:
        message = "iverilog is not installed (apt-get install iverilog)"
        if os.environ.get("SPIKECORE_REQUIRE_TOOLS"):
            pytest.fail(message + "; SPIKECORE_REQUIRE_TOOLS is set (as in CI)")
        pytest.skip(message)
    core = generated(load_config(name), name)
    result = subprocess.run([iverilog, "-g2005", "-Wall", "-o", "/dev/null", "-s",
                             "spikecore", core.verilog.name], cwd=core.out_dir,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def test_generation_is_deterministic():
    """The same configuration gives byte-identical Verilog."""
    cfg = load_config("tiny")
    first = generate_verilog(cfg)
    assert generate_verilog(cfg) == first
    assert "module spikecore(" in first or "module spikecore (" in first


def test_generated_files(tmp_path, capsys):
    """`spikecore generate` writes the Verilog, .vlt, register map and config, and says how
    long it took."""
    assert main(["generate", "--config", "tiny", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "generated in" in out
    for name in ("spikecore.v", "spikecore.vlt", "regmap.json", "regmap.md", "config.toml"):
        assert (tmp_path / name).stat().st_size > 0, name
    cfg = load_config("tiny")
    assert load_config(str(tmp_path / "config.toml")) == cfg
    regmap = json.loads((tmp_path / "regmap.json").read_text())
    assert regmap["addr_bits"] == build_regmap(cfg).addr_bits
    names = {entry["name"] for entry in regmap["entries"]}
    assert {"weight", "v", "i", "threshold", "status", "sops"} <= names
    # the .vlt makes the ports and the memories public, nothing else; through VPI only the
    # inputs are writable
    public = {}
    for line in (tmp_path / "spikecore.vlt").read_text().splitlines():
        if line.startswith("public"):
            kind, name = line.split()[0], line.split('-var "')[1].rstrip('"')
            public.setdefault(kind, set()).add(name)
    inputs = {"clk", "rst", "cmd__valid", "cmd__payload", "rsp__ready", "aer_in__valid",
              "aer_in__payload", "aer_out__ready"}
    outputs = {"cmd__ready", "rsp__valid", "rsp__payload", "aer_in__ready", "aer_out__valid",
               "aer_out__payload", "busy", "error"}
    assert public["public_flat_rw"] == inputs
    assert public["public_flat_rd"] == outputs | {f"engine.{name}_mem"
                                                  for name in memory_names(cfg)}


def test_generate_bad_config(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[core]\nlanes = 3\n")
    assert main(["generate", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "lanes must divide n_neurons=256" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_docs_are_generated_and_current():
    """docs/config.md and docs/regmap.md are what the code generates today."""
    from pathlib import Path
    from spikecore.config import config_reference
    docs = Path(__file__).resolve().parent.parent / "docs"
    assert (docs / "config.md").read_text().strip() == config_reference().strip(), \
        "run: spikecore config doc > docs/config.md"
    assert (docs / "regmap.md").read_text() == build_regmap(load_config("default")).to_markdown()
