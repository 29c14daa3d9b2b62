"""Test kit: the whole chat stack in-process, chat clients, and a pytest plugin using them.

Installing chatserver registers the plugin (``pytest11`` entry point ``chatserver``); its
fixtures are documented in the README's "Testing your own handlers" section.
"""

from chatserver.testing.client import ChatClient, of_type
from chatserver.testing.stack import ChatStack

__all__ = ["ChatClient", "ChatStack", "of_type"]
