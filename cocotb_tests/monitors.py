"""Monitors: what leaves the core, recorded with the cycle it happened in.

:class:`AerOutMonitor` listens to the ``aer_out`` :class:`~.streams.StreamSink` and records
``(cycle, neuron, timestep)`` of every output event; :class:`BusyMonitor` samples ``busy``
every cycle. Both forward to a :class:`~.scoreboard.Scoreboard`.
"""

from .streams import int_reader

__all__ = ["AerOutMonitor", "BusyMonitor"]


class AerOutMonitor:
    """Record every output event and hand it to the scoreboard.

    Parameters
    ----------
    sink : StreamSink
        The ``aer_out`` sink.
    codec : StructCodec
        The ``aer_out`` payload layout.
    scoreboard : Scoreboard

    Attributes
    ----------
    events : list of (cycle, neuron, timestep)
        In arrival order.
    """

    def __init__(self, sink, codec, scoreboard):
        self.codec = codec
        self.scoreboard = scoreboard
        self.events = []
        sink.listeners.append(self._on_word)

    def _on_word(self, cycle, word):
        fields = self.codec.unpack(word)
        event = (cycle, fields["neuron"], fields["timestep"])
        self.events.append(event)
        self.scoreboard.on_event(*event)


class BusyMonitor:
    """Sample ``busy`` every cycle; keep its rising and falling edges.

    Add it to :class:`~.clocking.Clocked` after the stream sinks, so that the scoreboard's
    end-of-cycle check sees the events of the cycle first.

    Attributes
    ----------
    edges : list of (cycle, value)
        Cycles where ``busy`` changed, and its new value.
    """

    def __init__(self, busy, scoreboard):
        self._busy = int_reader(busy)
        self.scoreboard = scoreboard
        self.value = 0
        self.edges = []

    def run_after(self, cycle):
        """``(first, last)`` cycles of the first stretch of ``busy`` high after ``cycle``,
        or ``None`` if there is none or it has not ended yet."""
        rise = next((c for c, v in self.edges if v == 1 and c > cycle), None)
        fall = next((c for c, v in self.edges if v == 0 and rise is not None and c > rise),
                    None)
        return None if fall is None else (rise, fall - 1)

    def sample(self, cycle):
        busy = self._busy()
        if busy != self.value:
            self.value = busy
            self.edges.append((cycle, busy))
        self.scoreboard.end_of_cycle(cycle, busy)
