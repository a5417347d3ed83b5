"""cocotb testbenches of the generated Verilog (run them with :mod:`spikecore.sim.runner`).

One piece per module:

- :mod:`.clocking`: the single coroutine that counts cycles and runs drivers and monitors;
- :mod:`.streams`: valid/ready drivers (sources into the core, sinks out of it);
- :mod:`.monitors`: output events and ``busy``, recorded with their cycle;
- :mod:`.scoreboard`: predictions of :class:`~spikecore.golden.GoldenCore` and
  :mod:`spikecore.golden.cycles`, checked every cycle;
- :mod:`.peek`: the state memories, read without simulated cycles;
- :mod:`.payloads`, :mod:`.context`: port layouts, run parameters;
- :mod:`.host`: the bench joining them, with the host protocol;
- test modules: :mod:`.regression` (random networks, cycle by cycle) and :mod:`.directed`
  (error paths, backpressure, CLEAR, registers).
"""
