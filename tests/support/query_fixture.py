# The processes the query tests and pidgrep's differential tests ask about.
#
# Run as root: `python3 query_fixture.py DIR`. It becomes a child
# subreaper and the leader of a new session whose controlling terminal is
# a fresh pty, starts the processes below (copies of `sleep` under chosen
# names in DIR), waits until the stopped one is stopped and the zombie is a
# zombie, prints one `name pid` line per process and `ready`, and then
# reaps. When its standard input closes it kills every process it started
# (and their children), reaps them all, removes the cgroup it made, and
# exits: nothing is left to a pid 1 that may not reap.
#
# Two processes depend on the machine, and a `skip KEY reason` line says
# why one is missing: `netns`, in a new network and UTS namespace
# (unshare), and `cgrouped`, moved into a new cgroup v2 directory (made
# under the cgroup2 mount when there is a writable one; its path as
# /proc/<pid>/cgroup shows it is printed as `cgroup_path`).
import ctypes
import os
import shutil
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
SLEEP = shutil.which("sleep")
d = sys.argv[1]
ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
os.setsid()
master, slave = os.openpty()
tty = os.ttyname(slave)
ctty = os.open(tty, os.O_RDWR)  # a session leader's first terminal: its ctty
names = ["alpha", "a_very_long_process_name", "Beta-Case", "gamma", "delta",
         "epsilon", "stopme", "zhost", "zchild", "loner", "foo.bar", "netns",
         "cgrouped"]
for n in names:
    shutil.copy(SLEEP, os.path.join(d, n))
started = {}


CLONE_NEWNET = 0x40000000
CLONE_NEWUTS = 0x04000000
libc = ctypes.CDLL(None, use_errno=True)


def spawn(key, argv, group=None, ids=None, session=False, stdio_tty=True,
          unshare=0):
    if unshare:
        report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            if unshare:
                os.close(report_r)
                if libc.unshare(unshare) != 0:
                    os.write(report_w, os.strerror(ctypes.get_errno()).encode())
                    os._exit(127)
                os.close(report_w)
            if session:
                os.setsid()
            elif group is not None:
                os.setpgid(0, group)
            if stdio_tty:
                os.dup2(ctty, 0)
            if ids:
                ruid, euid, rgid, egid = ids
                os.setgroups([])
                os.setresgid(rgid, egid, egid)
                os.setresuid(ruid, euid, 0 if ruid == 0 else euid)
            os.chdir(d)
            exe = argv[0].split(" ")[0]
            os.execv(exe if "/" in exe else os.path.join(d, exe), argv)
        except BaseException as e:
            print(key, e, file=sys.stderr)
        finally:
            os._exit(127)
    if unshare:
        os.close(report_w)
        why = os.read(report_r, 200).decode()
        os.close(report_r)
        if why:
            os.waitpid(pid, 0)
            print("skip", key, "unshare:", why)
            return None
    # Both sides set the group (the classic race: the next child may
    # join it before this one ran its own setpgid).
    if group is not None and not session:
        try:
            os.setpgid(pid, group or pid)
        except OSError:
            pass
    started[key] = pid
    return pid


a1 = spawn("alpha1", ["alpha", "1000"], group=0)
spawn("alpha2", ["alpha --flag x", "1001", "1s"], group=a1)
spawn("long", ["a_very_long_process_name LONG-ARG", "1000"], group=0)
spawn("beta", ["Beta-Case", "1000"], group=0)
spawn("user", ["alpha", "1002"], group=0, ids=(1000, 1000, 1000, 1000))
spawn("mixed", ["gamma", "1000"], group=0, ids=(1000, 65534, 1000, 65534))
spawn("groupy", ["gamma", "1001"], group=0, ids=(0, 0, 1000, 1000))
tree = spawn("tree", ["/bin/sh", "-c",
                      "./delta 1000 & sh -c './epsilon 1000 & ./delta 1002 & wait' & wait"],
             group=0)
stop = spawn("stopped", ["stopme", "1000"], group=0)
zh = spawn("zhost", ["/bin/sh", "-c", "./zchild 0 & exec ./zhost 1000"], group=0)
spawn("loner", ["loner foo.bar", "1000"], session=True, stdio_tty=False)
spawn("dots", ["foo.bar a+b [x]", "1000"], group=0)
spawn("netns", ["netns", "1000"], group=0, unshare=CLONE_NEWNET | CLONE_NEWUTS)


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if right.split()[0] == "cgroup2":
                return left.split()[4]
    return None


cgroup_dir = None
cg_mount = cgroup2_mount()
if cg_mount is None:
    print("skip cgrouped no cgroup2 mount")
else:
    try:
        cgroup_dir = os.path.join(cg_mount, f"pidquery-fixture-{os.getpid()}")
        os.mkdir(cgroup_dir)
        cg = spawn("cgrouped", ["cgrouped", "1000"], group=0)
        with open(os.path.join(cgroup_dir, "cgroup.procs"), "w") as f:
            f.write(str(cg))
        with open(f"/proc/{cg}/cgroup") as f:
            v2 = [l[3:].rstrip("\n") for l in f if l.startswith("0::")]
        print("cgroup_path", v2[0])
    except OSError as e:
        print("skip cgrouped", cgroup_dir, e)


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def children(pid):
    out = []
    for t in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{t}/children") as f:
            out += [int(x) for x in f.read().split()]
    return sorted(out)


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


deadline = time.time() + 30
while comm(stop) != "stopme" and time.time() < deadline:
    time.sleep(0.005)
os.kill(stop, signal.SIGSTOP)
while True:
    kids = children(tree)
    sub = [k for k in kids if comm(k) == "sh"]
    zkids = children(zh)
    # Every member of the tree exec'd (a forked child still reads "sh").
    ok = (state(stop) == "T" and len(kids) == 2 and len(sub) == 1
          and sorted(comm(k) for k in kids) == ["delta", "sh"]
          and sorted(comm(k) for k in children(sub[0])) == ["delta", "epsilon"]
          and comm(zh) == "zhost" and zkids and state(zkids[0]) == "Z"
          and all(comm(p) != "python3" for p in started.values()))
    if ok:
        break
    if time.time() > deadline:
        print("fixture did not settle", file=sys.stderr)
        break
    time.sleep(0.01)
for k in (kids if ok else []):
    started["tree/" + comm(k) + ("2" if k == sub[0] else "")] = k
for k in (children(sub[0]) if ok else []):
    started["tree/sh/" + comm(k)] = k
if ok:
    started["zchild"] = zkids[0]
print("leader", os.getpid())
print("tty", tty)
for key, pid in started.items():
    print(key, pid)
print("ready" if ok else "failed", flush=True)
if ok:
    sys.stdin.read()
# Tear down: kill everything below, reap until nothing is left.
me = os.getpid()
for _ in range(1000):
    left = []
    for e in os.listdir("/proc"):
        if not e.isdigit() or int(e) == me:
            continue
        p = int(e)
        try:
            with open(f"/proc/{p}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == me:
            left.append(p)
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    if not left:
        break
    time.sleep(0.005)
for _ in range(200):
    try:
        if cgroup_dir:
            os.rmdir(cgroup_dir)
        break
    except FileNotFoundError:
        break
    except OSError:
        time.sleep(0.01)
