"""On-chip STDP: a neuron learns a spike pattern hidden in Poisson noise; its selectivity
with learning on vs off, golden and RTL ending with identical weights; plots.

    python examples/stdp_pattern.py [--backend golden|rtl|both] [--quick]
"""

from pathlib import Path

import numpy as np

from _common import backends, parser
from spikecore.sim import learning
from spikecore.sim.plots import (plot_membrane, plot_raster, plot_stdp_window, plot_weights,
                                 stdp_window)
from spikecore.sim.simulate import golden_trace


def main():
    args = parser(__doc__).parse_args()
    steps, segments = (600, 40) if args.quick else (2000, 100)
    result = learning.evaluate(backends=backends(args.backend), train_steps=steps,
                               test_segments=segments, seed=args.seed)
    task, cfg = result["task"], result["cfg"]
    print(f"seed {args.seed}: pattern on axons {task.axons} (offset, axon) {task.pattern}, "
          f"noise rate {task.rate}/step; {steps} training steps, {segments} test segments")
    for backend in backends(args.backend):
        r = result[backend]
        for kind in ("learned", "control"):
            m = r[kind]
            print(f"{backend:6} {kind:8} hit {m['hit_rate']:.2f}  false alarm "
                  f"{m['false_alarm_rate']:.2f}  selectivity {m['selectivity']:+.2f}  "
                  f"accuracy {m['accuracy']:.2f}")
        print(f"{backend:6} {r['seconds']:.1f} s; weights of neuron 0: "
              f"{r['weights'][:cfg.n_axons, 0].tolist()}")
    if args.backend == "both":
        assert np.array_equal(result["golden"]["weights"], result["rtl"]["weights"])
        assert np.array_equal(result["golden"]["test_spikes"], result["rtl"]["test_spikes"])
        print("golden and RTL: identical final weights and spikes")

    out = Path(args.out)
    net = learning.network(cfg)
    record = golden_trace(cfg, [np.flatnonzero(r) for r in result["train"]],
                          network=_save(out / "stdp_network.npz", net))
    window = slice(0, 120)
    paths = [plot_raster(out / "stdp_raster.png", record["spikes"][window, :1],
                         inputs=record["inputs"][window], marks=[o for o in result["onsets"]
                                                                 if o < 120],
                         title="STDP training: input (pattern onsets marked) and neuron 0"),
             plot_membrane(out / "stdp_membrane.png", record["v"][window], [0],
                           threshold=record["threshold"], spikes=record["spikes"][window],
                           title="neuron 0 membrane (learning on)"),
             plot_weights(out / "stdp_weights.png", record["weights_before"][:cfg.n_axons, :1],
                          record["weights_after"][:cfg.n_axons, :1], title="weights")]
    delays, dw = stdp_window(cfg.replace(**{k: v for k, v in learning.PARAMS.items()
                                            if k not in ("learn", "threshold")} |
                                         {"trace_mode": "nearest"}), start=20)
    paths.append(plot_stdp_window(out / "stdp_window.png", delays, dw))
    for path in paths:
        print(f"plot -> {path}")


def _save(path, net):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **net)
    return path


if __name__ == "__main__":
    main()
