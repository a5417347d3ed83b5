"""Drivers of valid/ready streams (``amaranth.lib.stream`` ports of the generated core).

:class:`StreamSource` drives a stream into the core (``cmd``, ``aer_in``) from a queue;
:class:`StreamSink` drives ``ready`` of a stream out of the core (``rsp``, ``aer_out``) and
hands every accepted payload to its listeners. Both are parts of
:class:`~spikecore.cocotb_tests.clocking.Clocked`: they set inputs in ``drive`` and observe
handshakes in ``sample``.
"""

from collections import deque

from cocotb.triggers import Event

__all__ = ["Transfer", "StreamSource", "StreamSink", "int_reader"]


def int_reader(handle):
    """A function returning ``handle``'s value as an unsigned int (fast: no LogicArray is
    built; an X or Z bit raises :exc:`ValueError`)."""
    raw = getattr(handle, "_handle", None)
    if raw is not None and hasattr(raw, "get_signal_val_binstr"):
        get = raw.get_signal_val_binstr
        return lambda: int(get(), 2)
    return lambda: int(handle.value)


class _Output:
    """An input port of the core, written only when its value changes."""

    def __init__(self, handle, value=0):
        self.handle = handle
        self.value = value
        handle.value = value

    def set(self, value):
        if value != self.value:
            self.value = value
            self.handle.value = value


class Transfer:
    """One payload queued on a :class:`StreamSource`.

    Attributes
    ----------
    word : int
        The payload.
    accepted : int or None
        Cycle of the handshake, once it happened.
    on_accept : callable or None
        Called as ``on_accept(transfer)`` in the handshake's cycle.
    """
    __slots__ = ("word", "accepted", "on_accept", "_event", "tag")

    def __init__(self, word, on_accept=None, tag=None):
        self.word = word
        self.accepted = None
        self.on_accept = on_accept
        self.tag = tag
        self._event = None

    def _accept(self, cycle):
        self.accepted = cycle
        if self.on_accept is not None:
            self.on_accept(self)
        if self._event is not None:
            self._event.set()

    async def wait(self):
        """Wait until the handshake happened."""
        if self.accepted is None:
            if self._event is None:
                self._event = Event()
            await self._event.wait()


class StreamSource:
    """Drive a stream into the core: one queued :class:`Transfer` after the other.

    ``valid`` rises with a payload and stays high, payload unchanged, until ``ready`` was
    seen (the stream rule; the source never waits for ``ready`` to raise ``valid``).

    Parameters
    ----------
    valid, ready, payload : cocotb handles of the stream's ports
    gap : callable or None
        ``gap(cycle) -> bool``: hold ``valid`` low this cycle before the next transfer
        (random idle cycles); ``None`` sends back to back.
    """

    def __init__(self, valid, ready, payload, *, gap=None):
        self._valid = _Output(valid)
        self._payload = _Output(payload)
        self._ready = int_reader(ready)
        self.gap = gap
        self._queue = deque()
        self._current = None

    def send(self, word, on_accept=None, tag=None):
        """Queue ``word``; returns its :class:`Transfer`."""
        transfer = Transfer(word, on_accept, tag)
        self._queue.append(transfer)
        return transfer

    @property
    def idle(self):
        return self._current is None and not self._queue

    def drive(self, cycle):
        if self._current is None:
            if self._queue and not (self.gap is not None and self.gap(cycle)):
                self._current = self._queue.popleft()
                self._payload.set(self._current.word)
                self._valid.set(1)
            else:
                self._valid.set(0)

    def sample(self, cycle):
        if self._current is not None and self._ready():
            transfer, self._current = self._current, None
            transfer._accept(cycle)


class StreamSink:
    """Drive ``ready`` of a stream out of the core and pass on what it delivers.

    Every cycle, each listener is called as ``listener(cycle, word)`` for an accepted
    payload. The sink also checks the producer's side of the stream rule: once ``valid`` is
    high it stays high, with the same payload, until accepted.

    Parameters
    ----------
    name : str
        Stream name for messages (``"aer_out"``).
    valid, ready, payload : cocotb handles of the stream's ports
    ready_policy : callable or None
        ``ready_policy(cycle) -> bool``; ``None`` is always ready.
    on_violation : callable
        ``on_violation(cycle, field, expected, actual, what)`` on a broken stream rule.
    """

    def __init__(self, name, valid, ready, payload, *, ready_policy=None, on_violation):
        self.name = name
        self._valid = int_reader(valid)
        self._payload = int_reader(payload)
        self._ready = _Output(ready, 0)
        self.ready_policy = ready_policy
        self.on_violation = on_violation
        self.listeners = []
        self._held = None           # payload offered but not accepted last cycle
        self.enabled = False
        self.stalls = 0             # cycles with valid high and ready low

    def drive(self, cycle):
        if not self.enabled:
            return
        policy = self.ready_policy
        self._ready.set(1 if policy is None else int(bool(policy(cycle))))

    def sample(self, cycle):
        if not self.enabled:
            return
        valid = self._valid()
        if not valid:
            if self._held is not None:
                self.on_violation(cycle, f"{self.name}.valid", 1, 0,
                                  "valid fell before the payload was accepted")
                self._held = None
            return
        word = self._payload()
        if self._held is not None and word != self._held:
            self.on_violation(cycle, f"{self.name}.payload", hex(self._held), hex(word),
                              "payload changed while waiting for ready")
        if self._ready.value:
            self._held = None
            for listener in self.listeners:
                listener(cycle, word)
        else:
            self._held = word
            self.stalls += 1
