"""Names and ARNs of chatserver's AWS resources, derived from one prefix.

The SAM template names its resources from the same prefix (a stack parameter), so local and
deployed stacks differ only in account, region and this prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The account id AWS emulators report (moto and LocalStack both default to it).
EMULATOR_ACCOUNT_ID = "000000000000"
MOTO_ACCOUNT_ID = "123456789012"

ROOM_INDEX = "room-index"
EVENT_SOURCE = "chatserver"
MESSAGE_SENT = "MessageSent"
PRESENCE_CHANGED = "PresenceChanged"


@dataclass(frozen=True)
class ResourceNames:
    """Every resource name chatserver uses, for one prefix, region and account."""

    prefix: str
    region: str
    account_id: str

    @property
    def connections_table(self) -> str:
        return f"{self.prefix}-connections"

    @property
    def messages_table(self) -> str:
        return f"{self.prefix}-messages"

    @property
    def event_bus(self) -> str:
        return f"{self.prefix}-events"

    @property
    def fanout_rule(self) -> str:
        return f"{self.prefix}-fanout"

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-message-distribution"

    @property
    def role(self) -> str:
        return f"{self.prefix}-local-role"

    def function(self, short_name: str) -> str:
        """The Lambda function name of a handler, e.g. ``chat-broadcast``."""
        return f"{self.prefix}-{short_name}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.role}"

    @property
    def state_machine_arn(self) -> str:
        return self.arn("states", f"stateMachine:{self.state_machine}")

    def function_arn(self, short_name: str) -> str:
        return self.arn("lambda", f"function:{self.function(short_name)}")
