"""CoreConfig: validation of every field, TOML round trips, shipped configurations."""

import re

import pytest

from spikecore.config import CoreConfig, load_config, shipped_configs


def test_default_is_valid():
    cfg = CoreConfig()
    assert (cfg.n_axons, cfg.n_neurons, cfg.weight_bits) == (256, 256, 8)
    # w_min/w_max default to the full weight range.
    assert (cfg.w_min, cfg.w_max) == (-128, 127)


def test_derived_quantities():
    cfg = CoreConfig(n_axons=10, n_neurons=12, lanes=4, recurrent=True, weight_bits=6)
    assert cfg.n_rows == 22            # 10 axons + 12 recurrent rows
    assert cfg.groups == 3             # 12 neurons / 4 lanes
    # 22 rows of at least -32: the sum needs 6 + bitlen(22) = 6 + 5 = 11 bits.
    assert cfg.acc_bits == 11
    assert -(1 << (cfg.acc_bits - 1)) <= 22 * -32
    assert cfg.axon_id_bits == 4       # 10 = 0b1010: ids up to 15 expressible
    assert cfg.synapses == 22 * 12


def test_off_shifts():
    cfg = CoreConfig(leak_shift="off", i_bits=12, syn_shift="off", pre_trace_shift="off",
                     post_trace_shift="off")
    assert (cfg.leak_shift, cfg.syn_shift) == (cfg.v_bits, 12)
    assert cfg.pre_trace_shift == cfg.post_trace_shift == cfg.trace_bits


# (field changes, exception, anchored message)
WRONG = [
    ({"n_axons": "16"}, TypeError, r"^CoreConfig\.n_axons must be an integer, not '16'$"),
    ({"n_axons": True}, TypeError, r"^CoreConfig\.n_axons must be an integer, not True$"),
    ({"n_axons": 0}, ValueError, r"^CoreConfig\.n_axons must be in \[1, 65536\], not 0$"),
    ({"n_neurons": -4}, ValueError, r"^CoreConfig\.n_neurons must be in \[1, 65536\], not -4$"),
    ({"recurrent": 1}, TypeError, r"^CoreConfig\.recurrent must be a bool, not 1$"),
    ({"lanes": 3}, ValueError,
     r"^CoreConfig\.lanes must divide n_neurons=256, not 3; allowed: 1, 2, 4, 8, 16, 32, 64$"),
    ({"lanes": 0}, ValueError, r"^CoreConfig\.lanes must be in \[1, 64\], not 0$"),
    ({"weight_bits": 1}, ValueError, r"^CoreConfig\.weight_bits must be in \[2, 16\], not 1$"),
    ({"v_bits": 40}, ValueError, r"^CoreConfig\.v_bits must be in \[4, 32\], not 40$"),
    ({"i_bits": 2}, ValueError,
     r"^CoreConfig\.i_bits must be in \[4, 32\] \(or 0 for CUBA off\), not 2$"),
    ({"ref_bits": 0}, ValueError, r"^CoreConfig\.ref_bits must be in \[1, 16\], not 0$"),
    ({"trace_bits": 1}, ValueError, r"^CoreConfig\.trace_bits must be in \[2, 16\], not 1$"),
    ({"rate_bits": 9}, ValueError, r"^CoreConfig\.rate_bits must be in \[1, 8\], not 9$"),
    ({"timestep_bits": 0}, ValueError,
     r"^CoreConfig\.timestep_bits must be in \[1, 32\], not 0$"),
    ({"stdp": "yes"}, TypeError, r"^CoreConfig\.stdp must be a bool, not 'yes'$"),
    ({"weight_ram": "triple"}, ValueError,
     r"^CoreConfig\.weight_ram must be one of 'dual', 'single', not 'triple'$"),
    # a width that cannot hold the threshold
    ({"v_bits": 8, "threshold": 200}, ValueError,
     r"^CoreConfig\.threshold must be in \[1, 127\] \(a positive value that v_bits=8 can "
     r"hold\), not 200$"),
    ({"threshold": 0}, ValueError, r"^CoreConfig\.threshold must be in \[1, 32767\]"),
    ({"reset": "hard"}, ValueError,
     r"^CoreConfig\.reset must be one of 'zero', 'subtract', not 'hard'$"),
    ({"reset": 0}, TypeError, r"^CoreConfig\.reset must be a string, not 0$"),
    ({"refractory": 16}, ValueError,
     r"^CoreConfig\.refractory must be in \[0, 15\] \(fits ref_bits=4\), not 16$"),
    ({"bias": 40000}, ValueError,
     r"^CoreConfig\.bias must be in \[-32768, 32767\] \(fits v_bits=16\), not 40000$"),
    # a shift wider than its state
    ({"leak_shift": 17}, ValueError,
     r"^CoreConfig\.leak_shift must be in \[0, 16\] \(16 or 'off' = no leak\), not 17$"),
    ({"leak_shift": "none"}, TypeError,
     r"^CoreConfig\.leak_shift must be an integer or 'off', not 'none'$"),
    ({"i_bits": 8, "syn_shift": 9}, ValueError,
     r"^CoreConfig\.syn_shift must be in \[0, 8\] \(8 or 'off' = no decay\), not 9$"),
    ({"trace_mode": "pairs"}, ValueError,
     r"^CoreConfig\.trace_mode must be one of 'all_to_all', 'nearest', not 'pairs'$"),
    ({"trace_inc": 256}, ValueError,
     r"^CoreConfig\.trace_inc must be in \[1, 255\] \(fits trace_bits=8\), not 256$"),
    ({"pre_trace_shift": 9}, ValueError,
     r"^CoreConfig\.pre_trace_shift must be in \[0, 8\] \(8 or 'off' = no decay\), not 9$"),
    ({"post_trace_shift": -1}, ValueError, r"^CoreConfig\.post_trace_shift must be in"),
    ({"ltp_rate": 16}, ValueError,
     r"^CoreConfig\.ltp_rate must be in \[0, 15\] \(fits rate_bits=4\), not 16$"),
    ({"ltd_rate": -1}, ValueError, r"^CoreConfig\.ltd_rate must be in \[0, 15\]"),
    ({"ltp_shift": 13}, ValueError,
     r"^CoreConfig\.ltp_shift must be in \[0, 12\] \(a shift of the 12-bit trace\*rate "
     r"product\), not 13$"),
    ({"ltd_shift": 2.0}, TypeError, r"^CoreConfig\.ltd_shift must be an integer, not 2\.0$"),
    ({"w_min": -129}, ValueError,
     r"^CoreConfig\.w_min must be in \[-128, 127\] \(fits weight_bits=8\), not -129$"),
    ({"w_min": 10, "w_max": 5}, ValueError,
     r"^CoreConfig\.w_max must be in \[10, 127\] \(at least w_min=10, fits weight_bits=8\), "
     r"not 5$"),
    ({"stdp": False}, ValueError,
     r"^CoreConfig\.learn must be False when stdp is False"),
    ({"learn": "on"}, TypeError, r"^CoreConfig\.learn must be a bool, not 'on'$"),
    ({"plastic": None}, TypeError, r"^CoreConfig\.plastic must be a bool, not None$"),
]


@pytest.mark.parametrize("changes, error, message", WRONG,
                         ids=[",".join(w[0]) for w in WRONG])
def test_field_wrong(changes, error, message):
    """Every bad field raises the right exception naming the field, value and allowed set."""
    with pytest.raises(error, match=message):
        CoreConfig(**changes)


def test_every_field_has_a_wrong_test():
    from dataclasses import fields
    tested = {name for changes, _, _ in WRONG for name in changes}
    untested = {f.name for f in fields(CoreConfig)} - tested
    assert not untested, f"fields without a *_wrong case: {sorted(untested)}"


def test_frozen():
    cfg = CoreConfig()
    with pytest.raises(AttributeError):
        cfg.lanes = 4


def test_toml_round_trip(tmp_path):
    cfg = CoreConfig(n_axons=20, n_neurons=12, lanes=3, recurrent=True, i_bits=10,
                     reset="subtract", trace_mode="nearest", leak_shift="off")
    path = tmp_path / "c.toml"
    cfg.save(path)
    assert CoreConfig.load(path) == cfg
    assert "[core]" in path.read_text() and "[stdp]" in path.read_text()


def test_toml_unknown_field_wrong():
    with pytest.raises(ValueError, match=r"^x: unknown field core\.n_axon; allowed in \[core\]"):
        CoreConfig.from_toml("[core]\nn_axon = 3\n", source="x")


def test_toml_misplaced_field_wrong():
    with pytest.raises(ValueError, match=r"^x: field threshold belongs in \[neuron\], not "
                                         r"\[core\]$"):
        CoreConfig.from_toml("[core]\nthreshold = 3\n", source="x")


def test_toml_unknown_section_wrong():
    with pytest.raises(ValueError, match=r"^x: unknown section \[learning\]; allowed: core, "
                                         r"neuron, stdp$"):
        CoreConfig.from_toml("[learning]\nlearn = true\n", source="x")


def test_toml_syntax_wrong():
    with pytest.raises(ValueError, match=r"^x is not valid TOML: "):
        CoreConfig.from_toml("[core\n", source="x")


def test_flat_toml_accepted():
    assert CoreConfig.from_toml("n_axons = 4\nn_neurons = 4\nlanes = 2\n").n_axons == 4


def test_shipped_configs():
    names = shipped_configs()
    for required in ("tiny", "default", "icebreaker", "ulx3s"):
        assert required in names
    tiny, default = load_config("tiny"), load_config("default")
    assert (tiny.n_axons, tiny.n_neurons) == (16, 16)
    assert (default.n_axons, default.n_neurons, default.weight_bits) == (256, 256, 8)
    for name in names:
        load_config(name)   # every shipped file validates


def test_load_config_wrong():
    with pytest.raises(ValueError, match=r"^unknown configuration 'huge'; shipped: "):
        load_config("huge")
    with pytest.raises(ValueError, match=r"^configuration file 'nope\.toml' does not exist$"):
        load_config("nope.toml")


def test_summary_mentions_geometry():
    assert re.match(r"^256 axons x 256 LIF neurons", CoreConfig().summary())
