"""What the benchmark ran on, printed with every result."""

import os
import platform


def describe(db: str = "") -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f", {int(fh.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    extra = f", database: {db}" if db else ""
    return f"machine: {platform.node()} · {os.cpu_count()} cores · {cpu}{mem} · Python {platform.python_version()}{extra}"
