"""An accepted report is never lost, even when the server is killed in the middle of a load."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser  # runs with the server-level tests (own SQLite file, real gunicorn)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env, port):
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "shanzhi.config.wsgi:application", "--bind",
                             f"127.0.0.1:{port}", "--workers", "2"], env=env, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    # Bound is not ready: wait until a worker answers (a busy machine boots them slowly).
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def test_every_acknowledged_report_survives_a_hard_kill():
    data_dir = Path(tempfile.mkdtemp(prefix="shanzhi-kill-"))
    env = {**os.environ, "SHANZHI_DATA_DIR": str(data_dir), "DATABASE_URL": "", "SHANZHI_SEAL_KEY": "3d" * 32}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([sys.executable, "-m", "shanzhi.cli", "demo", "--scale", "tiny", "--no-serve"], env=env,
                   check=True, capture_output=True)
    key = subprocess.run([sys.executable, "-m", "shanzhi.cli", "apikey", "create", "load"], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    port = _free_port()
    proc = _start(env, port)
    acknowledged, lock, stop = [], threading.Lock(), threading.Event()

    def client(tid):
        n = 0
        while not stop.is_set():
            n += 1
            ext = f"kill-{tid}-{n}"
            body = json.dumps({"source": "hotline", "description": "压力测试：路灯不亮", "address_text": "霞客大道",
                               "external_id": ext}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/incidents", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "X-Api-Key": key})
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.status in (200, 201):
                        with lock:
                            acknowledged.append(ext)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                if stop.is_set():
                    return
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(3)
    os.killpg(proc.pid, signal.SIGKILL)  # master and workers, mid-request
    stop.set()
    for t in threads:
        t.join(timeout=10)
    proc.wait(timeout=10)
    assert len(acknowledged) > 20

    with sqlite3.connect(data_dir / "shanzhi.sqlite3") as db:
        stored = {row[0] for row in db.execute("SELECT external_id FROM incidents_incident WHERE source = 'hotline' "
                                               "AND external_id LIKE 'kill-%'")}
        orphans = db.execute("SELECT count(*) FROM incidents_incident i WHERE external_id LIKE 'kill-%' AND NOT "
                             "EXISTS (SELECT 1 FROM incidents_incidentstep s WHERE s.incident_id = i.id)").fetchone()[0]
    assert set(acknowledged) <= stored
    assert orphans == 0  # nothing half-stored

    # The restarted server answers a retry of an acknowledged order without duplicating it.
    proc = _start(env, port)
    try:
        ext = acknowledged[-1]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/incidents", method="POST",
                                     data=json.dumps({"source": "hotline", "description": "重试", "address_text": "x",
                                                      "external_id": ext}).encode(),
                                     headers={"Content-Type": "application/json", "X-Api-Key": key})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
