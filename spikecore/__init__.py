"""spikecore: a generator of spiking neuromorphic cores, bit-exact to a numpy golden model."""

from .config import CoreConfig, load_config

__all__ = ["CoreConfig", "load_config", "__version__"]
__version__ = "0.1.0"
