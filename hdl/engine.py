"""The timestep engine: phases of a timestep, AER input, output serializer and host access.

The engine owns every memory of the core (:class:`CoreMemories`). While idle it merges AER
input events into the row queue and serves memory accesses from the command unit; a START
runs the phases of docs/semantics.md ("Schedule"), each a pipeline issuing one memory word
per cycle:

* **rows**: every queued row streams ``groups`` weight words into the accumulators
  (``lanes`` SOP a cycle); plastic rows are depressed on the way (read-modify-write);
* **neurons**: ``groups`` words of neuron state go through :class:`NeuronPipeline`; groups with a
  spike are appended to the spike list;
* **learn** (when learning): every row's pre-trace is updated, and every (row, spiking group)
  word is potentiated;
* **output**, alongside learn: the spike list is serialized into AER output events (and, when
  recurrent, into the row queue for the next step).
"""

import enum

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from spikecore.regmap import DATA_BITS
from .arith import decay, trace_bump
from .faults import check_faults
from .layouts import aer_in_shape, aer_out_layout, lanes_of, param_layout
from .memories import CoreMemories, memory_targets
from .neuron import NeuronPipeline
from .stdp import WeightUpdate

__all__ = ["Engine", "AccessOp", "access_layout", "EngineEvents"]


#: Cycles the FSM waits after the last row issue: the last accumulator write (issue, read
#: data registered, add and write) lands before the neuron pass reads it.
ROW_DRAIN = 2
#: Cycles after the last neuron issue until the spike list is complete: read, the read
#: register, the neuron pipeline, the write; learning and output start on the next cycle.
NEURON_DRAIN = NeuronPipeline.LATENCY + 2


class AccessOp(enum.IntEnum):
    """What the command unit asks of the engine."""
    READ = 0
    WRITE = 1
    START = 2
    CLEAR = 3


def access_layout(cfg):
    """A request from the command unit: one memory element, a START, or a CLEAR."""
    targets = memory_targets(cfg)
    word_bits = max(1, (cfg.n_rows * cfg.groups - 1).bit_length())
    return data.StructLayout({
        "op": AccessOp,
        "target": unsigned(max(1, (len(targets) - 1).bit_length())),
        "word": unsigned(word_bits),
        "lane": unsigned(max(1, (cfg.lanes - 1).bit_length())),
        "data": unsigned(DATA_BITS),
    })


class EngineEvents(data.Struct):
    """One-cycle strobes that the register file counts."""
    sop_word: 1      # one weight word (``lanes`` SOPs) accumulated
    in_spike: 1      # an AER event accepted
    dup_spike: 1     # an AER event merged into an axon already spiking
    bad_axon: 1      # an AER event dropped: no such axon
    out_spike: 1     # an AER output event handed over
    step_done: 1     # the last busy cycle of a timestep


class Engine(wiring.Component):
    """The timestep engine of one core.

    Parameters
    ----------
    cfg : CoreConfig

    Members
    -------
    aer_in : In(stream.Signature(axon id))
        AER input; accepted only while idle (backpressure while a timestep runs).
    aer_out : Out(stream.Signature(aer_out_layout(cfg)))
        AER output: one event per spike, ascending neuron order within a timestep.
    access : In(stream.Signature(access_layout(cfg)))
        Requests from the command unit, served while idle; ``ready`` marks completion, and
        ``rdata`` holds the element read (its raw bits, zero-extended) in that cycle.
    rdata : Out(DATA_BITS)
    params : In(param_layout(cfg))
        Runtime parameters (stable while busy: the command unit refuses writes then).
    timestep : In(timestep_bits)
        Number of the running timestep, carried by output events.
    busy : Out(1)
    settling : Out(1)
        An accepted AER event is still being merged into the queue: its counters update
        at the end of it.
    events : Out(EngineEvents)
    """

    def __init__(self, cfg, *, faults=()):
        self._cfg = cfg
        self._faults = check_faults(faults)
        super().__init__({
            "aer_in": In(stream.Signature(aer_in_shape(cfg))),
            "aer_out": Out(stream.Signature(aer_out_layout(cfg))),
            "access": In(stream.Signature(access_layout(cfg))),
            "rdata": Out(DATA_BITS),
            "params": In(param_layout(cfg)),
            "timestep": In(cfg.timestep_bits),
            "busy": Out(1),
            "settling": Out(1),
            "events": Out(EngineEvents),
        })

    def elaborate(self, platform):
        cfg = self._cfg
        m = Module()
        mem = self.mem = CoreMemories(cfg)
        mem.add_to(m)
        rd, wr, queue = mem.rd, mem.wr, mem.queue
        # Every read port's data goes straight into a register (q), which every consumer
        # reads: a block RAM's output then drives one flip-flop nearby (Yosys can use the
        # RAM's own output register), not logic across the chip. Reads take two cycles.
        q = self.q = {name: Signal.like(port.data, name=f"{name}_q")
                      for name, port in rd.items()
                      if name not in ("spikes_out", "spike_rest_out")}
        for name, register in q.items():
            m.d.sync += register.eq(rd[name].data)
        p = self.params
        G = cfg.groups
        single = cfg.weight_ram == "single"
        row_shape = unsigned(queue.width)
        group_shape = unsigned(max(1, (G - 1).bit_length()))

        # Learning is fixed for the whole step (parameter writes are refused while busy).
        learn = Signal()
        if cfg.stdp:
            m.d.comb += learn.eq(p.learn)

        # -- phase control ---------------------------------------------------------------
        row = Signal(row_shape)              # the streaming row
        group = Signal(group_shape)          # issue counters
        row_k = Signal(range(max(2, cfg.n_rows + 1)))
        entry_k = Signal(range(G + 1))
        n_entries = Signal(range(G + 1))     # spike-list length of this step
        drain = Signal(range(max(ROW_DRAIN, NEURON_DRAIN) + 1))
        rows_issue = Signal()
        row_stride = Signal()                # single-port RAM while learning
        row_gap = Signal()                   # this cycle is the write slot
        if single:
            m.d.comb += row_stride.eq(learn)
        neuron_issue = Signal()
        learn_issue = Signal()
        post_start = Signal()                # first cycle of POST: learn and output begin
        learn_busy = Signal()                # learn issue or its pipeline still running
        out_busy = Signal()                  # the serializer still has events
        learn_last = Signal()                # comb: learning ends this cycle
        out_last = Signal()                  # comb: output ends this cycle

        def weight_word(r, g):
            return r * G + g

        access = self.access.payload
        targets = memory_targets(cfg)
        target_is = {name: access.target == i for i, name in enumerate(targets)}
        aer_id = Signal(aer_in_shape(cfg))
        aer_queue = Signal()                 # an input row enters the queue
        queued = Signal()                    # ... and did so last cycle
        m.d.sync += queued.eq(aer_queue)
        clear_k = Signal(range(max(G, cfg.n_rows) + 1))

        # After reset the engine first clears the dynamic state (as a CLEAR command does):
        # memories keep their contents through `rst`, and stale spiked bits or
        # accumulators would otherwise leak into the next step. Requests wait meanwhile.
        with m.FSM(name="phase", init="CLEAR") as fsm:
            with m.State("IDLE"):
                with m.If(self.access.valid):
                    with m.Switch(access.op):
                        with m.Case(AccessOp.START):
                            # A row queued last cycle is not yet at the queue's output:
                            # START waits a cycle for it. (Behind the command unit this
                            # never happens: it takes no command while an event settles.)
                            with m.If(~queued):
                                m.d.comb += self.access.ready.eq(1)
                                m.d.sync += group.eq(0)
                                with m.If(queue.r_rdy):
                                    m.d.comb += queue.r_en.eq(1)
                                    m.d.sync += row.eq(queue.r_data)
                                    m.next = "ROWS"
                                with m.Else():
                                    m.next = "NEURONS"
                        with m.Case(AccessOp.WRITE):
                            if single:
                                # A single-port synapse RAM stores whole words: read the
                                # word now, write it back with one lane replaced next cycle.
                                with m.If(target_is["weight"]):
                                    m.next = "MERGE"
                                with m.Else():
                                    m.d.comb += self.access.ready.eq(1)
                            else:
                                m.d.comb += self.access.ready.eq(1)
                        with m.Case(AccessOp.READ):
                            m.next = "READ"
                        with m.Case(AccessOp.CLEAR):
                            m.d.sync += clear_k.eq(0)
                            m.next = "CLEAR"
                with m.Else():
                    m.d.comb += self.aer_in.ready.eq(1)
                    with m.If(self.aer_in.valid):
                        with m.If(self.aer_in.payload < cfg.n_axons):
                            m.d.sync += aer_id.eq(self.aer_in.payload)
                            m.next = "AER"
                        with m.Else():
                            m.d.comb += self.events.bad_axon.eq(1)
            with m.State("AER"):
                m.next = "AER_DECIDE"           # the axon's spiked bit is on its way to q
            with m.State("AER_DECIDE"):
                # The spiked bit of the axon decides: new or merged. (From q, a register:
                # a block RAM's output is too slow to drive the counters and the queue.
                # The engine is out of IDLE meanwhile, so a START right behind the event
                # finds the row in the queue.)
                with m.If(q["spiked"]):
                    m.d.comb += self.events.dup_spike.eq(1)
                with m.Else():
                    m.d.comb += [
                        self.events.in_spike.eq(1),
                        wr["spiked"].addr.eq(aer_id),
                        wr["spiked"].data.eq(1),
                        wr["spiked"].en.eq(1),
                        queue.w_en.eq(1),
                        queue.w_data.eq(aer_id),
                        aer_queue.eq(1),
                    ]
                m.next = "IDLE"
            with m.State("MERGE"):
                m.next = "MERGE_WRITE"          # the word is on its way to q
            with m.State("MERGE_WRITE"):
                merged = Signal.like(wr["weight"].data, name="merged_word")
                m.d.comb += merged.eq(q["weight"])
                with m.Switch(access.lane):
                    for lane in range(cfg.lanes):
                        with m.Case(lane):
                            m.d.comb += merged[lane].eq(access.data)
                m.d.comb += [self.access.ready.eq(1), wr["weight"].addr.eq(access.word),
                             wr["weight"].data.eq(merged), wr["weight"].en.eq(-1)]
                m.next = "IDLE"
            with m.State("READ"):
                m.next = "READ_ANSWER"          # the element is on its way to q
            with m.State("READ_ANSWER"):
                m.d.comb += self.access.ready.eq(1)
                m.next = "IDLE"
            with m.State("CLEAR"):
                m.d.comb += queue.r_en.eq(1)        # discard queued input and recurrent rows
                with m.If(clear_k == max(G, cfg.n_rows) - 1):
                    with m.If(~queue.r_rdy):
                        # Answer a CLEAR request (none is pending after a reset).
                        with m.If(self.access.valid & (access.op == AccessOp.CLEAR)):
                            m.d.comb += self.access.ready.eq(1)
                        m.next = "IDLE"
                with m.Else():
                    m.d.sync += clear_k.eq(clear_k + 1)
            with m.State("ROWS"):
                # A single-port synapse RAM that learns needs every other cycle for the
                # depression write: a row then issues a word every second cycle.
                m.d.sync += row_gap.eq(row_stride & ~row_gap)
                with m.If(~row_gap):
                    m.d.comb += rows_issue.eq(1)
                    m.d.sync += group.eq(group + 1)
                    with m.If(group == G - 1):
                        m.d.sync += group.eq(0)
                        with m.If(queue.r_rdy):
                            m.d.comb += queue.r_en.eq(1)
                            m.d.sync += row.eq(queue.r_data)
                        with m.Else():
                            m.d.sync += [drain.eq(0), row_gap.eq(0)]
                            m.next = "ROWS_DRAIN"
            with m.State("ROWS_DRAIN"):
                # The last accumulator writes land before the neuron pass reads them.
                m.d.sync += drain.eq(drain + 1)
                with m.If(drain == ROW_DRAIN - 1):
                    m.next = "NEURONS"
            with m.State("NEURONS"):
                m.d.comb += neuron_issue.eq(1)
                m.d.sync += group.eq(group + 1)
                with m.If(group == G - 1):
                    m.d.sync += [group.eq(0), drain.eq(0)]
                    m.next = "NEURONS_DRAIN"
            with m.State("NEURONS_DRAIN"):
                # The spike list is complete after the last neuron write.
                m.d.sync += drain.eq(drain + 1)
                with m.If(drain == NEURON_DRAIN - 1):
                    m.d.sync += [post_start.eq(1), row_k.eq(0), entry_k.eq(0)]
                    m.next = "POST"
            with m.State("POST"):
                m.d.sync += post_start.eq(0)
                with m.If((learn_last | ~learn_busy) & (out_last | ~out_busy)):
                    m.d.comb += self.events.step_done.eq(1)
                    m.next = "IDLE"

        # -- host access: reads and writes of single elements ----------------------------
        lane_sel = access.lane
        rdata = Signal(DATA_BITS)       # raw element bits, zero-extended (see command.py)
        idle_write = Signal()
        idle_read = Signal()
        m.d.comb += self.settling.eq(fsm.ongoing("AER") | fsm.ongoing("AER_DECIDE"))
        m.d.comb += self.busy.eq(~(fsm.ongoing("IDLE") | fsm.ongoing("AER") |
                                   fsm.ongoing("AER_DECIDE") | fsm.ongoing("READ") |
                                   fsm.ongoing("READ_ANSWER") | fsm.ongoing("MERGE") |
                                   fsm.ongoing("MERGE_WRITE") | fsm.ongoing("CLEAR")))
        with m.If(fsm.ongoing("IDLE") & self.access.valid):
            m.d.comb += [idle_write.eq(access.op == AccessOp.WRITE),
                         idle_read.eq(access.op == AccessOp.READ)]
        read_target = Signal.like(access.target)
        read_lane = Signal.like(access.lane)
        with m.If(idle_read):
            m.d.sync += [read_target.eq(access.target), read_lane.eq(access.lane)]
        for i, name in enumerate(targets):
            port_rd, port_wr = rd[name], wr[name]
            lane_granular = name in ("weight", *mem.neuron)
            with m.If((idle_read | idle_write) & target_is[name]):
                m.d.comb += port_rd.addr.eq(access.word)
            # (A single-port synapse RAM is written by MERGE, a read-modify-write.)
            writes_here = not (single and name == "weight")
            with m.If(idle_write & target_is[name] & writes_here):
                m.d.comb += port_wr.addr.eq(access.word)
                if lane_granular:
                    for lane in range(cfg.lanes):
                        m.d.comb += port_wr.data[lane].eq(access.data)
                    m.d.comb += port_wr.en.eq(1 << lane_sel)
                else:
                    m.d.comb += [port_wr.data.eq(access.data), port_wr.en.eq(1)]
            with m.If(read_target == i):
                if lane_granular:
                    lanes = q[name]
                    with m.Switch(read_lane):
                        for lane in range(cfg.lanes):
                            with m.Case(lane):
                                m.d.comb += rdata.eq(lanes[lane].as_unsigned())
                else:
                    m.d.comb += rdata.eq(q[name].as_unsigned())
        m.d.comb += self.rdata.eq(rdata)

        # AER: read the axon's spiked bit in the accepting cycle.
        with m.If(self.aer_in.valid & self.aer_in.ready):
            m.d.comb += rd["spiked"].addr.eq(self.aer_in.payload)

        # CLEAR: sweep zeros through the dynamic state and the spiked bits.
        with m.If(fsm.ongoing("CLEAR")):
            for name in ("v", "i", "ref", "post_trace"):
                if name in wr:
                    with m.If(clear_k < G):
                        m.d.comb += [wr[name].addr.eq(clear_k), wr[name].en.eq(-1)]
                        for lane in range(cfg.lanes):
                            m.d.comb += wr[name].data[lane].eq(0)
            with m.If(clear_k < G):
                m.d.comb += [wr["acc"].addr.eq(clear_k), wr["acc"].en.eq(1),
                             wr["acc"].data.eq(0)]
            for name in ("pre_trace", "spiked"):
                if name in wr:
                    with m.If(clear_k < cfg.n_rows):
                        m.d.comb += [wr[name].addr.eq(clear_k), wr[name].en.eq(1),
                                     wr[name].data.eq(0)]

        # -- rows: stream each row into the accumulators, depressing plastic rows ---------
        # S0 issues the reads, S1 registers the read data, S2 accumulates and writes back.
        s1 = _stage(m, "row_s1", group=group_shape, word=rd["weight"].addr.shape(),
                    row=row_shape, first=1)
        s2 = _stage(m, "row_s2", group=group_shape, word=rd["weight"].addr.shape(),
                    row=row_shape, first=1)
        s2_w, s2_acc = q["weight"], q["acc"]
        if cfg.stdp:
            s2_trace, s2_plastic = q["post_trace"], q["plastic"]
        with m.If(rows_issue):
            m.d.comb += [
                rd["weight"].addr.eq(weight_word(row, group)),
                rd["acc"].addr.eq(group),
            ]
            if cfg.stdp:
                m.d.comb += [rd["post_trace"].addr.eq(group), rd["plastic"].addr.eq(row)]
        m.d.sync += [
            s1.valid.eq(rows_issue), s1.group.eq(group), s1.word.eq(weight_word(row, group)),
            s1.row.eq(row), s1.first.eq(group == 0),
            s2.valid.eq(s1.valid), s2.group.eq(s1.group), s2.word.eq(s1.word),
            s2.row.eq(s1.row), s2.first.eq(s1.first),
        ]
        acc_in = Signal.like(s2_acc, name="row_acc_in")
        acc_sum = Signal.like(s2_acc, name="row_acc_sum")
        m.d.comb += acc_in.eq(s2_acc)
        if G == 1:
            # A single group: consecutive rows hit the same accumulator word back to back;
            # forward the sum written one cycle ago (older writes come through the port).
            last_sum = Signal.like(acc_sum)
            last_valid = Signal()
            m.d.sync += [last_sum.eq(acc_sum), last_valid.eq(s2.valid)]
            with m.If(last_valid):
                m.d.comb += acc_in.eq(last_sum)
        for lane in range(cfg.lanes):
            m.d.comb += acc_sum[lane].eq(acc_in[lane] + s2_w[lane])
        with m.If(s2.valid):
            m.d.comb += [
                wr["acc"].addr.eq(s2.group), wr["acc"].data.eq(acc_sum), wr["acc"].en.eq(1),
                wr["spiked"].addr.eq(s2.row), wr["spiked"].data.eq(learn),
                wr["spiked"].en.eq(s2.first),
                self.events.sop_word.eq(1),
            ]
        if cfg.stdp:
            # Depression trails the accumulation (no hazard: each weight word is written
            # once per step): S2 multiplies trace by rate, S3 shifts, S4 clamps and writes.
            dw_shape = lanes_of(unsigned(cfg.dw_bits), cfg)
            s3 = _stage(m, "row_s3", word=rd["weight"].addr.shape(), write=1)
            s4 = _stage(m, "row_s4", word=rd["weight"].addr.shape(), write=1)
            s3_w, s4_w = Signal.like(s2_w, name="row_s3_w"), Signal.like(s2_w, name="row_s4_w")
            s3_product = Signal(dw_shape, name="row_s3_product")
            s4_dw = Signal(dw_shape, name="row_s4_dw")
            m.d.sync += [
                s3.valid.eq(s2.valid), s3.word.eq(s2.word),
                s3.write.eq(s2.valid & learn & s2_plastic), s3_w.eq(s2_w),
                s4.valid.eq(s3.valid), s4.word.eq(s3.word), s4.write.eq(s3.write),
                s4_w.eq(s3_w),
            ]
            for lane in range(cfg.lanes):
                m.d.sync += [s3_product[lane].eq(s2_trace[lane] * p.ltd_rate),
                             s4_dw[lane].eq(s3_product[lane] >> p.ltd_shift)]
            m.submodules.depress = depress = WeightUpdate(cfg, depress=True)
            m.d.comb += [depress.w.eq(s4_w), depress.dw.eq(s4_dw), depress.params.eq(p)]
            if single:
                # One more stage puts the write on the odd cycle, between two reads.
                s5 = _stage(m, "row_s5", word=rd["weight"].addr.shape(), write=1)
                s5_w = Signal.like(s2_w, name="row_s5_w")
                m.d.sync += [s5.valid.eq(s4.valid), s5.word.eq(s4.word), s5.write.eq(s4.write),
                             s5_w.eq(depress.next)]
                last, new_word = s5, s5_w
            else:
                last, new_word = s4, depress.next
            with m.If(last.valid & last.write):
                m.d.comb += [wr["weight"].addr.eq(last.word), wr["weight"].data.eq(new_word),
                             wr["weight"].en.eq(-1)]

        # -- neurons: update each group, append spiking groups to the spike list ----------
        # S0 issues the reads; the read data enter the neuron pipeline in S1; its outputs
        # are written back NeuronPipeline.LATENCY cycles later.
        n1 = _stage(m, "neu_s1", group=group_shape)
        n2 = _stage(m, "neu_s2", group=group_shape)
        m.submodules.neuron = neuron = NeuronPipeline(cfg, faults=self._faults)
        with m.If(neuron_issue):
            m.d.comb += rd["acc"].addr.eq(group)
            for name in mem.neuron:
                m.d.comb += rd[name].addr.eq(group)
        m.d.sync += [n1.valid.eq(neuron_issue), n1.group.eq(group),
                     n2.valid.eq(n1.valid), n2.group.eq(n1.group)]
        m.d.comb += [neuron.valid.eq(n2.valid), neuron.group.eq(n2.group),
                     neuron.acc.eq(q["acc"]), neuron.params.eq(p), neuron.learn.eq(learn)]
        for name in mem.neuron:
            m.d.comb += getattr(neuron.state, name).eq(q[name])
        with m.If(fsm.ongoing("IDLE") & self.access.valid & (access.op == AccessOp.START)):
            m.d.sync += n_entries.eq(0)
        with m.If(neuron.out_valid):
            for name in mem.neuron:
                if name == "bias":
                    continue
                m.d.comb += [wr[name].addr.eq(neuron.out_group),
                             wr[name].data.eq(getattr(neuron.next, name)),
                             wr[name].en.eq(-1)]
            m.d.comb += [wr["acc"].addr.eq(neuron.out_group), wr["acc"].data.eq(0),
                         wr["acc"].en.eq(1)]
            with m.If(neuron.spike.any()):
                rest = neuron.spike & (neuron.spike - 1)
                m.d.comb += [wr["spikes"].addr.eq(n_entries), wr["spikes"].en.eq(1),
                             wr["spikes"].data.group.eq(neuron.out_group),
                             wr["spikes"].data.mask.eq(neuron.spike),
                             wr["spike_rest"].addr.eq(n_entries), wr["spike_rest"].en.eq(1),
                             wr["spike_rest"].data.rest.eq(rest),
                             wr["spike_rest"].data.single.eq(rest == 0)]
                m.d.sync += n_entries.eq(n_entries + 1)

        # -- learn: pre-traces, then potentiate each (row, spiking group) word ------------
        if cfg.stdp:
            self._learn(m, cfg, learn, fsm, drain, row_k, entry_k, n_entries, learn_busy,
                        learn_last, row_shape, weight_word)

        # -- output: serialize the spike list into AER events -----------------------------
        self._output(m, cfg, post_start, n_entries, out_busy, out_last)
        return m

    def _learn(self, m, cfg, learn, fsm, drain, row_k, entry_k, n_entries, learn_busy,
               learn_last, row_shape, weight_word):
        rd, wr, p, q = self.mem.rd, self.mem.wr, self.params, self.q
        issuing = Signal(name="learn_issuing")
        with m.If(fsm.ongoing("NEURONS_DRAIN") & (drain == NEURON_DRAIN - 1) & learn):
            m.d.sync += issuing.eq(1)       # the first issue is the first cycle of POST
        # S0 issues the reads of (row, spike-list entry); S1 registers them; S2 decays the
        # row's pre-trace; S3 applies the row's spike and writes it back (once per row, then
        # held for the row's other entries); S4 multiplies by the rate; S5 shifts and reads
        # the weight word; S6 registers it; S7 clamps and writes it.
        word_shape = rd["weight"].addr.shape()
        trace_shape = unsigned(cfg.trace_bits)
        entry_shape = rd["spikes_learn"].data.shape()
        l1 = _stage(m, "learn_s1", row=row_shape, first=1)
        l2 = _stage(m, "learn_s2", row=row_shape, first=1)     # its data are in q
        l3 = _stage(m, "learn_s3", row=row_shape, first=1, trace=trace_shape, plastic=1,
                    spiked=1, entry=entry_shape)
        l4 = _stage(m, "learn_s4", row=row_shape, trace=trace_shape, plastic=1,
                    entry=entry_shape)
        l5 = _stage(m, "learn_s5", row=row_shape, product=unsigned(cfg.dw_bits), plastic=1,
                    entry=entry_shape)
        l6 = _stage(m, "learn_s6", word=word_shape, dw=unsigned(cfg.dw_bits), write=1,
                    mask=cfg.lanes)
        l7 = _stage(m, "learn_s7", word=word_shape, dw=unsigned(cfg.dw_bits), write=1,
                    mask=cfg.lanes)
        last_entry = Signal()
        m.d.comb += last_entry.eq((entry_k + 1 >= n_entries))
        has_entries = n_entries != 0
        # A single-port synapse RAM needs two cycles per weight word (read, then write):
        # while there are words to potentiate, every other cycle is the write slot.
        issue = Signal(name="learn_issue")
        gap = Signal(name="learn_gap")
        if self._cfg.weight_ram == "single":
            m.d.sync += gap.eq(issuing & has_entries & ~gap)
            m.d.comb += issue.eq(issuing & ~gap)
        else:
            m.d.comb += issue.eq(issuing)
        with m.If(issue):
            m.d.comb += [rd["pre_trace"].addr.eq(row_k), rd["plastic"].addr.eq(row_k),
                         rd["spiked"].addr.eq(row_k), rd["spikes_learn"].addr.eq(entry_k)]
            m.d.sync += entry_k.eq(entry_k + 1)
            with m.If(last_entry):
                m.d.sync += [entry_k.eq(0), row_k.eq(row_k + 1)]
                with m.If(row_k == cfg.n_rows - 1):
                    m.d.sync += [issuing.eq(0), gap.eq(0)]
        m.d.sync += [
            l1.valid.eq(issue), l1.row.eq(row_k), l1.first.eq(entry_k == 0),
            l2.valid.eq(l1.valid), l2.row.eq(l1.row), l2.first.eq(l1.first),
            l3.valid.eq(l2.valid), l3.row.eq(l2.row), l3.first.eq(l2.first),
            l3.trace.eq(decay(q["pre_trace"], p.pre_trace_shift, cfg.trace_bits)),
            l3.plastic.eq(q["plastic"]), l3.spiked.eq(q["spiked"]),
            l3.entry.eq(q["spikes_learn"]),
        ]
        # S3: the row's new pre-trace, computed on its first entry and held for the others.
        new_trace = Signal(trace_shape)
        held_trace = Signal(trace_shape)
        bumped = trace_bump(l3.trace, inc=p.trace_inc, nearest=p.trace_mode,
                            bits=cfg.trace_bits)
        m.d.comb += new_trace.eq(Mux(l3.spiked, bumped, l3.trace))
        with m.If(l3.valid & l3.first):
            m.d.sync += held_trace.eq(new_trace)
            m.d.comb += [wr["pre_trace"].addr.eq(l3.row), wr["pre_trace"].data.eq(new_trace),
                         wr["pre_trace"].en.eq(1),
                         wr["spiked"].addr.eq(l3.row), wr["spiked"].data.eq(0),
                         wr["spiked"].en.eq(1)]
        m.d.sync += [
            l4.valid.eq(l3.valid), l4.row.eq(l3.row), l4.plastic.eq(l3.plastic),
            l4.entry.eq(l3.entry), l4.trace.eq(Mux(l3.first, new_trace, held_trace)),
            l5.valid.eq(l4.valid), l5.row.eq(l4.row), l5.plastic.eq(l4.plastic),
            l5.entry.eq(l4.entry), l5.product.eq(l4.trace * p.ltp_rate),
        ]
        # S5: the weight word of (row, spiking group) is read.
        word = weight_word(l5.row, l5.entry.group)
        with m.If(l5.valid & has_entries):
            m.d.comb += rd["weight"].addr.eq(word)
        m.d.sync += [
            l6.valid.eq(l5.valid), l6.word.eq(word), l6.dw.eq(l5.product >> p.ltp_shift),
            l6.write.eq(has_entries & l5.plastic), l6.mask.eq(l5.entry.mask),
            l7.valid.eq(l6.valid), l7.word.eq(l6.word), l7.dw.eq(l6.dw),
            l7.write.eq(l6.write), l7.mask.eq(l6.mask),
        ]
        l7_w = q["weight"]                      # the word read in S5
        m.submodules.potentiate = potentiate = WeightUpdate(cfg, depress=False,
                                                            faults=self._faults)
        m.d.comb += [potentiate.w.eq(l7_w), potentiate.dw.eq(l7.dw), potentiate.params.eq(p)]
        stages = [l1, l2, l3, l4, l5, l6, l7]
        if self._cfg.weight_ram == "single":
            # Whole words (the lanes outside the spike mask unchanged), one stage later so
            # the write falls between two reads.
            l8 = _stage(m, "learn_s8", word=word_shape, write=1)
            l8_word = Signal.like(l7_w, name="learn_s8_data")
            m.d.sync += [l8.valid.eq(l7.valid), l8.word.eq(l7.word), l8.write.eq(l7.write)]
            for lane in range(cfg.lanes):
                m.d.sync += l8_word[lane].eq(Mux(l7.mask[lane], potentiate.next[lane],
                                                 l7_w[lane]))
            with m.If(l8.valid & l8.write):
                m.d.comb += [wr["weight"].addr.eq(l8.word), wr["weight"].data.eq(l8_word),
                             wr["weight"].en.eq(-1)]
            stages.append(l8)
        else:
            with m.If(l7.valid & l7.write):
                m.d.comb += [wr["weight"].addr.eq(l7.word),
                             wr["weight"].data.eq(potentiate.next),
                             wr["weight"].en.eq(l7.mask)]
        m.d.comb += [
            learn_busy.eq(issuing | Cat(*[st.valid for st in stages]).any()),
            learn_last.eq(~issuing & ~Cat(*[st.valid for st in stages[:-1]]).any()),
        ]

    def _output(self, m, cfg, post_start, n_entries, out_busy, out_last):
        """Serialize the spike list into output events, one per cycle. What decides the
        next read address (is this the entry's last lane? the list's last entry?) is kept
        in registers, so the path from a handshake to the spike list's address is short."""
        rd, queue = self.mem.rd, self.mem.queue
        port, rest_port = rd["spikes_out"], rd["spike_rest_out"]
        index = range(cfg.groups + 2)
        k1 = Signal(index, name="out_k1")       # the entry after the current one
        k2 = Signal(index, name="out_k2")       # the one after that
        mask = Signal(cfg.lanes, name="out_mask")
        rest = Signal(cfg.lanes, name="out_rest")           # mask without its lowest lane
        last_lane = Signal(name="out_last_lane")           # rest == 0
        last_entry = Signal(name="out_last_entry")         # k1 == n_entries
        group = Signal.like(port.data.group, name="out_group")
        loading = Signal(name="out_loading")
        active = Signal(name="out_active")

        def load():
            return [mask.eq(port.data.mask), group.eq(port.data.group),
                    rest.eq(rest_port.data.rest), last_lane.eq(rest_port.data.single)]

        # The read port always shows the entry k1 names (the next one to load).
        advance = Signal(name="out_advance")
        m.d.comb += port.addr.eq(Mux(advance, k2, k1))
        with m.If(post_start):
            # Entry 0 is read now and loaded next cycle, while entry 1 is read.
            m.d.comb += port.addr.eq(0)
            m.d.sync += [k1.eq(1), k2.eq(2)]
            with m.If(n_entries != 0):
                m.d.sync += loading.eq(1)
        m.d.comb += rest_port.addr.eq(port.addr)
        with m.If(loading):
            m.d.sync += [loading.eq(0), active.eq(1), *load(),
                         last_entry.eq(n_entries == 1)]
        # The lowest pending lane of the current entry.
        lane = Signal(range(cfg.lanes), name="out_lane")
        for i in reversed(range(cfg.lanes)):
            with m.If(mask[i]):
                m.d.comb += lane.eq(i)
        neuron = group * cfg.lanes + lane
        m.d.comb += [
            self.aer_out.valid.eq(active),
            self.aer_out.payload.neuron.eq(neuron),
            self.aer_out.payload.timestep.eq(self.timestep),
        ]
        handoff = self.aer_out.valid & self.aer_out.ready
        final = Signal(name="out_final")
        m.d.comb += final.eq(last_lane & last_entry)
        if "dropped_output_event" in self._faults:
            # Injected bug: the last event of the step is never offered.
            with m.If(final):
                m.d.comb += self.aer_out.valid.eq(0)
                m.d.sync += active.eq(0)
        with m.If(handoff):
            m.d.comb += self.events.out_spike.eq(1)
            if cfg.recurrent:
                m.d.comb += [queue.w_en.eq(1), queue.w_data.eq(cfg.n_axons + neuron)]
            with m.If(~last_lane):
                lower = rest & (rest - 1)
                m.d.sync += [mask.eq(rest), rest.eq(lower), last_lane.eq(lower == 0)]
            with m.Elif(last_entry):
                m.d.sync += active.eq(0)
            with m.Else():
                m.d.comb += advance.eq(1)
                m.d.sync += [*load(), k1.eq(k2),
                             k2.eq(k2 + 1), last_entry.eq(k2 == n_entries)]
        m.d.comb += [out_busy.eq((post_start & (n_entries != 0)) | loading | active),
                     out_last.eq(handoff & final)]


def _stage(m, name, **fields):
    """A pipeline stage register: ``valid`` plus the given fields."""
    layout = data.StructLayout({"valid": 1, **fields})
    return Signal(layout, name=name)

