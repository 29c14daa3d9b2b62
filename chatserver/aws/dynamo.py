"""Conversions between DynamoDB's typed attribute values and plain Python values."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item from plain values; ``None`` values are left out."""
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values from a DynamoDB item; whole numbers come back as ``int``."""
    plain = {key: _deserializer.deserialize(value) for key, value in item.items()}
    return {
        key: int(value) if isinstance(value, Decimal) and value == int(value) else value
        for key, value in plain.items()
    }
