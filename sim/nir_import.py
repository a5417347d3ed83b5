"""Map a NIR graph (https://neuroir.org) onto one spikecore core.

Supported graphs are chains ``Input -> (Affine | Linear) -> (LIF | CubaLIF | IF) -> ... ->
Output``: one or more fully connected layers of spiking neurons. The neurons of every layer
share the core's neuron array, layer after layer (layer ``l`` occupies a contiguous range of
columns). The first layer's synapses are the axon rows ``0 .. n_in-1``. A later layer reads
the spikes of the layer before it through the recurrent rows (row ``n_axons + j`` carries
neuron ``j``'s spike of the previous step), so every layer after the first adds **one
timestep of delay**: a spike of layer ``l`` at step ``t`` reaches layer ``l+1`` at ``t+1``.
More than one layer therefore needs ``recurrent = true`` (set in the generated config).

Discretization (forward Euler with step ``dt``, the NIR equations):

- ``LIF``: ``v += dt/tau * (v_leak - v + r*I)``: leak shift ``s = round(log2(tau/dt))`` (the core
  keeps ``v*(1-2^-s)``), input gain ``dt*r/tau``, bias ``dt/tau * (v_leak + r*b)``.
- ``IF``: ``v += dt*r*I``: no leak (shift "off"), gain ``dt*r``, bias ``dt*r*b``.
- ``CubaLIF``: current decay ``syn_shift = round(log2(tau_syn/dt))``; gain
  ``dt/tau_syn * w_in * dt*r/tau_mem``; a constant input ``b`` is mapped to a membrane bias
  ``dt/tau_mem * (v_leak + r*w_in*b)`` (its steady state; the float current builds it up over
  ``tau_syn``).

The core has one threshold and one set of shifts. Each neuron's column of weights and its bias
are scaled by ``threshold / v_threshold[j]`` (a neuron's dynamics are linear up to the
threshold and reset to zero), so thresholds may differ per neuron; the shared threshold is
the largest that keeps every scaled weight within ``weight_bits``. Time constants must round
to one shift for every layer. ``v_reset`` must be 0 (reset "zero"); ``reset="subtract"``
may be asked for instead (a deviation from NIR's semantics, reported). NIR spikes when
``v > v_threshold``, the core when ``v >= threshold``.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spikecore.config import CoreConfig, load_config
from spikecore.regmap import param_reset_values

__all__ = ["NirImport", "LayerMap", "import_nir", "load_nir"]

_NEURONS = ("LIF", "CubaLIF", "IF")
_SYNAPSES = ("Affine", "Linear")
_NEURON_PARAMS = ("threshold", "reset_mode", "refractory", "leak_shift", "syn_shift")


@dataclass
class LayerMap:
    """Where one NIR layer (a synapse node and the neuron node it feeds) sits on the core.

    Attributes
    ----------
    synapse, neuron : str
        Names of the NIR nodes.
    kind : str
        ``"LIF"``, ``"CubaLIF"`` or ``"IF"``.
    rows : range
        Presynaptic rows of the core that carry the layer's input.
    columns : range
        Neurons (columns) of the core that hold the layer.
    weight : ndarray, shape (n_out, n_in)
        The float weights (NIR orientation).
    gain : ndarray, shape (n_out,)
        Float input gain per step of each neuron (see the module docstring).
    bias : ndarray, shape (n_out,)
        Float bias per step.
    v_threshold : ndarray, shape (n_out,)
    decay : ndarray, shape (n_out,)
        Float membrane decay per step, ``dt/tau`` (0 for IF).
    syn_decay : ndarray or None
        Float current decay per step, ``dt/tau_syn`` (CubaLIF only).
    scale : ndarray, shape (n_out,)
        Core units per float unit of each neuron's membrane (``threshold / v_threshold``).
    """
    synapse: str
    neuron: str
    kind: str
    rows: range
    columns: range
    weight: np.ndarray
    gain: np.ndarray
    bias: np.ndarray
    v_threshold: np.ndarray
    decay: np.ndarray
    syn_decay: np.ndarray | None
    scale: np.ndarray = None


@dataclass
class NirImport:
    """The result of :func:`import_nir`.

    Attributes
    ----------
    cfg : CoreConfig
        The core to generate.
    network : dict of ndarray
        The network in the ``.npz`` format of :mod:`spikecore.sim.spike_io`.
    layers : list of LayerMap
    report : list of str
        The quantization report, one line each.
    dt : float
    """
    cfg: CoreConfig
    network: dict
    layers: list
    report: list = field(default_factory=list)
    dt: float = 1.0

    @property
    def output_columns(self):
        """Core neurons of the last layer (the graph's output)."""
        return self.layers[-1].columns

    @property
    def delay(self):
        """Timesteps by which the output layer lags the input (one per layer after the first)."""
        return len(self.layers) - 1

    def write(self, out_dir):
        """Write ``config.toml``, ``network.npz`` and ``report.txt`` to ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.cfg.save(out / "config.toml")
        np.savez(out / "network.npz", **self.network)
        (out / "report.txt").write_text("\n".join(self.report) + "\n")
        return out


def load_nir(path):
    """Read a NIR graph from an ``.nir`` file (``nir.read``), with a clear error."""
    import nir
    path = Path(path)
    if not path.exists():
        raise ValueError(f"NIR file {str(path)!r} does not exist")
    return nir.read(str(path))


def _array(node_name, name, value, n):
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 0:
        value = np.full(n, float(value))
    value = value.reshape(-1)
    if value.shape != (n,):
        raise ValueError(f"node {node_name!r}: {name} must have {n} elements (one per neuron), "
                         f"not shape {value.shape}")
    if not np.all(np.isfinite(value)) and name not in ("tau", "tau_mem", "tau_syn"):
        raise ValueError(f"node {node_name!r}: {name} must be finite, not {value!r}")
    return value


def _chain(graph):
    """The node names of ``graph`` from its Input to its end, checked to be a chain."""
    import nir
    nodes, edges = graph.nodes, [tuple(e) for e in graph.edges]
    succ, pred = {}, {}
    for src, dst in edges:
        for end in (src, dst):
            if end not in nodes:
                raise ValueError(f"edge ({src!r}, {dst!r}) names node {end!r}, which the "
                                 "graph does not have (sub-ports are not supported)")
        succ.setdefault(src, []).append(dst)
        pred.setdefault(dst, []).append(src)
    for name, node in nodes.items():
        if isinstance(node, nir.NIRGraph):
            raise ValueError(f"node {name!r} (NIRGraph): nested graphs are not supported; "
                             "spikecore maps Input -> Affine/Linear -> LIF/CubaLIF/IF chains")
        for table, what in ((succ, "outgoing"), (pred, "incoming")):
            if len(table.get(name, ())) > 1:
                raise ValueError(f"node {name!r} ({type(node).__name__}) has "
                                 f"{len(table[name])} {what} edges; only chains (one input, "
                                 "one output per node) are supported")
    inputs = [n for n, node in nodes.items() if isinstance(node, nir.Input)]
    if len(inputs) != 1:
        raise ValueError(f"the graph must have exactly one Input node, not {len(inputs)} "
                         f"({', '.join(map(repr, inputs)) or 'none'})")
    order, name = [], inputs[0]
    while True:
        order.append(name)
        nxt = succ.get(name, [])
        if not nxt:
            break
        name = nxt[0]
        if name in order:
            raise ValueError(f"node {name!r} closes a cycle; only feed-forward chains are "
                             "supported")
    unreached = [n for n in nodes if n not in order]
    if unreached:
        raise ValueError(f"node {unreached[0]!r} ({type(nodes[unreached[0]]).__name__}) is "
                         "not on the chain from the Input; only single chains are supported")
    return order


def _neuron_params(name, node, n, dt):
    """Float gain, bias contribution of ``v_leak``, shifts and threshold of one neuron node."""
    kind = type(node).__name__
    thr = _array(name, "v_threshold", node.v_threshold, n)
    reset = _array(name, "v_reset", node.v_reset, n)
    if np.any(reset != 0):
        raise ValueError(f"node {name!r} ({kind}): v_reset must be 0 (the core resets to zero "
                         f"or subtracts the threshold), not {node.v_reset!r}")
    if np.any(thr <= 0):
        raise ValueError(f"node {name!r} ({kind}): v_threshold must be positive, not "
                         f"{node.v_threshold!r}")
    r = _array(name, "r", node.r, n)
    p = {"kind": kind, "v_threshold": thr, "tau": None, "tau_syn": None, "w_in": np.ones(n)}
    if kind == "IF":
        p.update(gain=dt * r, leak=np.zeros(n), r=r, tau_for_bias=None)
    elif kind == "LIF":
        tau = _array(name, "tau", node.tau, n)
        leak = _array(name, "v_leak", node.v_leak, n)
        p.update(gain=dt * r / tau, leak=dt * leak / tau, r=r, tau=tau)
    else:
        tau_mem = _array(name, "tau_mem", node.tau_mem, n)
        tau_syn = _array(name, "tau_syn", node.tau_syn, n)
        leak = _array(name, "v_leak", node.v_leak, n)
        w_in = _array(name, "w_in", node.w_in, n)
        p.update(gain=(dt / tau_syn) * w_in * (dt * r / tau_mem), leak=dt * leak / tau_mem,
                 r=r, tau=tau_mem, tau_syn=tau_syn, w_in=w_in)
    if np.any(~np.isfinite(p["gain"])):
        raise ValueError(f"node {name!r} ({kind}): the input gain is not finite; check r "
                         "and the time constants")
    return p


def _shift(name, what, tau, dt, width):
    """Closest decay shift for time constants ``tau`` (all neurons must agree)."""
    if tau is None or np.all(np.isinf(tau)):
        return width, "off"
    shifts = {max(0, min(width - 1, int(round(math.log2(t / dt))))) for t in tau}
    if len(shifts) > 1:
        raise ValueError(f"node {name!r}: {what} values {sorted(set(tau.tolist()))} round to "
                         f"different shifts {sorted(shifts)}; the core has one {what} shift")
    s = shifts.pop()
    return s, s


def import_nir(graph, *, base="default", dt=1.0, reset="zero", keep_geometry=False):
    """Map a NIR graph onto a core configuration and a network.

    Parameters
    ----------
    graph : nir.NIRGraph
    base : str, path or CoreConfig
        Configuration whose widths, lanes and learning settings are kept.
    dt : float
        Timestep in the units of the graph's time constants.
    reset : str
        ``"zero"`` (NIR's ``v_reset = 0``) or ``"subtract"`` (deviation, reported).
    keep_geometry : bool
        Keep ``base``'s ``n_axons``/``n_neurons``/``recurrent`` (the graph must fit) instead
        of sizing the core to the graph.

    Returns
    -------
    NirImport

    Raises
    ------
    ValueError
        For an unsupported node, graph shape or parameter, or a graph that does not fit;
        the message names the node and the reason.
    """
    import nir
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph must be a nir.NIRGraph, not {graph!r}")
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not dt > 0:
        raise ValueError(f"dt must be a positive number, not {dt!r}")
    if reset not in ("zero", "subtract"):
        raise ValueError(f"reset must be 'zero' or 'subtract', not {reset!r}")
    cfg = base if isinstance(base, CoreConfig) else load_config(base)
    order = _chain(graph)
    nodes = graph.nodes
    n_in = int(np.prod(nodes[order[0]].output_type["output"]))

    # Pair every synapse node with the neuron node that follows it.
    layers, params, prev, pending = [], [], n_in, None
    for name in order[1:]:
        node, kind = nodes[name], type(nodes[name]).__name__
        if kind in _SYNAPSES:
            if pending is not None:
                raise ValueError(f"node {name!r} ({kind}) follows synapse node {pending[0]!r} "
                                 "directly; a synapse node must feed a LIF/CubaLIF/IF node")
            weight = np.asarray(node.weight, dtype=np.float64)
            if weight.ndim != 2 or weight.shape[1] != prev:
                raise ValueError(f"node {name!r} ({kind}): weight must have shape (n_out, "
                                 f"{prev}), not {weight.shape}")
            bias = (np.asarray(node.bias, dtype=np.float64).reshape(-1) if kind == "Affine"
                    else np.zeros(weight.shape[0]))
            if bias.shape != (weight.shape[0],):
                raise ValueError(f"node {name!r} (Affine): bias must have shape "
                                 f"({weight.shape[0]},), not {bias.shape}")
            pending = (name, weight, bias)
        elif kind in _NEURONS:
            if pending is None:
                raise ValueError(f"node {name!r} ({kind}) has no Affine/Linear node before it; "
                                 "each neuron layer needs its synapses")
            syn, weight, bias = pending
            n = weight.shape[0]
            p = _neuron_params(name, node, n, dt)
            params.append(p)
            layers.append(LayerMap(syn, name, kind, None, None, weight, p["gain"],
                                   p["leak"] + _bias_gain(p, dt) * bias, p["v_threshold"],
                                   np.zeros(n) if p["tau"] is None else dt / p["tau"],
                                   None if p["tau_syn"] is None else dt / p["tau_syn"]))
            prev, pending = n, None
        elif kind == "Output":
            continue
        else:
            raise ValueError(f"node {name!r} ({kind}) is not supported; spikecore maps Input -> "
                             "Affine/Linear -> LIF/CubaLIF/IF chains")
    if pending is not None:
        raise ValueError(f"node {pending[0]!r} is a synapse node without a neuron layer after "
                         "it; the graph must end in LIF/CubaLIF/IF neurons")
    if not layers:
        raise ValueError("the graph has no neuron layer (LIF, CubaLIF or IF)")
    return _place(cfg, layers, params, n_in, dt, reset, keep_geometry)


def _bias_gain(p, dt):
    """Float bias per step of a constant synaptic input of 1 (steady state for CubaLIF)."""
    if p["kind"] == "IF":
        return dt * p["r"]
    if p["kind"] == "LIF":
        return dt * p["r"] / p["tau"]
    return dt * p["r"] * p["w_in"] / p["tau"]


def _geometry(cfg, layers, n_in, keep):
    total = sum(len(layer.weight) for layer in layers)
    recurrent = len(layers) > 1
    where = f"node {layers[-1].neuron!r}"
    if keep:
        if n_in > cfg.n_axons:
            raise ValueError(f"the Input has {n_in} channels, more than the {cfg.n_axons} axons "
                             "of the base configuration")
        if total > cfg.n_neurons:
            raise ValueError(f"{where}: the layers need {total} neurons, more than the "
                             f"{cfg.n_neurons} of the base configuration")
        if recurrent and not cfg.recurrent:
            raise ValueError(f"node {layers[1].neuron!r}: a second layer needs the recurrent "
                             "rows, and the base configuration has recurrent = false")
        return cfg.n_axons, cfg.n_neurons, cfg.recurrent
    lanes = cfg.lanes
    n_neurons = -(-total // lanes) * lanes
    if n_in > 1 << 16 or n_neurons > 1 << 16:
        raise ValueError(f"{where}: {n_in} inputs and {total} neurons do not fit a core "
                         "(at most 65536 each)")
    return n_in, n_neurons, recurrent


def _place(cfg, layers, params, n_in, dt, reset, keep):
    n_axons, n_neurons, recurrent = _geometry(cfg, layers, n_in, keep)
    kinds = {p["kind"] for p in params}
    cuba = "CubaLIF" in kinds
    if cuba and kinds != {"CubaLIF"}:
        other = next(layer.neuron for layer in layers if layer.kind != "CubaLIF")
        raise ValueError(f"node {other!r}: CubaLIF layers cannot be mixed with LIF/IF layers "
                         "(the core's current state is all or nothing)")
    i_bits = (cfg.i_bits or cfg.v_bits) if cuba else 0
    leak = {(_shift(layer.neuron, "tau", p["tau"], dt, cfg.v_bits)) for layer, p in
            zip(layers, params)}
    if len(leak) > 1:
        raise ValueError(f"node {layers[-1].neuron!r}: the layers' time constants map to "
                         f"different leak shifts {sorted(str(s[1]) for s in leak)}; the core "
                         "has one")
    leak_shift = leak.pop()[0]
    syn_shift = cfg.syn_shift
    if cuba:
        syn = {_shift(layer.neuron, "tau_syn", p["tau_syn"], dt, i_bits)
               for layer, p in zip(layers, params)}
        if len(syn) > 1:
            raise ValueError(f"node {layers[-1].neuron!r}: the layers' tau_syn map to different "
                             "syn shifts; the core has one")
        syn_shift = syn.pop()[0]

    # The shared threshold: as large as the weight width allows (and a quarter of v's range,
    # headroom for the input of one step above the threshold).
    ratio = max(float(np.max(np.abs(layer.weight * (layer.gain / layer.v_threshold)[:, None]),
                             initial=0.0)) for layer in layers)
    v_max = (1 << (cfg.v_bits - 1)) - 1
    limit = max(1, (v_max + 1) // 4)
    threshold = limit if ratio == 0 else min(limit, int(cfg.weight_max / ratio))
    if threshold < 1:
        raise ValueError(f"node {layers[0].synapse!r}: a weight is more than {cfg.weight_max} "
                         "times its neuron's threshold; it cannot be quantized")
    new = dict(n_axons=n_axons, n_neurons=n_neurons, recurrent=recurrent, i_bits=i_bits,
               threshold=threshold, reset=reset, refractory=0, bias=0, leak_shift=leak_shift,
               learn=False, plastic=False)
    if cuba:
        new["syn_shift"] = syn_shift
    cfg = cfg.replace(**new)

    weight = np.zeros((cfg.n_rows, n_neurons), dtype=np.int64)
    bias = np.zeros(n_neurons, dtype=np.int64)
    report = [f"spikecore NIR import: {len(layers)} layer(s), dt = {dt}",
              f"core: {cfg.summary()}",
              f"threshold = {threshold} (shared; each neuron's weights and bias are scaled by "
              "threshold / v_threshold)",
              f"leak_shift = {leak_shift if leak_shift < cfg.v_bits else 'off'}"
              + (f", syn_shift = {syn_shift}" if cuba else ""),
              f"reset = {reset}" + (" (NIR resets to v_reset = 0: a deviation)"
                                     if reset == "subtract" else ""),
              "spike condition: v >= threshold (NIR: v > v_threshold)"]
    if len(layers) > 1:
        report.append(f"layers after the first read the recurrent rows: +1 timestep of delay "
                      f"each (output lags the input by {len(layers) - 1} step(s))")
    column, row = 0, 0
    for index, (layer, p) in enumerate(zip(layers, params)):
        n, n_pre = layer.weight.shape
        layer.columns = range(column, column + n)
        layer.rows = range(row, row + n_pre)
        layer.scale = threshold / layer.v_threshold
        exact = layer.weight * (layer.scale * layer.gain)[:, None]     # core units, float
        q = np.clip(np.rint(exact), cfg.weight_min, cfg.weight_max).astype(np.int64)
        weight[layer.rows.start:layer.rows.stop, layer.columns.start:layer.columns.stop] = q.T
        b_exact = layer.bias * layer.scale
        b = np.clip(np.rint(b_exact), cfg.v_min, cfg.v_max).astype(np.int64)
        bias[layer.columns.start:layer.columns.stop] = b
        report += _layer_report(layer, p, q, exact, b, b_exact, cfg, dt)
        row = n_axons + column
        column += n
    # The neuron parameters travel with the network too, so that it runs on any core of
    # the same geometry and widths (e.g. the base configuration itself).
    network = {"weight": weight, "bias": bias, "plastic": np.zeros(cfg.n_rows, dtype=np.int64),
               **{f"param.{name}": np.int64(value)
                  for name, value in param_reset_values(cfg).items()
                  if name in _NEURON_PARAMS or name == "learn"}}
    return NirImport(cfg=cfg, network=network, layers=layers, report=report, dt=dt)


def _rel(q, exact):
    norm = float(np.linalg.norm(exact))
    return float(np.linalg.norm(q - exact)) / norm if norm else 0.0


def _layer_report(layer, p, q, exact, b, b_exact, cfg, dt):
    lines = [f"layer {layer.synapse} -> {layer.neuron} ({layer.kind}): "
             f"{layer.weight.shape[1]} inputs (rows {layer.rows.start}..{layer.rows.stop - 1})"
             f" -> {layer.weight.shape[0]} neurons (columns {layer.columns.start}.."
             f"{layer.columns.stop - 1})"]
    lines.append(f"  weights: {q.min()} .. {q.max()} of [{cfg.weight_min}, {cfg.weight_max}], "
                 f"relative error {_rel(q, exact):.2e} (Frobenius), max |error| "
                 f"{float(np.max(np.abs(q - exact), initial=0)):.3f} LSB")
    lines.append(f"  bias: {b.min()} .. {b.max()}, relative error {_rel(b, b_exact):.2e}")
    if p["tau"] is not None:
        exact_leak = dt / p["tau"]
        shift = cfg.leak_shift
        leak = 2.0 ** -shift
        err = float(np.max(np.abs(leak - exact_leak) / exact_leak))
        lines.append(f"  tau {_summary(p['tau'])}: dt/tau {_summary(exact_leak)} -> leak_shift "
                     f"{shift} (2^-{shift} = {leak:g}), relative error {err:.2e}")
    if p["tau_syn"] is not None:
        exact_syn = dt / p["tau_syn"]
        syn = 2.0 ** -cfg.syn_shift
        err = float(np.max(np.abs(syn - exact_syn) / exact_syn))
        lines.append(f"  tau_syn {_summary(p['tau_syn'])} -> syn_shift {cfg.syn_shift} "
                     f"(2^-{cfg.syn_shift} = {syn:g}), relative error {err:.2e}")
    lines.append(f"  v_threshold {_summary(layer.v_threshold)} -> threshold {cfg.threshold} "
                 f"(scale {_summary(layer.scale)} per float unit), relative error 0")
    return lines


def _summary(values):
    values = np.asarray(values, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    return f"{lo:g}" if lo == hi else f"{lo:g}..{hi:g}"
