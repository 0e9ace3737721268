"""CPU seconds used by the processes under test, read from /proc: a figure the neighbours on a shared
machine cannot bend (they slow a run down, but do not add to what the server spends per request)."""

from __future__ import annotations

import os

TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds so far) of every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    text = stat.read()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2:].split()
            table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    return table


def process_tree(root: int) -> float:
    """CPU seconds used so far by `root` and its live descendants (a server's master and workers)."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += table.get(pid, (0, 0.0))[1]
        todo.extend(children.get(pid, []))
    return total


def postgres_backends(database: str) -> float:
    """CPU seconds used so far by the live PostgreSQL backends connected to `database` (their process
    title names it), so other databases on the same server do not count."""
    total = 0.0
    for pid, (_, seconds) in _processes().items():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            total += seconds
    return total
