"""Host side of a spikecore on a board: the link protocol and the ``Core`` driver."""

from .protocol import Event, FrameType, Framing, HostProtocol, LinkStatus, Response

__all__ = ["Event", "FrameType", "Framing", "HostProtocol", "LinkStatus", "Response"]
