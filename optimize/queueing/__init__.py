"""Queueing: forecast volume -> required agents, and staffed agents -> service measures.

- :mod:`~optimize.queueing.erlang`: Erlang B, C and A (M/M/n+M), vectorised;
- :mod:`~optimize.queueing.chat`: chat concurrency (several chats per agent, each slower);
- :mod:`~optimize.queueing.backlog`: email and social, a FIFO backlog with a response window;
- :mod:`~optimize.queueing.roster_backlog`: the same backlog on a roster's work blocks
  (heads that come and go, switching from chat), what a plan promises for email and social;
- :mod:`~optimize.queueing.priority` and :mod:`~optimize.queueing.pooling`: a VIP channel
  answered first inside a shared chat pool (``pool_with``);
- :mod:`~optimize.queueing.routing` and :mod:`~optimize.queueing.overflow`: hours of
  operation, and overflow after a wait between real-time queues;
- :mod:`~optimize.queueing.calibration`: the shrinkage per queue that makes the formulas
  give what a simulation of a roster delivers;
- :mod:`~optimize.queueing.metrics`: one channel's model as a function of agents;
- :mod:`~optimize.queueing.requirements`: the requirements table and the coverage table.
"""

from optimize.queueing.backlog import integer_agents, required_capacity, simulate_backlog
from optimize.queueing.chat import agents_for_chat, chat_erlang_a
from optimize.queueing.erlang import (
    ErlangAResult,
    agents_for_service_level,
    agents_for_service_level_a,
    erlang_a,
    erlang_b,
    erlang_c,
    service_level,
)
from optimize.queueing.metrics import channel_metrics
from optimize.queueing.requirements import compute_requirements, evaluate_staffing, infer_interval_s

__all__ = [
    "ErlangAResult",
    "agents_for_chat",
    "agents_for_service_level",
    "agents_for_service_level_a",
    "channel_metrics",
    "chat_erlang_a",
    "compute_requirements",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "evaluate_staffing",
    "infer_interval_s",
    "integer_agents",
    "required_capacity",
    "service_level",
    "simulate_backlog",
]
