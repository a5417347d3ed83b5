"""Classify scikit-learn's 8x8 digits on the core: float logistic regression -> NIR ->
core; accuracy of the float model, the golden model and the RTL on the held-out images.

    python examples/digits.py [--backend golden|rtl|both] [--quick]
"""

from pathlib import Path

import numpy as np

from _common import backends, parser
from spikecore.sim import digits
from spikecore.sim.plots import plot_raster


def main():
    args = parser(__doc__).parse_args()
    limit = 40 if args.quick else None
    print(f"seed {args.seed}, {digits.load_split.__name__}: stratified 80/20 split")
    result = digits.evaluate(backends=backends(args.backend), steps=16, limit=limit,
                             seed=args.seed)
    print("\n".join(result["imported"].report))
    print(f"{result['images']} held-out images, {result['steps']} timesteps each")
    print(f"float model accuracy:  {result['float']:.4f}")
    for backend in backends(args.backend):
        r = result[backend]
        print(f"{backend:6} accuracy:       {r['accuracy']:.4f} ({r['seconds']:.1f} s)")
    spikes = result["spikes"]
    if len(spikes) == 2:
        assert np.array_equal(spikes["golden"], spikes["rtl"]), "golden and RTL differ"
        print("golden and RTL: identical output spikes on every image")
    out = Path(args.out)
    first = next(iter(spikes.values()))[:10 * result["steps"], :10]
    path = plot_raster(out / "digits_raster.png", first, title="digits: output spikes, "
                       "10 images", marks=range(0, 10 * result["steps"], result["steps"]))
    print(f"plot -> {path}")


if __name__ == "__main__":
    main()
