"""``chatserver bench``: latency, throughput, stage breakdown, start time and memory of the whole
pipeline, measured with real WebSocket clients against a ``chatserver serve`` process and, in
the same run, against a minimal ``websockets`` broadcast server (the ceiling on this machine).

Modules: ``plan`` (what a run does), ``servers`` (the processes under test), ``baseline`` (the
reference server), ``loadgen`` (clients, open-loop sending), ``deliveries`` (latency, loss,
duplicates), ``stages`` (where the time goes, from ``CHAT_TRACE`` marks), ``memory`` (RSS and
CPU from /proc), ``workloads`` (one measurement each), ``runner`` (the whole run), ``machine``,
``report`` (JSON, targets, summary table), ``chart`` (PNG), ``commands`` (the subcommand's
arguments) and ``main`` (what it does).
"""
