"""`make run`: everything a laptop needs, in the foreground (CONTRACT section 1).

Migrates the database, applies examples/klaxon.yaml when the database is empty, starts a local
redis-server when REDIS_URL is unset (installing Debian's package when missing and we are root),
prints the URL and an admin API token, then runs `klaxon web` and `klaxon worker` until Ctrl-C,
which stops every child.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import func, select

from app.models import Service, User
from app.platform.clock import utc_now
from app.platform.migrate import upgrade
from app.platform.runtime import Runtime
from app.platform.settings import Settings
from app.wiring import build_runtime

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "klaxon.yaml"
KLAXON = str(Path(sys.executable).parent / "klaxon")


def main() -> None:
    """Prepare and run web + worker until interrupted."""
    os.chdir(ROOT)
    children: list[subprocess.Popen[bytes]] = []
    if not os.environ.get("REDIS_URL"):
        redis = _start_local_redis()
        if redis is not None:
            children.append(redis)
    settings = Settings.from_env()
    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    _apply_example_if_empty(runtime)
    token = _admin_token(runtime)
    runtime.close()
    env = dict(os.environ, REDIS_URL=settings.redis_url, DATABASE_URL=settings.database_url)
    children.append(subprocess.Popen([KLAXON, "web", "--workers", "2"], env=env))
    children.append(subprocess.Popen([KLAXON, "worker"], env=env))
    print(f"\n  Klaxon is running at http://127.0.0.1:{settings.port}/\n  Admin API token: {token}\n"
          f"  Fire the example alert (README quick start), watch the page arrive in the console outbox.\n"
          f"  Ctrl-C stops everything.\n", flush=True)
    _wait_and_stop(children)


def _start_local_redis() -> subprocess.Popen[bytes] | None:
    """Use a Redis already on 127.0.0.1:6379, or start redis-server there (installing it if we may)."""
    if _port_open(6379):
        return None
    binary = shutil.which("redis-server") or _install_redis()
    data = ROOT / "var" / "redis"
    data.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([binary, "--port", "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(data)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if _port_open(6379):
            return process
        time.sleep(0.05)
    raise SystemExit("redis-server did not start on 127.0.0.1:6379")


def _install_redis() -> str:
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("redis-server is missing; installing Debian's redis-server package…", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        found = shutil.which("redis-server")
        if found:
            return found
    raise SystemExit("Klaxon needs Redis. Install it with `sudo apt-get install redis-server`, "
                     "or set REDIS_URL to a Redis you have.")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _apply_example_if_empty(runtime: Runtime) -> None:
    from app.configuration.apply import apply_config
    from app.configuration.loading import load_config

    with runtime.session() as session:
        if session.exec(select(func.count()).select_from(Service)).one():
            return
        result = apply_config(session, load_config(EXAMPLE.read_text()), now=utc_now())
        session.commit()
    print(f"Applied {EXAMPLE.relative_to(ROOT)} ({len(result.changes)} changes).", flush=True)


def _admin_token(runtime: Runtime) -> str:
    from app.web.tokens import create_token

    with runtime.session() as session:
        user = session.exec(select(User).order_by(User.id)).first()
        if user is None:
            return "(no users configured: apply a config, then `klaxon token create`)"
        token = create_token(session, user_id=user.id, role="admin", now=utc_now())
        session.commit()
    return token


def _wait_and_stop(children: list[subprocess.Popen[bytes]]) -> None:
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a Klaxon process exited; stopping the others", flush=True)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    main()
