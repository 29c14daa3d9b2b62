"""Reading template.yaml as CloudFormation would: short-form tags, Globals, and intrinsic
functions resolved against the names a local stack uses (what the tests compare)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chatserver.aws.names import ResourceNames

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

_NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms: ``!Ref X`` is ``{"Ref": "X"}`` and so on."""


def _tag(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Loader)


@dataclass
class Resolver:
    """Resolves intrinsic functions with given parameters, conditions and resource values."""

    parameters: dict[str, Any]
    conditions: dict[str, bool]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:  # noqa: PLR0911 - one return per function
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                return self.attributes[(argument[0], argument[1])]
            if key == "Fn::Sub":
                return self.sub(argument)
            if key == "Fn::If":
                condition, yes, no = argument
                return self._resolve(yes if self.conditions[condition] else no)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(self._resolve(items))
        items = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in items.items() if item is not _NO_VALUE}

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return self.refs[name]

    def sub(self, argument: str | list[Any]) -> str:
        text, extra = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self._resolve(item) for name, item in extra.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                return self.attributes[(logical, attribute)]
            return str(self.ref(name))

        return _SUB.sub(replace, text).replace("${!", "${")


@dataclass(frozen=True)
class LocalValues:
    """What a local stack calls things: the values the template is resolved with."""

    names: ResourceNames
    stage: str
    api_id: str
    auth_secret: str = ""
    stack_name: str = "chatserver"


class Template:
    """template.yaml with Globals merged into its functions."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document = document if document is not None else load()
        self.resources: dict[str, dict[str, Any]] = self.document["Resources"]
        self.parameters: dict[str, dict[str, Any]] = self.document["Parameters"]
        self.outputs: dict[str, dict[str, Any]] = self.document["Outputs"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == kind}

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))

    def functions(self) -> dict[str, dict[str, Any]]:
        """Each function's properties, Globals.Function merged in (Environment variables too)."""
        defaults = self.document.get("Globals", {}).get("Function", {})
        merged = {}
        for name in self.of_type("AWS::Serverless::Function"):
            own = self.properties(name)
            properties = {**copy.deepcopy(defaults), **own}
            variables = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **own.get("Environment", {}).get("Variables", {}),
            }
            properties["Environment"] = {"Variables": variables}
            merged[name] = properties
        return merged

    def function_with_handler(self, handler: str) -> str:
        found = [name for name, p in self.functions().items() if p["Handler"] == handler]
        assert len(found) == 1, f"{len(found)} functions run {handler}"
        return found[0]

    def resolver(self, local: LocalValues) -> Resolver:
        """Resolve as CloudFormation would, with a local stack's names (auth on if a secret)."""
        names = local.names
        parameters: dict[str, Any] = {
            name: spec.get("Default") for name, spec in self.parameters.items()
        }
        parameters.update(
            ResourcePrefix=names.prefix,
            StageName=local.stage,
            AuthSecret=local.auth_secret,
        )
        parameters.update(
            {
                "AWS::Region": names.region,
                "AWS::AccountId": names.account_id,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": local.stack_name,
            }
        )
        conditions = {"AuthEnabled": bool(local.auth_secret)}
        resolver = Resolver(parameters, conditions)
        for logical_id, resource in self.resources.items():
            self._describe(resolver, logical_id, resource, local)
        return resolver

    @staticmethod
    def _describe(
        resolver: Resolver, logical_id: str, resource: Mapping[str, Any], local: LocalValues
    ) -> None:
        """What Ref and GetAtt give for one resource, as AWS defines them per type."""
        names = local.names
        properties = resource.get("Properties", {})

        def named(key: str) -> str:
            return str(resolver.resolve(properties[key]))

        kind = resource["Type"]
        refs, attributes = resolver.refs, resolver.attributes
        if kind == "AWS::DynamoDB::Table":
            refs[logical_id] = named("TableName")
            attributes[(logical_id, "Arn")] = names.arn("dynamodb", f"table/{named('TableName')}")
        elif kind == "AWS::Events::EventBus":
            refs[logical_id] = named("Name")
            attributes[(logical_id, "Arn")] = names.arn("events", f"event-bus/{named('Name')}")
        elif kind == "AWS::Serverless::Function":
            refs[logical_id] = named("FunctionName")
            attributes[(logical_id, "Arn")] = names.arn(
                "lambda", f"function:{named('FunctionName')}"
            )
        elif kind == "AWS::Logs::LogGroup":
            refs[logical_id] = named("LogGroupName")
            attributes[(logical_id, "Arn")] = names.arn(
                "logs", f"log-group:{named('LogGroupName')}:*"
            )
        elif kind == "AWS::Serverless::StateMachine":
            refs[logical_id] = names.arn("states", f"stateMachine:{named('Name')}")
            attributes[(logical_id, "Name")] = named("Name")
        elif kind == "AWS::ApiGatewayV2::Api":
            refs[logical_id] = local.api_id
        else:
            refs[logical_id] = f"{logical_id}-id"
            attributes[(logical_id, "Arn")] = f"arn:aws:{kind}:{logical_id}"
            for attribute in ("Id", "DomainName", "RegionalDomainName"):
                attributes[(logical_id, attribute)] = f"{logical_id}-{attribute}"
