#!/usr/bin/env bash
# Real LocalStack 4.14.0 without Docker, on a loopback port (CI, and developers without Docker).
#
#   localstack/run-local.sh start [--port N]   # background; prints its URL (first run installs)
#   localstack/run-local.sh status | url | stop
#   localstack/run-local.sh run [--port N]     # foreground until Ctrl-C
#   localstack/run-local.sh install            # only prepare the cache
#
# Needs Python 3.13 (pyenv's 3.13.0, python3.13 on the PATH, or CHAT_LOCALSTACK_PYTHON), Java 17+
# with javac and jar, and npm. Caches in CHAT_LOCALSTACK_CACHE (default ~/.cache/chatserver/localstack).
# The work is done by chatserver/emulator/localstack_host.py (standard library only); this
# script runs it with the repository's .venv if there is one, else with python3.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${repo}/.venv/bin/python"
[[ -x "$python" ]] || python="$(command -v python3 || true)"
if [[ -z "$python" ]]; then
    echo "run-local.sh: python3 (3.11+) is needed to run the LocalStack helper" >&2
    exit 1
fi
export PYTHONPATH="${repo}${PYTHONPATH:+:${PYTHONPATH}}"
exec "$python" -m chatserver.emulator.localstack_host "$@"
