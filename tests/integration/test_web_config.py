"""``GET /config.json``: the frontend's WebSocket URL, from the gateway or the web folder."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from chatserver.testing import ChatStack


def test_config_json_names_this_gateways_stage(chat_stack: ChatStack) -> None:
    """The gateway answers config.json with ws://{the host asked}/{stage}, uncached."""
    response = httpx.get(f"{chat_stack.http_url}/config.json")
    assert response.status_code == 200
    assert response.json() == {"websocketUrl": chat_stack.ws_url}
    assert response.headers["cache-control"] == "no-store"


def test_config_json_follows_the_host_the_browser_used(chat_stack: ChatStack) -> None:
    """The URL is built from the request's Host, so it holds for any address of the machine."""
    response = httpx.get(
        f"{chat_stack.http_url}/config.json", headers={"Host": "chat.example:8443"}
    )
    assert response.json() == {
        "websocketUrl": f"ws://chat.example:8443/{chat_stack.settings.stage}"
    }


def test_a_config_json_in_the_web_folder_is_served_as_it_is(tmp_path: Path) -> None:
    """A web folder with its own config.json (as deployed) keeps it."""
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    deployed = {"websocketUrl": "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod"}
    (tmp_path / "config.json").write_text(json.dumps(deployed))
    with ChatStack(web_dir=tmp_path, stage="prod") as stack:
        response = httpx.get(f"{stack.http_url}/config.json")
    assert response.json() == deployed


def test_the_stage_setting_reaches_the_frontend(tmp_path: Path) -> None:
    """With CHAT_STAGE=dev the generated config.json points at /dev."""
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    with ChatStack(web_dir=tmp_path, stage="dev") as stack:
        response = httpx.get(f"{stack.http_url}/config.json")
        assert response.json() == {"websocketUrl": f"{stack.ws_url}"}
    assert response.json()["websocketUrl"].endswith("/dev")
