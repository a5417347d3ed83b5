"""The learning rule of docs/semantics.md on one memory word of weights (``lanes`` synapses)."""

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .arith import clamp
from .faults import check_faults
from .layouts import lanes_of, param_layout

__all__ = ["WeightUpdate"]


class WeightUpdate(wiring.Component):
    """``clamp(w ± dw, w_min, w_max)`` on the lanes of one weight word.

    Parameters
    ----------
    cfg : CoreConfig
    depress : bool
        ``True``: each lane has its own ``dw`` (depression, from post-traces) and subtracts it;
        ``False``: one ``dw`` for the whole word (potentiation, from the row's pre-trace),
        added.

    Members
    -------
    w : In(lanes x signed(weight_bits))
    dw : In(lanes x unsigned(dw_bits)) or In(unsigned(dw_bits))
    params : In(param_layout(cfg))
    next : Out(lanes x signed(weight_bits))
    """

    def __init__(self, cfg, *, depress, faults=()):
        self._cfg = cfg
        self._depress = depress
        self._faults = check_faults(faults)
        word = lanes_of(signed(cfg.weight_bits), cfg)
        dw = lanes_of(unsigned(cfg.dw_bits), cfg) if depress else unsigned(cfg.dw_bits)
        super().__init__({
            "w": In(word),
            "dw": In(dw),
            "params": In(param_layout(cfg)),
            "next": Out(word),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        for lane in range(self._cfg.lanes):
            if self._depress:
                target = self.w[lane] - self.dw[lane]
            elif "stdp_sign_flip" in self._faults:
                target = self.w[lane] - self.dw         # injected bug (tests only)
            else:
                target = self.w[lane] + self.dw
            m.d.comb += self.next[lane].eq(clamp(target, p.w_min, p.w_max))
        return m

