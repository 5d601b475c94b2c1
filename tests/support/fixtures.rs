//! Processes these tests start, each returned only once it is in its final
//! state (exec'd, renamed, a zombie…).

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pidquery::Pid;

use super::env::{have, pid, set};
use super::process::{quiet, sleep_command, Proc, SLEEP_SECS};
use super::procfs::{comm, state, status_uids, wait_exec};
use super::ps::ps;
use super::wait::wait_until;

/// A `sleep` child of this process, running (exec'd) when returned.
pub fn sleeper() -> Proc {
    let proc = Proc::spawn(quiet(&mut sleep_command()));
    wait_exec(proc.pid(), "sleep");
    proc
}

/// A shell that starts `background` sleeps and then becomes a sleep itself
/// (`sh -c 'sleep & … & exec sleep'`), so every member ends up a `sleep`.
#[derive(Debug)]
pub struct Family {
    /// The shell, now a `sleep`: our child.
    pub leader: Proc,
    /// The background sleeps: children of the leader.
    pub children: Vec<Pid>,
}

impl Family {
    /// The leader and its children.
    pub fn members(&self) -> BTreeSet<Pid> {
        let mut all = set(self.children.iter().copied());
        all.insert(self.leader.pid());
        all
    }
}

/// Spawns a [`Family`] with `background` children; in a process group of
/// its own (led by the leader) when `own_group` is set. Returns once every
/// member runs `sleep`.
pub fn family(background: usize, own_group: bool) -> Family {
    let script = format!(
        "{}exec sleep {SLEEP_SECS}",
        format!("sleep {SLEEP_SECS} & ").repeat(background)
    );
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", &script]);
    if own_group {
        cmd.process_group(0);
    }
    let mut leader = Proc::spawn(quiet(&mut cmd));
    let pid = leader.pid();
    if own_group {
        leader = leader.kill_group_on_drop(pid);
    }
    wait_exec(pid, "sleep");
    let children = wait_children(pid, background, "sleep");
    let leader = leader.kill_descendants_on_drop(&children);
    Family { leader, children }
}

/// Waits until `parent` has exactly `count` children, all running
/// `program`, as `ps` sees them; returns them.
pub fn wait_children(parent: Pid, count: usize, program: &str) -> Vec<Pid> {
    wait_until(&format!("{count} {program} children of {parent}"), || {
        let kids: Vec<Pid> = ps()
            .values()
            .filter(|row| row.ppid == parent)
            .map(|row| row.pid)
            .collect();
        let ready = kids.len() == count
            && kids
                .iter()
                .all(|&k| comm(k).is_some_and(|c| c == program.as_bytes()));
        ready.then_some(kids)
    })
}

/// Processes on a fresh pseudo-terminal: `script` (our child, holding the
/// master side) runs `sh -c 'sleep & exec sleep'` on the slave side, in a
/// new session whose controlling terminal is the pty.
#[derive(Debug)]
pub struct PtySession {
    /// The process holding the master side (`script`); not on the pty.
    pub script: Proc,
    /// The pty's slave device, e.g. `/dev/pts/3`.
    pub tty: PathBuf,
    /// `ps`'s name for it, e.g. `pts/3`.
    pub ps_name: String,
    /// The processes whose controlling terminal is the pty.
    pub members: BTreeSet<Pid>,
}

/// Starts a [`PtySession`]; `None` when `script` is not installed.
pub fn pty_session() -> Option<PtySession> {
    if !have("script") {
        return None;
    }
    let mut cmd = Command::new("script");
    cmd.args([
        "-qc",
        &format!("sleep {SLEEP_SECS} & exec sleep {SLEEP_SECS}"),
        "/dev/null",
    ])
    .env("SHELL", "/bin/sh");
    let script = Proc::spawn(quiet(&mut cmd));
    let session = wait_children(script.pid(), 1, "sleep")[0];
    // The session leader leads its own group: kill the group on drop.
    let script = script.kill_group_on_drop(session);
    let grandchild = wait_children(session, 1, "sleep")[0];
    let tty = std::fs::read_link(format!("/proc/{session}/fd/0"))
        .expect("readlink of the session's stdin");
    let ps_name = wait_until("ps to show the session's terminal", || {
        let table = ps();
        let name = table.get(&session)?.tty.clone();
        (name != "?" && table.get(&grandchild)?.tty == name).then_some(name)
    });
    assert_eq!(
        Path::new("/dev").join(&ps_name),
        tty,
        "ps and /proc/{session}/fd/0 disagree on the terminal"
    );
    Some(PtySession {
        script,
        tty,
        ps_name,
        members: set([session, grandchild]),
    })
}

/// Opens ptys until one is numbered 256 or more (keeping the lower ones
/// taken), then forks a `sleep` in a new session with that pty as its
/// controlling terminal; prints the pty's path and the sleep's pid.
const HIGH_PTY_PY: &str = r#"
import os, sys
held = []
while True:
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.close(slave)
    held.append(master)
    if int(name.rsplit("/", 1)[1]) >= 256:
        break
pid = os.fork()
if pid == 0:
    os.setsid()
    fd = os.open(name, os.O_RDWR)  # a session leader's first tty: its ctty
    for std in (0, 1, 2):
        os.dup2(fd, std)
    os.execvp("sleep", ["sleep", sys.argv[1]])
print(name, pid, flush=True)
sys.stdin.read()
"#;

/// A [`PtySession`] on a pty numbered 256 or more (`/dev/pts/256` …),
/// whose device number does not fit the old 8-bit minor encoding. `None`
/// when `python3` is not installed.
pub fn high_pty_session() -> Option<PtySession> {
    use std::io::BufRead;
    if !have("python3") {
        return None;
    }
    let mut cmd = Command::new("python3");
    cmd.args(["-c", HIGH_PTY_PY, SLEEP_SECS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut holder = Proc::spawn(&mut cmd);
    let mut line = String::new();
    let stdout = holder.take_stdout().expect("piped stdout");
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the pty's name");
    let (tty, sleep) = line
        .trim()
        .split_once(' ')
        .unwrap_or_else(|| panic!("unexpected output {line:?}"));
    let sleep = pid(sleep.parse().expect("a pid"));
    let holder = holder.kill_group_on_drop(sleep);
    wait_exec(sleep, "sleep");
    let tty = PathBuf::from(tty);
    let ps_name = tty
        .strip_prefix("/dev")
        .expect("a /dev path")
        .to_str()
        .expect("UTF-8")
        .to_string();
    wait_until("ps to show the high pty", || {
        (ps().get(&sleep)?.tty == ps_name).then_some(())
    });
    Some(PtySession {
        script: holder,
        tty,
        ps_name,
        members: set([sleep]),
    })
}

/// A child that has exited and is not reaped: a zombie until dropped.
/// In a process group of its own when `own_group` is set.
pub fn zombie(own_group: bool) -> Proc {
    let mut cmd = Command::new("true");
    if own_group {
        cmd.process_group(0);
    }
    let proc = Proc::spawn(quiet(&mut cmd));
    let pid = proc.pid();
    wait_until(&format!("pid {pid} to be a zombie"), || {
        (state(pid)? == b'Z').then_some(())
    });
    proc
}

/// The forged command name: it reads like the fields after the name in
/// `/proc/<pid>/stat`, claiming state S, parent 1, group 77, session 5.
pub const FORGED_NAME: &[u8] = b") S 1 77 5\n";

/// A shell that renamed itself to [`FORGED_NAME`] (by writing its own
/// `/proc/self/comm`, which is what `prctl(PR_SET_NAME)` does) and then
/// blocks reading its stdin, without children.
pub fn forged_name() -> Proc {
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", r#"printf ') S 1 77 5\n' > /proc/$$/comm && read _"#])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let proc = Proc::spawn(&mut cmd);
    let pid = proc.pid();
    wait_until(&format!("pid {pid} to rename itself"), || {
        (comm(pid)? == FORGED_NAME).then_some(())
    });
    proc
}

/// A `sleep` with real uid `ruid` and effective uid `euid`, via `setpriv`
/// (root only). Changing the effective uid also makes it non-dumpable, as a
/// setuid program is: the files inside `/proc/<pid>` then belong to root.
pub fn with_uids(ruid: u32, euid: u32) -> Proc {
    let proc = Proc::spawn(quiet(Command::new("setpriv").args([
        &format!("--ruid={ruid}"),
        &format!("--euid={euid}"),
        "--",
        "sleep",
        SLEEP_SECS,
    ])));
    let pid = proc.pid();
    wait_until(&format!("pid {pid} to run sleep as {ruid}/{euid}"), || {
        let [r, e, _, _] = status_uids(pid)?;
        (r == ruid && e == euid && comm(pid)? == b"sleep").then_some(())
    });
    proc
}

/// A `sleep` traced by `strace` (its tracer): the tracee, a child of
/// `strace`, is returned with the guard of `strace`; `None` when `strace`
/// is not installed. Dropping the guard kills both.
pub fn traced() -> Option<(Proc, Pid)> {
    if !have("strace") {
        return None;
    }
    let mut cmd = Command::new("strace");
    cmd.args(["-o", "/dev/null", "sleep", SLEEP_SECS])
        .process_group(0);
    let strace = Proc::spawn(quiet(&mut cmd));
    let group = strace.pid();
    let strace = strace.kill_group_on_drop(group);
    let tracee = wait_children(strace.pid(), 1, "sleep")[0];
    wait_until(&format!("pid {tracee} to be traced"), || {
        (tracer_pid(tracee)? != 0).then_some(())
    });
    Some((strace, tracee))
}

/// `TracerPid:` of `pid`, read directly.
pub fn tracer_pid(pid: Pid) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))?
        .trim()
        .parse()
        .ok()
}

/// A `python3` with `extra` threads besides its main one, each sleeping,
/// and with `extra` pipes, a socket pair, an epoll and an eventfd open;
/// `None` when `python3` is not installed.
pub fn threaded(extra: usize) -> Option<Proc> {
    if !have("python3") {
        return None;
    }
    let script = format!(
        "import os, select, socket, threading, time\n\
         keep = [os.pipe() for _ in range({extra})]\n\
         keep.append(socket.socketpair())\n\
         keep.append(select.epoll())\n\
         keep.append(os.eventfd(0))\n\
         for _ in range({extra}):\n    threading.Thread(target=time.sleep, args=({SLEEP_SECS},), daemon=True).start()\n\
         time.sleep({SLEEP_SECS})\n"
    );
    let proc = Proc::spawn(quiet(Command::new("python3").args(["-c", &script])));
    let pid = proc.pid();
    wait_until(&format!("pid {pid} to run {} threads", extra + 1), || {
        let n = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.count();
        (n == extra + 1).then_some(())
    });
    Some(proc)
}

/// A copy of `sleep` run from a temporary directory and then deleted
/// (its `/proc/<pid>/exe` reads `<path> (deleted)`), with the path it had.
pub fn deleted_exe() -> (Proc, PathBuf) {
    let dir = std::env::temp_dir().join(format!("pidquery-deleted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    let path = dir.join("pqdelsleep");
    std::fs::copy(super::env::which("sleep"), &path).expect("copy sleep");
    let proc = Proc::spawn_written(quiet(Command::new(&path).arg(SLEEP_SECS)));
    wait_exec(proc.pid(), "pqdelsleep");
    std::fs::remove_file(&path).expect("delete the copy");
    let _ = std::fs::remove_dir(&dir);
    (proc, path)
}

/// A copy of `sleep` under a directory path of about `len` bytes, running.
pub fn long_path_exe(len: usize) -> (Proc, PathBuf) {
    let mut dir = std::env::temp_dir().join(format!("pidquery-long-{}", std::process::id()));
    while dir.as_os_str().len() < len {
        dir.push("d".repeat(200));
    }
    std::fs::create_dir_all(&dir).expect("create a deep directory");
    let path = dir.join("pqlongsleep");
    std::fs::copy(super::env::which("sleep"), &path).expect("copy sleep");
    let proc = Proc::spawn_written(quiet(Command::new(&path).arg(SLEEP_SECS)));
    wait_exec(proc.pid(), "pqlongsleep");
    (proc, path)
}
