"""Answers the combined questions of `cargo bench --bench select` with
psutil, the way its users write them, one question per line on standard
input, the matching pids on one line of standard output (see
benches/support/combined.rs, which starts this script and times the round
trip).

    name_uid      NAME UID      process_iter(["name", "username"]), filtered
    name_cmdline  NAME PATTERN  process_iter(["name", "cmdline"]), filtered
    cmdline       PATTERN       process_iter(["cmdline"]), filtered
    parent_name   PID NAME      Process(PID).children(), filtered by name()
    version                     psutil.__version__

psutil's `username` is the name of the *real* uid (pidquery's `euid` and
the others compare the effective one): the same for the processes asked
about.
"""

import pwd
import sys

try:
    import psutil
except ImportError:
    print("no psutil", flush=True)
    sys.exit(3)


def answer(words):
    kind = words[0]
    if kind == "name_uid":
        name, user = words[1], pwd.getpwuid(int(words[2])).pw_name
        return [
            p.pid
            for p in psutil.process_iter(["name", "username"])
            if p.info["name"] == name and p.info["username"] == user
        ]
    if kind == "name_cmdline":
        name, pattern = words[1], words[2]
        return [
            p.pid
            for p in psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == name and pattern in " ".join(p.info["cmdline"] or [])
        ]
    if kind == "cmdline":
        pattern = words[1]
        return [
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if pattern in " ".join(p.info["cmdline"] or [])
        ]
    if kind == "parent_name":
        parent, name = int(words[1]), words[2]
        kids = []
        for p in psutil.Process(parent).children():
            try:
                if p.name() == name:
                    kids.append(p.pid)
            except psutil.NoSuchProcess:
                pass
        return kids
    raise ValueError(f"unknown question {kind!r}")


def main():
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.rstrip("\n").split("\t")
        if words[0] == "version":
            print(psutil.__version__, flush=True)
            continue
        print(" ".join(map(str, answer(words))), flush=True)


if __name__ == "__main__":
    main()
