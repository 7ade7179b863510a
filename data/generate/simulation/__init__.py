"""The event simulation that places every child: state, placement moves, and the events."""

from data.generate.simulation.events import Simulation

__all__ = ["Simulation"]
