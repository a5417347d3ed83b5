"""NIR import: graphs built with the nir API and read back from files map onto a core whose
golden model follows the float network, and the RTL runs the imported network bit-exactly."""

import nir
import numpy as np
import pytest

from spikecore.cli import main
from spikecore.config import CoreConfig, load_config
from spikecore.golden import GoldenCore
from spikecore.sim.nir_import import import_nir, load_nir
from spikecore.sim.nir_reference import run_float
from spikecore.sim.simulate import read_spikes, simulate
from spikecore.sim.spike_io import load_network


def lif(n, tau=8.0, r=8.0, thr=1.0, reset=0.0):
    return nir.LIF(tau=np.full(n, tau), r=np.full(n, r), v_leak=np.zeros(n),
                   v_threshold=np.full(n, thr), v_reset=np.full(n, reset))


def cuba(n, thr=1.0):
    return nir.CubaLIF(tau_syn=np.full(n, 2.0), tau_mem=np.full(n, 8.0), r=np.full(n, 8.0),
                       v_leak=np.zeros(n), v_threshold=np.full(n, thr))


def chain(*nodes):
    return nir.NIRGraph.from_list(*nodes)


def two_layer(rng, n_in=12, hidden=8, n_out=6, neuron=lif):
    return chain(nir.Input(input_type=np.array([n_in])),
                 nir.Affine(weight=rng.normal(0.3, 0.5, size=(hidden, n_in)),
                            bias=rng.normal(0, 0.05, size=hidden)),
                 neuron(hidden),
                 nir.Linear(weight=rng.normal(0.3, 0.6, size=(n_out, hidden))),
                 neuron(n_out, thr=2.0),
                 nir.Output(output_type=np.array([n_out])))


def poisson(rng, steps, n, p=0.3):
    return rng.random((steps, n)) < p


def golden_raster(imported, raster, cfg=None):
    golden = GoldenCore(cfg or imported.cfg)
    for name, value in imported.network.items():
        if name.startswith("param."):
            golden.set_param(name[6:], int(value))
        else:
            golden._array(name)[...] = value
    return golden.run(raster)


def test_single_layer_lif(seed):
    rng = np.random.default_rng(seed)
    graph = chain(nir.Input(input_type=np.array([10])),
                  nir.Affine(weight=rng.normal(size=(5, 10)), bias=np.full(5, 0.01)),
                  lif(5), nir.Output(output_type=np.array([5])))
    imported = import_nir(graph, base="default")
    cfg = imported.cfg
    assert (cfg.n_axons, cfg.n_neurons, cfg.recurrent, cfg.cuba) == (10, 8, False, False)
    assert cfg.leak_shift == 3 and cfg.reset == "zero" and not cfg.learn
    layer = imported.layers[0]
    assert layer.rows == range(0, 10) and layer.columns == range(0, 5)
    # Scaled float weights and their quantization differ by at most half an LSB.
    exact = graph.nodes["affine"].weight * (cfg.threshold / 1.0) * (8.0 / 8.0)
    stored = imported.network["weight"][:10, :5].T
    assert np.max(np.abs(stored - exact)) <= 0.5
    assert np.abs(stored).max() > cfg.weight_max // 2         # the weights use the range
    text = "\n".join(imported.report)
    assert "affine -> lif (LIF)" in text and "leak_shift 3" in text


def test_two_layers_use_recurrent_rows_with_one_step_delay(seed):
    rng = np.random.default_rng(seed)
    imported = import_nir(two_layer(rng), base="tiny")
    cfg = imported.cfg
    first, second = imported.layers
    assert cfg.recurrent and cfg.n_axons == 12 and cfg.n_neurons == 14
    assert second.rows == range(12, 20) and second.columns == range(8, 14)
    assert imported.delay == 1 and imported.output_columns == range(8, 14)
    # Layer 2's synapses sit on the recurrent rows of layer 1's neurons, nowhere else.
    w = imported.network["weight"]
    assert not w[:12, 8:].any() and not w[12:, :8].any() and w[12:20, 8:14].any()
    assert any("+1 timestep of delay" in line for line in imported.report)


@pytest.mark.parametrize("neuron", [lif, cuba])
def test_golden_follows_the_float_network(seed, neuron):
    """The quantized core and the float Euler network agree on spike counts (the import's
    quantization is small); layer 2 sees layer 1 one step late in both."""
    rng = np.random.default_rng(seed)
    imported = import_nir(two_layer(rng, neuron=neuron), base="tiny")
    raster = poisson(rng, 300, 12)
    core = golden_raster(imported, raster)[:, :14]
    ref = run_float(imported, raster)
    counts, ref_counts = core.sum(axis=0), ref.sum(axis=0)
    assert ref_counts.sum() > 50
    assert np.all(np.abs(counts - ref_counts) <= 0.1 * ref_counts + 3), (counts, ref_counts)


def test_cuba_and_if_mapping():
    rng = np.random.default_rng(1)
    cfg = import_nir(two_layer(rng, neuron=cuba), base="default").cfg
    assert cfg.cuba and cfg.i_bits == 16 and cfg.syn_shift == 1 and cfg.leak_shift == 3
    graph = chain(nir.Input(input_type=np.array([4])),
                  nir.Linear(weight=np.eye(4)),
                  nir.IF(r=np.ones(4), v_threshold=np.full(4, 2.0)),
                  nir.Output(output_type=np.array([4])))
    imported = import_nir(graph, base="default", reset="subtract")
    assert imported.cfg.leak_shift == imported.cfg.v_bits        # "off"
    assert imported.cfg.reset == "subtract"
    assert any("deviation" in line for line in imported.report)
    # IF with integer-friendly values is exact: two input spikes make one output spike.
    raster = np.zeros((6, 4), dtype=bool)
    raster[[0, 2, 4], 1] = True
    assert golden_raster(imported, raster)[:, 1].tolist() == [0, 0, 1, 0, 0, 0]


def test_file_round_trip_and_cli(tmp_path, capsys):
    rng = np.random.default_rng(4)
    graph = two_layer(rng)
    nir.write(str(tmp_path / "net.nir"), graph)
    direct = import_nir(graph, base="tiny")
    from_file = import_nir(load_nir(tmp_path / "net.nir"), base="tiny")
    for name, value in direct.network.items():
        assert np.array_equal(value, from_file.network[name]), name
    assert main(["import-nir", str(tmp_path / "net.nir"), "--out", str(tmp_path / "out"),
                 "--config-base", "tiny"]) == 0
    assert "threshold = " in capsys.readouterr().out
    cfg = CoreConfig.load(tmp_path / "out" / "config.toml")
    assert cfg == direct.cfg
    golden = GoldenCore(cfg)
    load_network(tmp_path / "out" / "network.npz", golden)
    assert np.array_equal(golden.weights, direct.network["weight"])
    assert "threshold" in (tmp_path / "out" / "report.txt").read_text()


def test_imported_network_on_rtl_matches_golden(tmp_path):
    """The imported network runs on the RTL of the shipped ``tiny`` core (geometry kept, the
    parameters travel in the network file) with the golden model's spikes and state."""
    rng = np.random.default_rng(5)
    imported = import_nir(two_layer(rng, neuron=cuba), base="tiny", keep_geometry=True)
    imported.write(tmp_path / "imp")
    raster = np.zeros((60, 16), dtype=bool)
    raster[:, :12] = poisson(rng, 60, 12, p=0.4)
    np.save(tmp_path / "in.npy", raster)
    tiny = load_config("tiny")
    outs = {}
    for backend in ("golden", "rtl"):
        simulate(tiny, tmp_path / "in.npy", tmp_path / backend, name="tiny",
                 network=tmp_path / "imp" / "network.npz", backend=backend,
                 clear_at=[30])
        outs[backend] = read_spikes(tmp_path / backend / "spikes.csv")
    assert outs["golden"] == outs["rtl"] and len(outs["rtl"]) > 10
    a, b = np.load(tmp_path / "golden" / "state.npz"), np.load(tmp_path / "rtl" / "state.npz")
    for name in a.files:
        assert np.array_equal(a[name], b[name]), name


# -- unsupported graphs and parameters -----------------------------------------------------

def test_unsupported_node_wrong():
    graph = chain(nir.Input(input_type=np.array([4])), nir.Linear(weight=np.eye(4)),
                  nir.Threshold(threshold=np.ones(4)), nir.Output(output_type=np.array([4])))
    with pytest.raises(ValueError, match=r"^node 'threshold' \(Threshold\) is not supported"):
        import_nir(graph)


def test_branch_wrong():
    nodes = {"in": nir.Input(input_type=np.array([2])), "a": nir.Linear(weight=np.eye(2)),
             "b": nir.Linear(weight=np.eye(2)), "n": lif(2),
             "out": nir.Output(output_type=np.array([2]))}
    graph = nir.NIRGraph(nodes=nodes, edges=[("in", "a"), ("in", "b"), ("a", "n"), ("b", "n"),
                                             ("n", "out")], type_check=False)
    with pytest.raises(ValueError, match=r"^node 'in' \(Input\) has 2 outgoing edges"):
        import_nir(graph)


def test_reset_value_wrong():
    graph = chain(nir.Input(input_type=np.array([2])), nir.Linear(weight=np.eye(2)),
                  lif(2, reset=0.5), nir.Output(output_type=np.array([2])))
    with pytest.raises(ValueError, match=r"^node 'lif' \(LIF\): v_reset must be 0"):
        import_nir(graph)


def test_mixed_time_constants_wrong():
    graph = chain(nir.Input(input_type=np.array([2])), nir.Linear(weight=np.eye(2)),
                  nir.LIF(tau=np.array([2.0, 32.0]), r=np.ones(2), v_leak=np.zeros(2),
                          v_threshold=np.ones(2)), nir.Output(output_type=np.array([2])))
    with pytest.raises(ValueError, match=r"^node 'lif': tau values \[2.0, 32.0\] round to "
                                         r"different shifts \[1, 5\]"):
        import_nir(graph)


def test_does_not_fit_wrong():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"^node 'lif_1': the layers need 20 neurons, more "
                                         r"than the 16 of the base configuration"):
        import_nir(two_layer(rng, hidden=12, n_out=8), base="tiny", keep_geometry=True)
    with pytest.raises(ValueError, match=r"^node 'lif_1': a second layer needs the recurrent "
                                         r"rows"):
        import_nir(two_layer(rng), base="default", keep_geometry=True)


def test_arguments_wrong():
    graph = two_layer(np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"^graph must be a nir.NIRGraph, not 3"):
        import_nir(3)
    with pytest.raises(ValueError, match=r"^dt must be a positive number, not 0"):
        import_nir(graph, dt=0)
    with pytest.raises(ValueError, match=r"^reset must be 'zero' or 'subtract', not 'hold'"):
        import_nir(graph, reset="hold")
    with pytest.raises(ValueError, match=r"^NIR file 'nope.nir' does not exist"):
        load_nir("nope.nir")
