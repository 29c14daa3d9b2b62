"""The artifact ``chatserver package`` builds runs every handler the template names, in a bare
runtime: a virtual environment with only what the Lambda Python runtime has (boto3), the zip on
``PYTHONPATH`` as ``/var/task``, the function's environment variables resolved from
template.yaml, and a recorded event, against the embedded emulator. Every AWS call a handler
makes must be allowed by its role in the template.

The zip is built for this machine's Python and architecture (the same code path as the arm64
build, other pip platform arguments). The runtime's boto3 version depends on the AWS region
and date and is not published; this pins the version the project itself resolves.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatserver.aws.connections import Connection, ConnectionStore
from chatserver.aws.messages import MessageStore
from chatserver.chat.clock import now_ms
from chatserver.chat.ids import new_aws_style_id
from chatserver.deploy.lambda_package import PROVIDED_BY_RUNTIME, LambdaTarget, build
from chatserver.handlers.authorizer import issue_token
from chatserver.testing import ChatStack
from tests.deploy.cfn import LocalValues, Resolver, Template
from tests.deploy.venvs import cached_venv
from tests.recorded import recorded

pytestmark = pytest.mark.slow

#: What the bare runtime holds besides the standard library.
RUNTIME_SDK = ("boto3==1.40.61", "botocore==1.40.61")
RUNNER = Path(__file__).with_name("lambda_invoke.py")
AUTH_SECRET = "artifact-test-secret-of-at-least-32-characters"
TEMPLATE = Template()
HANDLERS = sorted(function["Handler"] for function in TEMPLATE.functions().values())
#: Top-level modules of the local tooling, none of which a handler may import.
LOCAL_ONLY = {"fastapi", "starlette", "uvicorn", "websockets", "moto", "aioboto3", "aiobotocore"}


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip, built for this interpreter, unpacked as Lambda unpacks it to /var/task."""
    folder = tmp_path_factory.mktemp("lambda")
    built = build(folder / "lambda.zip", LambdaTarget.local())
    task_root = folder / "task"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(task_root)
    return task_root


@pytest.fixture(scope="module")
def runtime_python(request: pytest.FixtureRequest) -> Path:
    """A virtual environment with only the runtime's SDK, cached between runs."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    key = f"py{version}-" + "-".join(pin.replace("==", "") for pin in RUNTIME_SDK)
    return cached_venv(request, "lambda-runtime", key, list(RUNTIME_SDK)) / "bin" / "python"


@dataclass
class Deployment:
    """The template resolved against the running test stack."""

    stack: ChatStack
    resolver: Resolver

    def environment(self, logical_id: str, task_root: Path) -> dict[str, str]:
        """The function's variables as Lambda sets them, pointed at the emulator."""
        function = TEMPLATE.functions()[logical_id]
        variables = self.resolver.resolve(function["Environment"]["Variables"])
        # The template's @connections endpoint is AWS's; locally the gateway serves it.
        if "CHAT_MANAGEMENT_ENDPOINT" in variables:
            variables["CHAT_MANAGEMENT_ENDPOINT"] = self.stack.management_url
        endpoint = self.stack.endpoint
        name = self.resolver.resolve(function["FunctionName"])
        return {
            **variables,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(task_root),
            "LAMBDA_TASK_ROOT": str(task_root),
            "_HANDLER": function["Handler"],
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function["MemorySize"]),
            "FUNCTION_TIMEOUT": str(function["Timeout"]),
            "INVOKED_FUNCTION_ARN": self.resolver.attributes[(logical_id, "Arn")],
            "AWS_REGION": endpoint.region,
            "AWS_DEFAULT_REGION": endpoint.region,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test-session-token",
            "AWS_ENDPOINT_URL": str(endpoint.url),
        }

    def allowed(self, logical_id: str, action: str, resource: str) -> bool:
        """Whether the function's role allows ``action`` on ``resource``."""
        properties = TEMPLATE.properties(logical_id)
        role = TEMPLATE.resources[properties["Role"]["Fn::GetAtt"][0]]
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"]
                resources = self.resolver.resolve(statement["Resource"])
                if action in (actions if isinstance(actions, list) else [actions]) and any(
                    fnmatch.fnmatchcase(resource, pattern)
                    for pattern in (resources if isinstance(resources, list) else [resources])
                ):
                    return True
        return False


@pytest.fixture(scope="module")
def deployment(chat_stack: ChatStack) -> Deployment:
    local = LocalValues(
        names=chat_stack.names,
        stage=chat_stack.settings.stage,
        api_id=chat_stack.settings.api_id,
        auth_secret=AUTH_SECRET,
    )
    return Deployment(chat_stack, TEMPLATE.resolver(local))


def invoke(
    python: Path, environment: dict[str, str], event: dict[str, Any], cwd: Path
) -> dict[str, Any]:
    """Run the handler in a fresh bare interpreter, as a Lambda cold start."""
    result = subprocess.run(
        [str(python), "-s", str(RUNNER)],
        input=json.dumps(event),
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.splitlines()[-1]))


# -- Scenarios: a recorded event for each handler, and what must follow ------------------------


@dataclass
class Scenario:
    """One invocation: the event, and a check of the handler's result and effects."""

    event: dict[str, Any]
    check: Callable[[Any], None]


def _register(stack: ChatStack, room: str, name: str, *, connected_at: int | None = None) -> str:
    connection_id = new_aws_style_id()
    _connections(stack).put(Connection(connection_id, room, name, connected_at or now_ms()))
    return connection_id


def _connections(stack: ChatStack) -> ConnectionStore:
    return ConnectionStore(stack.client("dynamodb"), stack.names.connections_table)


def _message(route: str, body: dict[str, Any], connection_id: str) -> dict[str, Any]:
    event = recorded("apigw-websocket-message")
    event["requestContext"].update(
        routeKey=route, connectionId=connection_id, messageId=new_aws_style_id()
    )
    event["body"] = json.dumps(body)
    return event


def _body(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


def connect(stack: ChatStack, room: str) -> Scenario:
    event = recorded("apigw-websocket-connect")
    connection_id = new_aws_style_id()
    event["requestContext"].update(connectionId=connection_id, connectedAt=now_ms())
    event["queryStringParameters"] = {"name": "alice", "room": room}

    def check(result: Any) -> None:
        assert result == {"statusCode": 200}
        stored = _connections(stack).get(connection_id)
        assert stored is not None
        assert (stored.room, stored.user_name) == (room, "alice")

    return Scenario(event, check)


def disconnect(stack: ChatStack, room: str) -> Scenario:
    connection_id = _register(stack, room, "alice")
    event = recorded("apigw-websocket-disconnect")
    event["requestContext"]["connectionId"] = connection_id

    def check(result: Any) -> None:
        assert result == {"statusCode": 200}
        assert _connections(stack).get(connection_id) is None

    return Scenario(event, check)


def send_message(stack: ChatStack, room: str) -> Scenario:
    connection_id = _register(stack, room, "alice")
    frame = {"action": "sendMessage", "text": "from the artifact", "clientMessageId": "a-1"}

    def check(result: Any) -> None:
        assert result == {"statusCode": 200}
        store = MessageStore(stack.client("dynamodb"), stack.names.messages_table)
        messages, _ = store.history(room, limit=10, before=None)
        assert [message["text"] for message in messages] == ["from the artifact"]

    return Scenario(_message("sendMessage", frame, connection_id), check)


def get_history(stack: ChatStack, room: str) -> Scenario:
    connection_id = _register(stack, room, "alice")
    store = MessageStore(stack.client("dynamodb"), stack.names.messages_table)
    store.append(room=room, sender="alice", text="stored before", client_message_id=None)

    def check(result: Any) -> None:
        history = _body(result)
        assert history["type"] == "history"
        assert [message["text"] for message in history["messages"]] == ["stored before"]

    return Scenario(_message("getHistory", {"action": "getHistory"}, connection_id), check)


def get_presence(stack: ChatStack, room: str) -> Scenario:
    connection_id = _register(stack, room, "alice")

    def check(result: Any) -> None:
        assert _body(result)["online"] == ["alice"]

    return Scenario(_message("getPresence", {"action": "getPresence"}, connection_id), check)


def whoami(stack: ChatStack, room: str) -> Scenario:
    connection_id = _register(stack, room, "alice")

    def check(result: Any) -> None:
        assert _body(result) == {
            "type": "identity",
            "connectionId": connection_id,
            "user": "alice",
            "room": room,
        }

    return Scenario(_message("whoami", {"action": "whoami"}, connection_id), check)


def default(stack: ChatStack, room: str) -> Scenario:
    connection_id = _register(stack, room, "alice")

    def check(result: Any) -> None:
        assert result["statusCode"] == 400
        assert _body(result)["code"] == "UnknownAction"

    return Scenario(_message("$default", {"action": "fly"}, connection_id), check)


def broadcast(stack: ChatStack, room: str) -> Scenario:
    """A stale connection (no socket, row older than the grace period) is found gone."""
    _register(stack, room, "bob")
    stale = _register(stack, room, "alice", connected_at=now_ms() - 60_000)
    task = recorded("stepfunctions-broadcast-input")
    task.update(room=room, connectionIds=[stale])
    task["frame"]["room"] = room

    def check(result: Any) -> None:
        assert result == {"delivered": 0, "gone": [stale]}
        assert _connections(stack).get(stale) is None

    return Scenario(task, check)


def authorizer(stack: ChatStack, room: str) -> Scenario:
    event = recorded("apigw-websocket-connect")
    event["type"] = "REQUEST"
    event["methodArn"] = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect"
    event["queryStringParameters"] = {"room": room, "token": issue_token(AUTH_SECRET, "carol")}

    def check(result: Any) -> None:
        assert result["principalId"] == "carol"
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"

    return Scenario(event, check)


SCENARIOS: dict[str, Callable[[ChatStack, str], Scenario]] = {
    "chatserver.handlers.connect.handler": connect,
    "chatserver.handlers.disconnect.handler": disconnect,
    "chatserver.handlers.send_message.handler": send_message,
    "chatserver.handlers.get_history.handler": get_history,
    "chatserver.handlers.get_presence.handler": get_presence,
    "chatserver.handlers.whoami.handler": whoami,
    "chatserver.handlers.default.handler": default,
    "chatserver.handlers.broadcast.handler": broadcast,
    "chatserver.handlers.authorizer.handler": authorizer,
}


def _iam_requests(call: dict[str, Any], deployment: Deployment) -> Iterator[tuple[str, str]]:
    """The (action, resource) pairs IAM checks for one recorded API call."""
    names = deployment.stack.names
    params = call["params"]
    if call["service"] == "dynamodb":
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
        items = params.get("TransactItems") or [{call["operation"]: params["TableName"]}]
        for item in items:
            for kind, table in item.items():
                resource = names.arn("dynamodb", f"table/{table}")
                if "IndexName" in params:
                    resource += f"/index/{params['IndexName']}"
                yield f"dynamodb:{kinds.get(kind, kind)}", resource
    elif call["service"] == "events":
        for bus in params["EventBusNames"]:
            yield "events:PutEvents", names.arn("events", f"event-bus/{bus}")
    elif call["service"] == "apigatewaymanagementapi":
        method = {"PostToConnection": "POST", "GetConnection": "GET"}.get(
            call["operation"], "DELETE"
        )
        settings = deployment.stack.settings
        path = f"{settings.api_id}/{settings.stage}/{method}/@connections/{params['ConnectionId']}"
        yield "execute-api:ManageConnections", names.arn("execute-api", path)
    else:
        yield f"{call['service']}:{call['operation']}", "unexpected service"


# -- Tests -------------------------------------------------------------------------------------


def test_the_artifact_holds_the_runtime_part_only(artifact: Path) -> None:
    """The zip has the handlers and their dependencies, not the gateway, emulator or boto3."""
    packages = {path.name for path in (artifact / "chatserver").iterdir()}
    assert {"handlers", "aws", "chat", "errors.py"} <= packages
    assert not packages & {"gateway", "emulator", "testing", "deploy", "server.py", "cli.py"}
    assert not {path.name for path in artifact.iterdir()} & set(PROVIDED_BY_RUNTIME.values())
    assert (artifact / "pydantic_core").is_dir()


def test_every_handler_of_the_template_imports_in_the_bare_runtime(
    artifact: Path, runtime_python: Path
) -> None:
    """Each handler imports from the artifact alone, pulling in none of the local tooling."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {HANDLERS!r}:\n"
        "    importlib.import_module(name.rpartition('.')[0])\n"
        "print(json.dumps([sys.modules['chatserver'].__file__,"
        " sorted({m.split('.')[0] for m in sys.modules})]))\n"
    )
    result = subprocess.run(
        [str(runtime_python), "-s", "-c", script],
        env={"PYTHONPATH": str(artifact), "PATH": os.environ.get("PATH", "")},
        cwd=artifact,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    origin, modules = json.loads(result.stdout)
    assert origin.startswith(str(artifact))
    assert not set(modules) & LOCAL_ONLY


def test_the_bare_runtime_has_no_chatserver_dependencies(runtime_python: Path) -> None:
    """Without the artifact, the runtime cannot import chatserver, pydantic or jwt."""
    result = subprocess.run(
        [str(runtime_python), "-s", "-c", "import boto3\nimport pydantic"],
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "No module named 'pydantic'" in result.stderr


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_handler_runs_from_the_artifact_within_its_role(
    handler: str,
    artifact: Path,
    runtime_python: Path,
    deployment: Deployment,
    chat_room: str,
) -> None:
    """A recorded event gives the expected result, and each AWS call is allowed by the role."""
    assert handler in SCENARIOS, f"no recorded-event scenario for {handler}"
    logical_id = TEMPLATE.function_with_handler(handler)
    scenario = SCENARIOS[handler](deployment.stack, chat_room)
    outcome = invoke(
        runtime_python, deployment.environment(logical_id, artifact), scenario.event, artifact
    )
    assert "error" not in outcome, outcome["error"]["stackTrace"]
    assert outcome["chatserver"].startswith(str(artifact))
    scenario.check(outcome["result"])
    denied = [
        (action, resource)
        for call in outcome["calls"]
        for action, resource in _iam_requests(call, deployment)
        if not deployment.allowed(logical_id, action, resource)
    ]
    assert denied == []


def test_handlers_sign_with_the_session_token_lambda_sets(
    artifact: Path, runtime_python: Path, deployment: Deployment
) -> None:
    """Handlers' clients send AWS_SESSION_TOKEN, which Lambda's role credentials need."""
    logical_id = TEMPLATE.function_with_handler("chatserver.handlers.whoami.handler")
    environment = deployment.environment(logical_id, artifact)
    script = (
        "import os\n"
        "from chatserver.aws.clients import clients_for\n"
        "from chatserver.aws.function_config import FunctionConfig\n"
        "client = clients_for(FunctionConfig.from_environment(os.environ)).dynamodb\n"
        "seen = []\n"
        "client.meta.events.register('before-send', lambda request, **_: seen.append(\n"
        "    request.headers.get('X-Amz-Security-Token')))\n"
        "client.list_tables(Limit=1)\n"
        "print(seen[0].decode())\n"
    )
    result = subprocess.run(
        [str(runtime_python), "-s", "-c", script],
        env=environment,
        cwd=artifact,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == environment["AWS_SESSION_TOKEN"], result.stderr


def test_package_is_reproducible(tmp_path: Path) -> None:
    """Two builds of the same code give the same bytes, so sam deploy uploads only changes."""
    first = build(tmp_path / "a.zip", LambdaTarget.local())
    second = build(tmp_path / "b.zip", LambdaTarget.local())
    assert first.path.read_bytes() == second.path.read_bytes()
