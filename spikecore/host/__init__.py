"""Host side of a spikecore on a board: the link protocol, the ``Core`` driver and its
transports (a serial port, or an in-process simulation of the board's hardware)."""

from .driver import Core, CoreError, LinkError
from .protocol import Event, FrameType, Framing, HostProtocol, LinkStatus, Response
from .transports import SerialTransport, SimTransport

__all__ = ["Core", "CoreError", "LinkError", "Event", "FrameType", "Framing", "HostProtocol",
           "LinkStatus", "Response", "SerialTransport", "SimTransport"]
