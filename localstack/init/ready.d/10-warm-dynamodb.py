"""LocalStack init hook (ready stage): start DynamoDB Local before anyone needs it.

LocalStack starts its DynamoDB Local JVM on the first DynamoDB call, which then takes about
3 s. Making that call here means that once ``/_localstack/init/ready`` reports the ready
stage completed (compose's health check), DynamoDB answers at once.

Nothing is provisioned here on purpose: chatserver creates its tables, activity, state machine,
bus and rule itself, idempotently, every time it starts (``chatserver/aws/provision.py`` is the
single source of truth for them), with the resource prefix it is configured with.

LocalStack runs ``.py`` hooks inside its own process, in Docker and without it alike.
"""

import time
import urllib.request

from localstack import config

_LIST_TABLES = urllib.request.Request(  # noqa: S310 - LocalStack's own http URL
    config.internal_service_url() + "/",
    data=b"{}",
    method="POST",
    headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/"
        "aws4_request, SignedHeaders=host, Signature=0",
    },
)

_deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(_LIST_TABLES, timeout=30) as _response:  # noqa: S310
            print(f"chatserver init: DynamoDB answers ({_response.status})", flush=True)
            break
    except OSError as _error:
        if time.monotonic() > _deadline:
            raise RuntimeError(f"DynamoDB did not answer within 60 s: {_error}") from None
        time.sleep(0.5)
