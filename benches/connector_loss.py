#!/usr/bin/env python3
"""What the Linux proc connector delivers to a watcher that is busy: the
measurement behind `Watch` polling instead (see BENCHMARKS.md, *Watching*).

Usage: python3 benches/connector_loss.py [FORKS] [RCVBUF]

Subscribes to the proc connector (NETLINK_CONNECTOR, CN_IDX_PROC), then,
without reading, runs a shell that forks FORKS short-lived `true`s (default
5,000), and only then drains the socket: it counts the FORK and EXIT events
of the shell's children it got, against the FORKS of each that happened,
and whether the kernel reported an overrun (ENOBUFS). RCVBUF (bytes,
default: the system's) sets SO_RCVBUF first. A watcher that polls a full
list loses nothing by being late; a connector listener that is late loses
events and must rescan.

With `--namespace` it runs itself again in a new user and pid namespace
(`unshare -Urpf`), where the subscription is silently ignored: no event
arrives at all.

Not part of the build; Linux only; needs Python 3.
"""

import errno
import os
import select
import socket
import struct
import subprocess
import sys
import time

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
NLMSG_DONE = 3
PROC_EVENT_FORK = 0x1
PROC_EVENT_EXIT = 0x80000000


def subscribe(rcvbuf):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((os.getpid(), CN_IDX_PROC))
    op = struct.pack("=I", PROC_CN_MCAST_LISTEN)
    cn = struct.pack("=IIIIHH", CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(op), 0) + op
    s.send(struct.pack("=IHHII", 16 + len(cn), NLMSG_DONE, 0, 0, os.getpid()) + cn)
    return s


def events(data):
    """(what, parent tgid, child tgid) of the proc events in one datagram."""
    at = 0
    while at + 16 <= len(data):
        length, _type, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, at)
        if length < 16:
            return
        cn = at + 16
        body = cn + 20
        if body + 16 <= at + length:
            what, _cpu, _ts = struct.unpack_from("=IIQ", data, body)
            ev = body + 16
            if what == PROC_EVENT_FORK:
                _ppid, ptgid, _cpid, ctgid = struct.unpack_from("=iiii", data, ev)
                yield what, ptgid, ctgid
            elif what == PROC_EVENT_EXIT:
                _pid, tgid, _code, _sig, _ppid, ptgid = struct.unpack_from("=iiIIii", data, ev)
                yield what, ptgid, tgid
        at += (length + 3) & ~3


def drain(s, storm):
    forks = exits = overruns = other = 0
    s.setblocking(False)
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 1.0:
        try:
            data = s.recv(65536)
        except BlockingIOError:
            select.select([s], [], [], 0.05)
            continue
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                overruns += 1
                continue
            raise
        idle_since = time.monotonic()
        for what, parent, child in events(data):
            if what == PROC_EVENT_FORK and parent == storm:
                forks += 1
            elif what == PROC_EVENT_EXIT and parent == storm:
                exits += 1
            else:
                other += 1
    return forks, exits, overruns, other


def main():
    if "--namespace" in sys.argv:
        args = [a for a in sys.argv[1:] if a != "--namespace"]
        os.execvp("unshare", ["unshare", "-Urpf", "--mount-proc", sys.executable, __file__] + args)
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    n = int(args[0]) if args else 5000
    rcvbuf = int(args[1]) if len(args) > 1 else 0
    s = subscribe(rcvbuf)
    size = s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    start = time.monotonic()
    storm = subprocess.Popen(["sh", "-c", f'i=0; while [ "$i" -lt {n} ]; do true & i=$((i+1)); done; wait'])
    storm.wait()
    took = time.monotonic() - start
    forks, exits, overruns, other = drain(s, storm.pid)
    print(
        f"pid {os.getpid()} (ns {os.readlink('/proc/self/ns/pid')}), SO_RCVBUF {size} B: "
        f"{n} forks in {took:.2f} s; received {forks} fork and {exits} exit events of them "
        f"({100 * forks / n:.1f}% / {100 * exits / n:.1f}%), {overruns} ENOBUFS, {other} other events"
    )


if __name__ == "__main__":
    main()
