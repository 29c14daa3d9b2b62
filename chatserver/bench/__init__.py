"""``chatserver bench``: latency, throughput, a join storm, overload, CPU per message, stage
breakdown, start time and memory of the whole pipeline, measured with real WebSocket clients
against a ``chatserver serve`` process and, in the same run, against a minimal ``websockets``
broadcast server (the ceiling on this machine).

Modules: ``plan`` (what a run does), ``servers`` (the processes under test), ``baseline`` (the
reference server), ``loadgen`` (clients, open-loop sending), ``deliveries`` (latency, loss,
duplicates, and under overload what was refused), ``stages`` (where the time goes, from
``CHAT_TRACE`` marks), ``storm`` (the join storm's presence traffic), ``memory`` (RSS and CPU
from /proc), ``workloads`` (one measurement each, with CPU per message), ``runner`` (the whole
run), ``machine``, ``report`` (JSON, targets, summary table), ``chart`` (PNG), ``commands``
(the subcommand's arguments) and ``main`` (what it does).
"""
