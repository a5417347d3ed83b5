"""Shipped core configurations (TOML), loadable by name with ``spikecore.load_config``."""
