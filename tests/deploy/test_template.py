"""template.yaml describes the resources local provisioning makes, from the same sources: the
function catalog, the table definitions, the bus, rule and ASL of provisioning, the function
environment, and least-privilege roles. Each test fails when the two drift apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chatserver.aws import function_config
from chatserver.aws.names import MOTO_ACCOUNT_ID, ROOM_INDEX, ResourceNames
from chatserver.aws.provision import BROADCAST_FUNCTION, FANOUT_PATTERN
from chatserver.aws.statemachine import ASL_FILE, definition, placeholders
from chatserver.aws.tables import all_tables
from chatserver.deploy import frontend
from chatserver.deploy.lambda_package import DEFAULT_OUTPUT, DEFAULT_TARGET
from chatserver.handlers.authorizer import SECRET_VARIABLE
from chatserver.handlers.catalog import (
    AUTHORIZER_IDENTITY_SOURCE,
    FUNCTIONS,
    ROUTE_SELECTION_EXPRESSION,
    authorizer,
    routes,
)
from chatserver.settings import Settings
from tests.deploy.cfn import ROOT, TEMPLATE, LocalValues, Resolver, Template

NAMES = ResourceNames(prefix="chat", region="us-east-1", account_id=MOTO_ACCOUNT_ID)
LOCAL = LocalValues(names=NAMES, stage="prod", api_id="abcdef1234")
LOCAL_WITH_AUTH = LocalValues(names=NAMES, stage="prod", api_id="abcdef1234", auth_secret="s" * 32)

#: What each function may do, read from the code of its handler: (action, resource).
EXPECTED_PERMISSIONS: dict[str, set[tuple[str, str]]] = {
    "connect": {
        ("dynamodb:PutItem", "connections"),
        ("dynamodb:Query", "connections/room-index"),
        ("events:PutEvents", "bus"),
    },
    "disconnect": {
        ("dynamodb:DeleteItem", "connections"),
        ("dynamodb:Query", "connections/room-index"),
        ("events:PutEvents", "bus"),
    },
    "send-message": {
        ("dynamodb:GetItem", "connections"),
        ("dynamodb:UpdateItem", "messages"),
        ("dynamodb:PutItem", "messages"),
        ("dynamodb:GetItem", "messages"),
        ("events:PutEvents", "bus"),
    },
    "get-history": {("dynamodb:GetItem", "connections"), ("dynamodb:Query", "messages")},
    "get-presence": {
        ("dynamodb:GetItem", "connections"),
        ("dynamodb:Query", "connections/room-index"),
    },
    "whoami": {("dynamodb:GetItem", "connections")},
    "default": set(),
    "broadcast": {
        ("execute-api:ManageConnections", "@connections"),
        ("dynamodb:DeleteItem", "connections"),
        ("dynamodb:Query", "connections/room-index"),
        ("events:PutEvents", "bus"),
    },
    "authorizer": set(),
}

#: CloudWatch Logs' log-delivery actions accept no resource narrower than "*".
LOG_DELIVERY_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


@pytest.fixture(scope="module")
def template() -> Template:
    return Template()


@pytest.fixture(scope="module")
def resolver(template: Template) -> Resolver:
    return template.resolver(LOCAL_WITH_AUTH)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _label(arn: str, log_group_arn: str) -> str:
    """A resource ARN, named by what it is in this stack."""
    known = {
        f"{NAMES.arn('dynamodb', 'table/' + NAMES.connections_table)}": "connections",
        f"{NAMES.arn('dynamodb', 'table/' + NAMES.connections_table)}/index/{ROOM_INDEX}": (
            "connections/room-index"
        ),
        f"{NAMES.arn('dynamodb', 'table/' + NAMES.messages_table)}": "messages",
        NAMES.arn("events", f"event-bus/{NAMES.event_bus}"): "bus",
        NAMES.arn("execute-api", f"{LOCAL.api_id}/{LOCAL.stage}/POST/@connections/*"): (
            "@connections"
        ),
        log_group_arn: "own log group",
    }
    return known.get(arn, arn)


# -- Functions ---------------------------------------------------------------------------------


def test_every_catalog_function_is_deployed_with_its_timeout_and_memory(
    template: Template, resolver: Resolver
) -> None:
    """Each catalog entry is one function: same handler, name, timeout and memory."""
    deployed = template.functions()
    for spec in FUNCTIONS:
        function = deployed[template.function_with_handler(spec.handler)]
        assert resolver.resolve(function["FunctionName"]) == NAMES.function(spec.name)
        assert (function["Timeout"], function["MemorySize"]) == (spec.timeout, spec.memory)
    assert len(deployed) == len(FUNCTIONS)


def test_functions_run_the_zip_chatserver_package_builds(template: Template) -> None:
    """Every function's code is `chatserver package`'s output, for its runtime and arch."""
    for function in template.functions().values():
        assert function["CodeUri"] == DEFAULT_OUTPUT.as_posix()
        assert function["Runtime"] == DEFAULT_TARGET.runtime
        assert function["Architectures"] == [DEFAULT_TARGET.architecture]


def test_functions_get_the_environment_handlers_read(
    template: Template, resolver: Resolver
) -> None:
    """Every data function gets the tables, bus and @connections endpoint of this stack."""
    expected = {
        function_config.CONNECTIONS_TABLE: NAMES.connections_table,
        function_config.MESSAGES_TABLE: NAMES.messages_table,
        function_config.EVENT_BUS: NAMES.event_bus,
        function_config.MANAGEMENT_ENDPOINT: (
            f"https://{LOCAL.api_id}.execute-api.{NAMES.region}.amazonaws.com/{LOCAL.stage}"
        ),
    }
    assert set(function_config.REQUIRED) <= set(expected)
    for spec in FUNCTIONS:
        if spec.authorizer:
            continue
        function = template.functions()[template.function_with_handler(spec.handler)]
        variables = resolver.resolve(function["Environment"]["Variables"])
        assert {name: variables.get(name) for name in expected} == expected, spec.name


def test_only_the_authorizer_gets_the_secret(template: Template, resolver: Resolver) -> None:
    """CHAT_AUTH_SECRET is the AuthSecret parameter, in the authorizer's environment only."""
    spec = authorizer()
    assert spec is not None
    for name, function in template.functions().items():
        variables = function["Environment"]["Variables"]
        if function["Handler"] == spec.handler:
            assert variables[SECRET_VARIABLE] == {"Ref": "AuthSecret"}
        else:
            assert SECRET_VARIABLE not in variables, name
    secret = template.parameters["AuthSecret"]
    assert secret["NoEcho"] is True
    assert secret["Default"] == ""


# -- The WebSocket API -------------------------------------------------------------------------


def _route_function(template: Template, route: dict[str, Any]) -> str:
    """The function a route's integration invokes."""
    target = route["Properties"]["Target"]["Fn::Sub"]
    integration = template.properties(target.removeprefix("integrations/${").rstrip("}"))
    assert integration["IntegrationType"] == "AWS_PROXY"
    uri = integration["IntegrationUri"]["Fn::Sub"]
    return str(uri.split("/functions/${")[1].split(".Arn}")[0])


def test_api_selects_routes_by_action(template: Template) -> None:
    """The WebSocket API routes by the catalog's selection expression."""
    (api,) = template.of_type("AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "WEBSOCKET"
    assert api["Properties"]["RouteSelectionExpression"] == ROUTE_SELECTION_EXPRESSION


def test_routes_are_the_catalog_routes_and_call_their_handlers(template: Template) -> None:
    """Each catalog route is a route whose integration calls that route's handler."""
    deployed = {
        route["Properties"]["RouteKey"]: route
        for route in template.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert set(deployed) == set(routes())
    functions = template.functions()
    for key, spec in routes().items():
        assert functions[_route_function(template, deployed[key])]["Handler"] == spec.handler


def test_two_way_routes_have_a_route_response(template: Template) -> None:
    """Exactly the two-way routes send the handler's body back ($default route response)."""
    responses = {
        res["Properties"]["RouteId"]["Ref"]: res["Properties"]["RouteResponseKey"]
        for res in template.of_type("AWS::ApiGatewayV2::RouteResponse").values()
    }
    for name, route in template.of_type("AWS::ApiGatewayV2::Route").items():
        spec = routes()[route["Properties"]["RouteKey"]]
        selection = route["Properties"].get("RouteResponseSelectionExpression")
        if spec.two_way:
            assert (selection, responses.get(name)) == ("$default", "$default"), spec.name
        else:
            assert (selection, responses.get(name)) == (None, None), spec.name


def test_api_gateway_may_invoke_each_route_function_for_its_route_only(
    template: Template, resolver: Resolver
) -> None:
    """Each route's function has a permission for API Gateway, scoped to that route."""
    permissions = {
        resource["Properties"]["FunctionName"]["Ref"]: resolver.resolve(resource["Properties"])
        for resource in template.of_type("AWS::Lambda::Permission").values()
    }
    for route in template.of_type("AWS::ApiGatewayV2::Route").values():
        function = _route_function(template, route)
        permission = permissions[function]
        assert permission["Principal"] == "apigateway.amazonaws.com"
        route_key = route["Properties"]["RouteKey"]
        assert permission["SourceArn"] == NAMES.arn("execute-api", f"{LOCAL.api_id}/*/{route_key}")


def test_connect_uses_the_request_authorizer_only_when_a_secret_is_set(
    template: Template,
) -> None:
    """AuthSecret set: $connect is CUSTOM with the authorizer; empty: NONE and no authorizer."""
    (connect_route,) = [
        route
        for route in template.of_type("AWS::ApiGatewayV2::Route").values()
        if route["Properties"]["RouteKey"] == "$connect"
    ]
    with_auth = template.resolver(LOCAL_WITH_AUTH).resolve(connect_route["Properties"])
    without = template.resolver(LOCAL).resolve(connect_route["Properties"])
    (authorizer_id,) = template.of_type("AWS::ApiGatewayV2::Authorizer")
    assert (with_auth["AuthorizationType"], with_auth["AuthorizerId"]) == (
        "CUSTOM",
        f"{authorizer_id}-id",
    )
    assert without["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in without


def test_the_authorizer_is_the_catalog_authorizer_reading_the_token(
    template: Template,
) -> None:
    """The REQUEST authorizer calls the catalog's authorizer with the catalog's identity."""
    spec = authorizer()
    assert spec is not None
    (props,) = (
        res["Properties"] for res in template.of_type("AWS::ApiGatewayV2::Authorizer").values()
    )
    assert props["AuthorizerType"] == "REQUEST"
    assert props["IdentitySource"] == [AUTHORIZER_IDENTITY_SOURCE]
    function = props["AuthorizerUri"]["Fn::Sub"].split("/functions/${")[1].split(".Arn}")[0]
    assert template.functions()[function]["Handler"] == spec.handler


def test_authorizer_resources_exist_only_when_auth_is_enabled(template: Template) -> None:
    """The authorizer, its function, role, log group and permission all need AuthEnabled."""
    spec = authorizer()
    assert spec is not None
    function = template.function_with_handler(spec.handler)
    conditional = {name for name, res in template.resources.items() if "Condition" in res}
    role = template.properties(function)["Role"]["Fn::GetAtt"][0]
    expected = {function, role, *template.of_type("AWS::ApiGatewayV2::Authorizer")}
    assert expected <= conditional
    for name in conditional:
        assert template.resources[name]["Condition"] == "AuthEnabled"


def test_parameters_accept_what_local_settings_accept(template: Template) -> None:
    """ResourcePrefix and StageName have the patterns of CHAT_RESOURCE_PREFIX and CHAT_STAGE."""

    def pattern(field: str) -> str:
        (constraint,) = (
            item for item in Settings.model_fields[field].metadata if hasattr(item, "pattern")
        )
        return str(constraint.pattern)

    assert template.parameters["ResourcePrefix"]["AllowedPattern"] == pattern("resource_prefix")
    assert template.parameters["StageName"]["AllowedPattern"] == pattern("stage")


# -- DynamoDB, EventBridge, Step Functions -----------------------------------------------------


def test_tables_are_the_local_table_definitions(template: Template, resolver: Resolver) -> None:
    """Each table has the local definition's name, keys, attributes, index, billing and TTL."""
    deployed = {
        resolver.resolve(res["Properties"]["TableName"]): res["Properties"]
        for res in template.of_type("AWS::DynamoDB::Table").values()
    }
    local = {table.name: table for table in all_tables(NAMES)}
    assert set(deployed) == set(local)
    for name, table in local.items():
        request = table.create_table_request()
        props = deployed[name]
        assert props["KeySchema"] == request["KeySchema"]
        assert sorted(props["AttributeDefinitions"], key=str) == sorted(
            request["AttributeDefinitions"], key=str
        )
        assert props.get("GlobalSecondaryIndexes", []) == request.get("GlobalSecondaryIndexes", [])
        assert props["BillingMode"] == request["BillingMode"] == "PAY_PER_REQUEST"
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": table.ttl_attribute,
            "Enabled": True,
        }


def test_bus_and_rule_are_the_provisioned_ones(template: Template, resolver: Resolver) -> None:
    """The bus and the fan-out rule have provisioning's names and pattern, and start the
    state machine."""
    (bus,) = template.of_type("AWS::Events::EventBus").values()
    assert resolver.resolve(bus["Properties"]["Name"]) == NAMES.event_bus
    (rule,) = template.of_type("AWS::Events::Rule").values()
    props = resolver.resolve(rule["Properties"])
    assert props["Name"] == NAMES.fanout_rule
    assert props["EventBusName"] == NAMES.event_bus
    assert props["EventPattern"] == FANOUT_PATTERN
    assert [target["Arn"] for target in props["Targets"]] == [NAMES.state_machine_arn]


def test_state_machine_deploys_the_asl_file_with_every_substitution(
    template: Template, resolver: Resolver
) -> None:
    """The Express state machine is the ASL file, its placeholders filled as provisioning does."""
    (machine,) = template.of_type("AWS::Serverless::StateMachine").values()
    props = machine["Properties"]
    asl = ROOT / props["DefinitionUri"]
    assert asl.name == ASL_FILE
    assert asl.resolve() == (ROOT / "chatserver" / "aws" / "statemachine" / ASL_FILE)
    substitutions = resolver.resolve(props["DefinitionSubstitutions"])
    assert set(substitutions) == placeholders()
    assert substitutions == {
        "ConnectionsTableName": NAMES.connections_table,
        "RoomIndexName": ROOM_INDEX,
        "BroadcastFunctionArn": NAMES.function_arn(BROADCAST_FUNCTION),
    }
    json.loads(definition(substitutions))
    assert resolver.resolve(props["Name"]) == NAMES.state_machine
    assert props["Type"] == "EXPRESS"
    assert props["Logging"]["IncludeExecutionData"] is False


# -- IAM ---------------------------------------------------------------------------------------


def test_each_function_role_grants_what_its_handler_calls_and_nothing_else(
    template: Template, resolver: Resolver
) -> None:
    """A function's role allows its own log group plus exactly the calls its handler makes."""
    for spec in FUNCTIONS:
        name = template.function_with_handler(spec.handler)
        function = template.properties(name)
        role = template.resources[function["Role"]["Fn::GetAtt"][0]]
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "lambda.amazonaws.com"
        }
        log_group = NAMES.arn("logs", f"log-group:/aws/lambda/{NAMES.function(spec.name)}:*")
        granted = set()
        for statement in _statements(role):
            assert statement["Effect"] == "Allow"
            for action in _as_list(statement["Action"]):
                for resource in _as_list(resolver.resolve(statement["Resource"])):
                    granted.add((action, _label(resource, log_group)))
        logs = {
            ("logs:CreateLogStream", "own log group"),
            ("logs:PutLogEvents", "own log group"),
        }
        assert granted == EXPECTED_PERMISSIONS[spec.name] | logs, spec.name


def test_state_machine_role_reads_the_room_index_and_invokes_the_broadcast(
    template: Template, resolver: Resolver
) -> None:
    """message-distribution may query room-index and invoke the broadcast function only."""
    (machine,) = template.of_type("AWS::Serverless::StateMachine").values()
    role = template.resources[machine["Properties"]["Role"]["Fn::GetAtt"][0]]
    granted = {
        (action, resource)
        for statement in _statements(role)
        for action in _as_list(statement["Action"])
        for resource in _as_list(resolver.resolve(statement["Resource"]))
        if resource != "*"
    }
    assert granted == {
        (
            "dynamodb:Query",
            f"{NAMES.arn('dynamodb', 'table/' + NAMES.connections_table)}/index/{ROOM_INDEX}",
        ),
        ("lambda:InvokeFunction", NAMES.function_arn(BROADCAST_FUNCTION)),
    }


def test_wildcard_resources_only_where_aws_allows_no_narrower_one(template: Template) -> None:
    """No IAM statement of the template grants on "*" except CloudWatch log delivery."""
    for name, role in template.of_type("AWS::IAM::Role").items():
        for statement in _statements(role):
            if "*" in _as_list(statement["Resource"]):
                assert set(_as_list(statement["Action"])) <= LOG_DELIVERY_ACTIONS, name


# -- Frontend and outputs ----------------------------------------------------------------------


def test_frontend_bucket_is_private_and_read_by_cloudfront_only(
    template: Template, resolver: Resolver
) -> None:
    """The bucket blocks public access; its policy lets only the stack's distribution read."""
    ((bucket_id, bucket),) = template.of_type("AWS::S3::Bucket").items()
    block = bucket["Properties"]["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )
    (policy,) = template.of_type("AWS::S3::BucketPolicy").values()
    allows = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    (distribution,) = template.of_type("AWS::CloudFront::Distribution")
    condition = resolver.resolve(allows[0]["Condition"])
    assert condition == {
        "StringEquals": {
            "AWS:SourceArn": f"arn:aws:cloudfront::{NAMES.account_id}:distribution/"
            f"{distribution}-id"
        }
    }
    assert bucket_id in json.dumps(policy)


def test_outputs_name_what_deploy_frontend_and_clients_need(
    template: Template, resolver: Resolver
) -> None:
    """The stack outputs the WebSocket URL, the frontend URL, bucket and distribution."""
    outputs = {key: resolver.resolve(out["Value"]) for key, out in template.outputs.items()}
    assert outputs[frontend.OUTPUT_WEBSOCKET_URL] == (
        f"wss://{LOCAL.api_id}.execute-api.{NAMES.region}.amazonaws.com/{LOCAL.stage}"
    )
    assert outputs["FrontendUrl"].startswith("https://")
    assert {frontend.OUTPUT_BUCKET, frontend.OUTPUT_DISTRIBUTION} <= set(outputs)


def test_cfn_lint_finds_nothing() -> None:
    """cfn-lint (with the SAM transform) reports no error, warning or note on template.yaml."""
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
