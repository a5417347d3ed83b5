"""What a testbench run is about: configuration, seed, length, and how to repeat it.

:func:`spikecore.sim.runner.run_cocotb` passes these through environment variables; a
testbench reads them once with :meth:`RunContext.from_env`.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from spikecore.config import CoreConfig, load_config

__all__ = ["RunContext"]


@dataclass
class RunContext:
    """Parameters of one testbench run.

    Attributes
    ----------
    cfg : CoreConfig
    name : str
        Short name of the configuration.
    config_path : str
        The ``config.toml`` the core was generated from.
    seed : int
        Seed of the workload.
    steps : int or None
        Timesteps requested (``None``: the testbench's default).
    rerun : str
        Shell command that repeats this run with waves.
    metrics_path : Path or None
        Where :meth:`report` writes measurements.
    extra : dict
        Every other ``SPIKECORE_*`` variable, by name without the prefix, lower case.
    """
    cfg: CoreConfig
    name: str
    config_path: str
    seed: int
    steps: int | None
    rerun: str
    metrics_path: Path | None
    extra: dict = field(default_factory=dict)

    KNOWN = ("CONFIG", "NAME", "SEED", "STEPS", "RERUN", "METRICS", "WAVES", "BUILD")

    @classmethod
    def from_env(cls, environ=None):
        env = os.environ if environ is None else environ
        path = env.get("SPIKECORE_CONFIG")
        if not path:
            raise RuntimeError("SPIKECORE_CONFIG is not set: run the testbenches through "
                               "spikecore.sim.runner.run_cocotb")
        steps = env.get("SPIKECORE_STEPS")
        metrics = env.get("SPIKECORE_METRICS")
        extra = {key[len("SPIKECORE_"):].lower(): value for key, value in env.items()
                 if key.startswith("SPIKECORE_") and key[len("SPIKECORE_"):] not in cls.KNOWN}
        return cls(cfg=load_config(path), name=env.get("SPIKECORE_NAME", Path(path).stem),
                   config_path=path, seed=int(env.get("SPIKECORE_SEED", "1")),
                   steps=int(steps) if steps else None,
                   rerun=env.get("SPIKECORE_RERUN", "(rerun command unknown)"),
                   metrics_path=Path(metrics) if metrics else None, extra=extra)

    def describe(self):
        """One line naming the configuration and seed, for failure messages."""
        return f"config {self.name} ({self.cfg.summary()}; {self.config_path}), seed {self.seed}"

    def report(self, test, **values):
        """Record measurements of ``test`` (merged into the metrics file)."""
        if self.metrics_path is None:
            return
        data = json.loads(self.metrics_path.read_text()) if self.metrics_path.exists() else {}
        data.setdefault(test, {}).update(values)
        self.metrics_path.write_text(json.dumps(data, indent=2) + "\n")
