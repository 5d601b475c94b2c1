//! Helpers shared by the live tests.
//!
//! - [`Proc`]: a spawned process that is killed and reaped when dropped,
//!   together with its process group or the descendants it was given;
//!   [`Reaper`]: any number of them, killed and reaped together;
//!   [`sleep_command`]: the long `sleep` they usually run;
//! - ready-made fixtures, each returned only once it is in its final state
//!   (exec'd, renamed, a zombie…): [`sleeper`], [`family`] (a shell and its
//!   background children, optionally in a process group of their own),
//!   [`pty_session`] (processes on a fresh pseudo-terminal),
//!   [`high_pty_session`] (on `/dev/pts/256` or above), [`zombie`],
//!   [`forged_name`] (a command name that looks like `stat` fields) and
//!   [`with_uids`] (real uid ≠ effective uid, root only);
//! - waiting: [`wait_until`] polls a condition with short sleeps and a
//!   generous timeout, so that no test depends on timing; [`wait_exec`] and
//!   [`wait_children`] build on it ([`wait_until_within`] and
//!   [`wait_exec_within`] take the timeout as an argument);
//! - the oracle: [`ps`] (`ps -eo pid,ppid,pgid,tty,uid,ruid,stat`),
//!   [`ps_start_keys`] (processes identified by pid and start time, to
//!   tell processes that were alive for a whole query) and
//!   [`ps_thread_ids`] (`ps -eLo pid,lwp`); direct reads of `/proc`:
//!   [`comm`], [`state`], [`status_uids`], [`is_process_now`],
//!   [`this_thread_id`], [`pid_max`];
//! - [`is_root`], [`have`] and [`skip`] for tests that need privileges or
//!   tools the machine may not have, and [`root_or_skip`] and
//!   [`tools_or_skip`] combining them; [`euid`] and [`which`].
//!
//! Use it from a test file with `mod common;`. Each test binary uses a
//! different part of it, hence the module-wide `allow(dead_code)`.
//!
//! Nothing here uses the crate under test to find or describe processes:
//! the answers it gives come from `ps` and from reading `/proc` directly.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pidquery::Pid;

/// How long [`wait_until`] waits before failing the test. Generous: the
/// machine may be busy building.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// How long spawned `sleep`s last if nothing kills them: far longer than
/// any test, even on a machine loaded with thousands of processes, yet a
/// bound should a test binary die without running destructors.
const SLEEP_SECS: &str = "900";

/// A pid from a raw value the kernel or `ps` gave us.
pub fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).expect("a pid from the kernel is non-negative")
}

/// The set of pids in `pids`, for order-free comparisons.
pub fn set<I: IntoIterator<Item = Pid>>(pids: I) -> BTreeSet<Pid> {
    pids.into_iter().collect()
}

/// `/proc/sys/kernel/pid_max`: every pid is below it, so no answer holds
/// more pids than this, however many processes are being born.
pub fn pid_max() -> usize {
    std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .expect("read /proc/sys/kernel/pid_max")
        .trim()
        .parse()
        .expect("pid_max is a number")
}

/// This process's effective uid: the owner of `/proc/self`.
pub fn euid() -> std::io::Result<u32> {
    std::fs::metadata("/proc/self").map(|m| m.uid())
}

/// Whether this process runs with effective uid 0.
pub fn is_root() -> bool {
    matches!(euid(), Ok(0))
}

/// Where `program` is on `PATH`, if it is.
fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether `program` can be found on `PATH`.
pub fn have(program: &str) -> bool {
    find_on_path(program).is_some()
}

/// The full path of `program` on `PATH`; fails the test if it is not there.
pub fn which(program: &str) -> PathBuf {
    find_on_path(program).unwrap_or_else(|| panic!("`{program}` is not on PATH"))
}

/// Prints why a test is skipped. The caller returns right after.
pub fn skip(test: &str, reason: &str) {
    eprintln!("{test}: skipped: {reason}");
}

/// True when running as root; otherwise prints why `test` is skipped.
pub fn root_or_skip(test: &str) -> bool {
    match euid() {
        Ok(0) => true,
        Ok(uid) => {
            skip(test, &format!("needs root (euid is {uid})"));
            false
        }
        Err(e) => {
            skip(test, &format!("cannot stat /proc/self: {e}"));
            false
        }
    }
}

/// True when every program in `tools` is on `PATH`; otherwise prints why
/// `test` is skipped.
pub fn tools_or_skip(test: &str, tools: &[&str]) -> bool {
    match tools.iter().find(|tool| !have(tool)) {
        Some(tool) => {
            skip(test, &format!("`{tool}` is not installed"));
            false
        }
        None => true,
    }
}

/// Polls `probe` every few milliseconds until it returns `Some`, and
/// returns that value; fails the test after [`TIMEOUT`], naming `what`.
pub fn wait_until<T>(what: &str, probe: impl FnMut() -> Option<T>) -> T {
    wait_until_within(what, TIMEOUT, probe)
}

/// As [`wait_until`], failing the test after `limit` instead.
pub fn wait_until_within<T>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// `/proc/<pid>/comm` without its trailing newline, read directly.
pub fn comm(pid: Pid) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(format!("/proc/{pid}/comm")).ok()?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Some(bytes)
}

/// The state letter of `pid` (`R`, `S`, `Z`, …) from `/proc/<pid>/stat`,
/// read after the last `)`.
pub fn state(pid: Pid) -> Option<u8> {
    let bytes = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = bytes.iter().rposition(|&b| b == b')')?;
    bytes.get(close + 2).copied()
}

/// The real, effective, saved and fs uids of `pid` from the `Uid:` line of
/// `/proc/<pid>/status`.
/// `None` if it is gone.
pub fn status_uids(pid: Pid) -> Option<[u32; 4]> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    let mut ids = line.split_whitespace().map(|f| f.parse::<u32>().ok());
    Some([ids.next()??, ids.next()??, ids.next()??, ids.next()??])
}

/// Waits until `pid` runs `program` (its `comm` says so), i.e. it has
/// exec'd and is no longer a copy of its parent: credentials and `comm`
/// are final only then.
pub fn wait_exec(pid: Pid, program: &str) {
    wait_exec_within(pid, program, TIMEOUT);
}

/// As [`wait_exec`], failing the test after `limit` instead of [`TIMEOUT`].
pub fn wait_exec_within(pid: Pid, program: &str, limit: Duration) {
    wait_until_within(&format!("pid {pid} to run {program}"), limit, || {
        (comm(pid)? == program.as_bytes()).then_some(())
    });
}

/// The id of the calling thread, from `/proc/thread-self`
/// (`<pid>/task/<tid>`).
pub fn this_thread_id() -> Pid {
    let link = std::fs::read_link("/proc/thread-self").expect("readlink /proc/thread-self");
    let tid = link
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .expect("/proc/thread-self ends with a thread id");
    pid(tid)
}

/// A process this test spawned. Dropping it kills it (and the process
/// group or helpers it was given), then reaps it.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    /// A process group to kill as a whole on drop.
    group: Option<Pid>,
    /// Descendants to kill by pid on drop, before this process is reaped.
    descendants: Vec<Pid>,
}

impl Proc {
    /// Spawns `cmd` (standard streams inherited unless the caller set
    /// them; see [`quiet`]).
    pub fn spawn(cmd: &mut Command) -> Proc {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
        Proc {
            child,
            group: None,
            descendants: Vec::new(),
        }
    }

    /// Takes the child's piped standard output, if it was piped.
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// The process's pid.
    pub fn pid(&self) -> Pid {
        Pid::from(&self.child)
    }

    /// Also kill process group `pgid` when this is dropped.
    pub fn kill_group_on_drop(mut self, pgid: Pid) -> Proc {
        self.group = Some(pgid);
        self
    }

    /// Also kill `pids`, descendants of this process, when this is dropped.
    /// They are killed while this process is still unreaped, so if they
    /// are its children their pids cannot have been reused.
    pub fn kill_descendants_on_drop(mut self, pids: &[Pid]) -> Proc {
        self.descendants.extend_from_slice(pids);
        self
    }

    /// Kills the process (and its group) and reaps it.
    pub fn kill_and_reap(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if let Some(pgid) = self.group.take() {
            // The group's members are our descendants; `kill` may find
            // some already gone, which is fine.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stderr(Stdio::null())
                .status();
        }
        let descendants = std::mem::take(&mut self.descendants);
        if !descendants.is_empty() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(descendants.iter().map(Pid::to_string))
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Puts the standard streams of `cmd` on `/dev/null`.
pub fn quiet(cmd: &mut Command) -> &mut Command {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
}

/// Children that are killed (SIGKILL) and reaped together when the
/// reaper drops, also when a test panics. Each is a [`Proc`] without a
/// group or descendants to kill, so every child must be one that leaves no
/// grandchildren behind (a `sleep`, a `python3`, a re-executed test), since
/// the machine's pid 1 may not reap orphans.
#[derive(Debug, Default)]
pub struct Reaper {
    procs: Vec<Proc>,
}

impl Reaper {
    /// An empty reaper.
    pub fn new() -> Reaper {
        Reaper::default()
    }

    /// Spawns `cmd` with its standard streams on `/dev/null`, keeps it and
    /// returns its pid.
    pub fn spawn(&mut self, cmd: &mut Command) -> Pid {
        let proc = Proc::spawn(quiet(cmd));
        let pid = proc.pid();
        self.procs.push(proc);
        pid
    }

    /// The pids of the children, in the order they were spawned.
    pub fn pids(&self) -> Vec<Pid> {
        self.procs.iter().map(Proc::pid).collect()
    }

    /// Kills every child, then reaps them all (so that they die in
    /// parallel rather than one by one).
    pub fn reap(&mut self) {
        for proc in &mut self.procs {
            let _ = proc.child.kill();
        }
        // Dropping each `Proc` reaps it.
        self.procs.clear();
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        self.reap();
    }
}

/// `sleep` for [`SLEEP_SECS`] seconds, not yet spawned: long enough
/// for any test, and killed by the [`Proc`] or [`Reaper`] that spawns it.
pub fn sleep_command() -> Command {
    let mut cmd = Command::new("sleep");
    cmd.arg(SLEEP_SECS);
    cmd
}

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
    let stdout = holder.child.stdout.take().expect("piped stdout");
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

/// One line of `ps -eo pid,ppid,pgid,tty,uid,ruid,stat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsRow {
    /// Process id.
    pub pid: Pid,
    /// Parent process id.
    pub ppid: Pid,
    /// Process group id.
    pub pgid: Pid,
    /// Controlling terminal as ps names it (`pts/3`), `?` for none.
    pub tty: String,
    /// Effective uid.
    pub uid: u32,
    /// Real uid.
    pub ruid: u32,
    /// State and flags (`S`, `Z+`, …).
    pub stat: String,
}

fn run_ps(args: &[&str]) -> String {
    let out = Command::new("ps")
        .args(args)
        .env("LC_ALL", "C")
        .env_remove("PS_PERSONALITY")
        .env_remove("PS_FORMAT")
        .stdin(Stdio::null())
        .output()
        .expect("ps runs");
    assert!(out.status.success(), "ps {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).expect("ps prints UTF-8 in the C locale")
}

/// The oracle: every process `ps -eo pid,ppid,pgid,tty,uid,ruid,stat`
/// lists, by pid.
///
/// A process caught in its final release shows a parent of 0 and a group
/// of -1; such rows are left out (no test asserts on a dying process).
/// Ordered by pid, like the crate's answers.
pub fn ps() -> BTreeMap<Pid, PsRow> {
    ps_with_start()
        .into_iter()
        .map(|(p, (row, _))| (p, row))
        .collect()
}

/// As [`ps`], with each process's start time (`lstart`): a process with
/// the same row and start time in two calls was, in all likelihood, alive
/// and unchanged in between.
pub fn ps_with_start() -> HashMap<Pid, (PsRow, String)> {
    run_ps(&["-eo", "pid=,ppid=,pgid=,tty=,uid=,ruid=,stat=,lstart="])
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert!(f.len() > 7, "unexpected ps line {line:?}");
            let num = |i: usize| -> i64 {
                f[i].parse()
                    .unwrap_or_else(|_| panic!("ps printed {line:?}"))
            };
            let id = |i: usize| Pid::from_raw(i32::try_from(num(i)).ok()?);
            let row = PsRow {
                pid: id(0)?,
                ppid: id(1)?,
                // Kernel threads have group 0.
                pgid: id(2)?,
                tty: f[3].to_string(),
                uid: u32::try_from(num(4)).ok()?,
                ruid: u32::try_from(num(5)).ok()?,
                stat: f[6].to_string(),
            };
            Some((row.pid, (row, f[7..].join(" "))))
        })
        .collect()
}

/// Every process `ps` lists, as (pid, start time): a pid that shows up with
/// the same start time in two calls was the same process throughout.
pub fn ps_start_keys() -> HashSet<(Pid, String)> {
    run_ps(&["-eo", "pid=,lstart="])
        .lines()
        .map(|line| {
            let line = line.trim_start();
            let (p, start) = line.split_once(' ').expect("pid then start time");
            (
                pid(p.parse().expect("ps prints pids")),
                start.trim().to_string(),
            )
        })
        .collect()
}

/// The ids of every thread that is not its process's main thread, as
/// `ps -eLo pid,lwp` lists them.
pub fn ps_thread_ids() -> HashSet<Pid> {
    run_ps(&["-eLo", "pid=,lwp="])
        .lines()
        .filter_map(|line| {
            let mut f = line
                .split_whitespace()
                .map(|f| f.parse::<i32>().expect("ps prints ids"));
            let (p, lwp) = (f.next()?, f.next()?);
            (p != lwp).then(|| pid(lwp))
        })
        .collect()
}

/// Whether `pid` names a process (not a thread) right now: its `Tgid:`
/// equals itself. `None` when it does not exist.
pub fn is_process_now(pid: Pid) -> Option<bool> {
    let mut text = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    let tgid: i32 = text
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()?;
    Some(tgid == pid.as_raw())
}
