"""Formal proofs with SymbiYosys (real ``yowasp-sby`` runs): each property group holds on the
formal core, and each group's broken twin is rejected with a trace.

The CI subset: the depths are the defaults of :data:`spikecore.sim.formal.GROUPS` except the
liveness bound, cut to a first timestep with one input event (its full depth takes minutes;
run ``spikecore prove --only liveness`` for it).
"""

import os

import pytest

from spikecore.cli import main
from spikecore.sim.formal import (BROKEN, GROUPS, FormalToolError, formal_tools, name_checks,
                                  prove, run_group)
from spikecore.sim.formal_harness import FORMAL_CONFIG, arith_harness, step_bounds

#: Depths of the CI subset: the liveness check sees a first step with one input row, the
#: START right behind the event included (event accepted about cycle 3, decided at 5, START
#: taken at 7, idle again at 7 + 18 + 1 = 26). At 19 cycles (no input row) it missed a START
#: that overtook its row into the queue; 26 catches that bug.
CI_DEPTH = {"liveness": 26}


@pytest.fixture(scope="module")
def tools():
    """The formal tools; missing ones skip the test, or fail it in CI."""
    try:
        return formal_tools()
    except FormalToolError as error:
        if os.environ.get("SPIKECORE_REQUIRE_TOOLS"):
            pytest.fail(f"{error}; SPIKECORE_REQUIRE_TOOLS is set (as in CI)")
        pytest.skip(str(error))


@pytest.mark.parametrize("group", list(GROUPS))
def test_group_holds(tools, tmp_path, group):
    results = run_group(group, depth=CI_DEPTH.get(group), workdir=tmp_path)
    for result in results:
        assert result.passed, "\n".join([result.status, *map(str, result.properties.items())])
        assert result.properties
        wrong = {n: o for n, o in result.properties.items() if o not in ("pass", "reached")}
        assert not wrong, wrong


@pytest.mark.parametrize("group", list(GROUPS))
def test_broken_twin_fails(tools, tmp_path, group):
    """The proofs bite: the group's mutant is rejected, naming the property, with a trace."""
    [result] = run_group(group, depth=CI_DEPTH.get(group), broken=True, workdir=tmp_path)
    assert result.status == "FAIL", result.status
    if result.mode == "cover":
        assert result.properties["weight_learned"] == "UNREACHED"
    else:
        assert "FAIL" in result.properties.values(), result.properties
        assert result.traces and all(t.suffix == ".vcd" and t.exists() for t in result.traces)


def test_stdp_sign_flip_rejected(tools, tmp_path):
    """The design fault of the potentiation sign breaks the weight update's reference."""
    [result] = run_group("arith", broken="stdp_sign_flip", workdir=tmp_path)
    assert result.status == "FAIL"
    failed = {n for n, o in result.properties.items() if o == "FAIL"}
    assert failed and all(n.startswith("weight_potentiate_ref") for n in failed), failed


def test_step_bounds_from_cycle_model():
    first, longest = step_bounds()
    assert len(first) == FORMAL_CONFIG.n_axons + 1
    assert first == sorted(first) and longest >= max(first)


def test_name_checks_names_cells():
    from amaranth.back import rtlil
    design = arith_harness()
    text, properties = name_checks(rtlil.convert(design, ports=design.inputs))
    assert properties["neuron_v_lane0"] == "assert"
    assert properties["membrane_saturates_high"] == "cover"
    assert "cell $check \\neuron_v_lane0" in text


@pytest.mark.parametrize("depth, error, message", [
    (0, ValueError, r"^depth must be a positive integer, not 0$"),
    (-3, ValueError, r"^depth must be a positive integer, not -3$"),
    (2.5, TypeError, r"^depth must be a positive integer, not 2\.5$"),
])
def test_depth_wrong(depth, error, message):
    with pytest.raises(error, match=message):
        prove(["arith"], depth=depth)


def test_group_wrong():
    with pytest.raises(ValueError, match=r"^unknown property group 'alu'; known: arith, "):
        prove(["alu"])


def test_mutant_wrong():
    with pytest.raises(ValueError, match=r"^unknown mutant 'nope'; known: "):
        arith_harness(broken="nope")


def test_broken_names_known():
    for group, (mutant, check) in BROKEN.items():
        assert check in [c.name for c in GROUPS[group]]


def test_cli_depth_wrong(capsys):
    assert main(["prove", "--depth", "0"]) == 2
    assert "depth must be a positive integer, not 0" in capsys.readouterr().err


def test_cli_prove_one_group(tools, tmp_path, capsys):
    assert main(["prove", "--only", "interface", "--keep", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "interface.command: PASS (k-induction, k=4" in out
    assert "pass      bad_cmd_status" in out
