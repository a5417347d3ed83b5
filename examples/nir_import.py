"""Import a NIR graph (two LIF layers, written with nir.write and read back) onto a core,
print the quantization report, and run it on the golden model and the RTL next to the float
network.

    python examples/nir_import.py [--backend golden|rtl|both] [--quick]
"""

from pathlib import Path

import nir
import numpy as np

from _common import backends, parser
from spikecore.sim.nir_import import import_nir, load_nir
from spikecore.sim.nir_reference import run_float
from spikecore.sim.plots import plot_membrane, plot_raster
from spikecore.sim.simulate import golden_trace, read_spikes, simulate


def graph(rng, n_in=16, hidden=10, n_out=4):
    def lif(n, thr):
        return nir.LIF(tau=np.full(n, 8.0), r=np.full(n, 8.0), v_leak=np.zeros(n),
                       v_threshold=np.full(n, thr))
    return nir.NIRGraph.from_list(
        nir.Input(input_type=np.array([n_in])),
        nir.Affine(weight=rng.normal(0.3, 0.5, (hidden, n_in)), bias=np.zeros(hidden)),
        lif(hidden, 1.0), nir.Linear(weight=rng.normal(0.3, 0.6, (n_out, hidden))),
        lif(n_out, 2.0), nir.Output(output_type=np.array([n_out])))


def main():
    args = parser(__doc__).parse_args()
    rng = np.random.default_rng(args.seed)
    out = Path(args.out) / "nir"
    out.mkdir(parents=True, exist_ok=True)
    nir.write(str(out / "model.nir"), graph(rng))
    imported = import_nir(load_nir(out / "model.nir"), base="tiny")
    imported.write(out / "core")
    print(f"seed {args.seed}")
    print("\n".join(imported.report))
    steps = 100 if args.quick else 1000
    raster = rng.random((steps, imported.cfg.n_axons)) < 0.3
    np.save(out / "input.npy", raster)
    ref = run_float(imported, raster)
    runs = {}
    for backend in backends(args.backend):
        simulate(imported.cfg, out / "input.npy", out / backend, name="nir-example",
                 network=out / "core" / "network.npz", backend=backend)
        spikes = np.zeros((steps, imported.cfg.n_neurons), dtype=bool)
        for t, neuron in read_spikes(out / backend / "spikes.csv"):
            spikes[t, neuron] = True
        runs[backend] = spikes
    cols = imported.output_columns
    print(f"output spike counts per neuron over {steps} steps:")
    print(f"  float  {ref[:, cols.start:cols.stop].sum(axis=0).tolist()}")
    for backend, spikes in runs.items():
        print(f"  {backend:6} {spikes[:, cols.start:cols.stop].sum(axis=0).tolist()}")
    if len(runs) == 2:
        assert np.array_equal(runs["golden"], runs["rtl"]), "golden and RTL differ"
        print("golden and RTL: identical spikes")
    record = golden_trace(imported.cfg, [np.flatnonzero(r) for r in raster],
                          network=out / "core" / "network.npz")
    window = slice(0, 100)
    for path in (plot_raster(out.parent / "nir_raster.png", record["spikes"][window],
                             inputs=record["inputs"][window],
                             title="NIR import: input, hidden (0-9) and output (10-13)"),
                 plot_membrane(out.parent / "nir_membrane.png", record["v"][window],
                               [0, cols.start], threshold=record["threshold"],
                               spikes=record["spikes"][window],
                               title="membrane: a hidden and an output neuron")):
        print(f"plot -> {path}")


if __name__ == "__main__":
    main()
