"""Lambda entry points: one module per API Gateway route, plus the broadcast task.

Each module exposes ``handler(event, context)``, fed API Gateway WebSocket proxy events (or,
for ``broadcast``, the Step Functions task input). Handlers reach AWS only through clients
built from their function environment, and never import the gateway: the same modules run
under the local gateway and on AWS Lambda. ``catalog`` lists them.
"""
