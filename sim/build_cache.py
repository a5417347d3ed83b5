"""Generate each configuration's Verilog once and share it between test workers.

Outputs go to ``build/cache/<name>-<hash of the config>/``; a file lock makes concurrent
pytest-xdist workers wait for the first one instead of generating the same core twice. The
outputs are made again when the generator itself (``hdl/``, the register map, the
configuration code) has changed since, so an edit of the hardware never meets a stale core.
"""

import fcntl
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

from spikecore.hdl.generate import GeneratedCore, TOP, generate

__all__ = ["cache_root", "config_key", "generated", "locked"]


def cache_root():
    root = Path(os.environ.get("SPIKECORE_BUILD", "build")) / "cache"
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def config_key(cfg, name="core", faults=()):
    text = cfg.to_toml() + "".join(f"\nfault {f}" for f in sorted(faults))
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{name}-{digest}" + "".join(f"-{f}" for f in sorted(faults))


@contextmanager
def locked(path):
    """Hold an exclusive lock on ``path`` (a lock file) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def generator_digest():
    """Hash of the sources the generated files depend on (the ``hdl`` package, the register
    map and the configuration code)."""
    import spikecore.config
    import spikecore.hdl
    import spikecore.regmap
    files = sorted(Path(spikecore.hdl.__file__).parent.glob("*.py"))
    files += [Path(spikecore.regmap.__file__), Path(spikecore.config.__file__)]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def generated(cfg, name="core", *, faults=()):
    """The generated core of ``cfg``: made on first use, reused afterwards (until the
    generator changes, see :func:`generator_digest`). ``faults`` injects known bugs
    (tests only) into a separate build."""
    out = cache_root() / config_key(cfg, name, faults)
    with locked(out.with_suffix(".lock")):
        done = out / ".done"
        stamp = generator_digest()
        if not done.exists() or done.read_text().strip() != stamp:
            generate(cfg, out, faults=faults)
            done.write_text(stamp + "\n")
    return GeneratedCore(out_dir=out, verilog=out / f"{TOP}.v", vlt=out / f"{TOP}.vlt",
                         regmap_json=out / "regmap.json", regmap_md=out / "regmap.md",
                         config=out / "config.toml", seconds=0.0)
