//! The one process guard: a spawned process that is killed and reaped when
//! dropped, also when a test panics.

use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use pidquery::Pid;

use super::procfs::children;

/// How long spawned `sleep`s last if nothing kills them: far longer than
/// any test, even on a machine loaded with thousands of processes, yet a
/// bound should a test binary die without running destructors.
pub const SLEEP_SECS: &str = "900";

/// A process this test spawned. Dropping it kills it (and the process
/// group or helpers it was given), then reaps it.
///
/// A process that reaps children of its own (a shell that `wait`s,
/// `unshare`, a `python3` holding ptys) can instead be ended by
/// [`reaps_its_children`](Proc::reaps_its_children): its children are
/// killed until it exits by itself, having reaped them, so that no orphan
/// is left for a pid 1 that may not reap.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    /// A process group to kill as a whole on drop.
    group: Option<Pid>,
    /// Descendants to kill by pid on drop, before this process is reaped.
    descendants: Vec<Pid>,
    /// Kill the children and wait for this process to exit by itself.
    reaps_its_children: bool,
}

/// How long a process that [reaps its children](Proc::reaps_its_children)
/// is given to exit once they are killed, before it is killed too.
const REAP_LIMIT: Duration = Duration::from_secs(60);

impl Proc {
    /// Spawns `cmd` (standard streams inherited unless the caller set
    /// them; see [`quiet`]).
    pub fn spawn(cmd: &mut Command) -> Proc {
        let child = cmd.spawn();
        Proc::adopt(cmd, child)
    }

    /// The guard of `spawned`, the result of spawning `cmd`.
    fn adopt(cmd: &Command, spawned: std::io::Result<Child>) -> Proc {
        let child = spawned.unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
        Proc {
            child,
            group: None,
            descendants: Vec::new(),
            reaps_its_children: false,
        }
    }

    /// Spawns `cmd`, whose program file was just written. Until a child
    /// that another test thread forked meanwhile execs, it holds that file
    /// open for writing too, and exec fails with `ETXTBSY`: tried again,
    /// for a few seconds at most.
    pub fn spawn_written(cmd: &mut Command) -> Proc {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match cmd.spawn() {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                spawned => return Proc::adopt(cmd, spawned),
            }
        }
    }

    /// Takes the child's piped standard output, if it was piped.
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
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

    /// On drop, kill this process's children (read from its `children`
    /// file) until it exits by itself, reaping them; only after
    /// [`REAP_LIMIT`] is it killed. For a process that waits for its
    /// children, or a pid namespace's `unshare`, whose child is the
    /// namespace's init.
    pub fn reaps_its_children(mut self) -> Proc {
        self.reaps_its_children = true;
        self
    }

    /// Whether the process has exited (it is then reaped).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills the process (and its group) and reaps it.
    pub fn kill_and_reap(mut self) {
        self.finish();
    }

    /// Kills the children until this process exits by itself.
    fn kill_children_until_exit(&mut self) {
        let deadline = Instant::now() + REAP_LIMIT;
        while !self.has_exited() && Instant::now() < deadline {
            let kids = children(self.pid());
            if !kids.is_empty() {
                kill(&kids);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn finish(&mut self) {
        if std::mem::take(&mut self.reaps_its_children) {
            self.kill_children_until_exit();
        }
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
            kill(&descendants);
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

/// Sends SIGKILL to `pids` (some may be gone already, which is fine).
pub fn kill(pids: &[Pid]) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(pids.iter().map(Pid::to_string))
        .stderr(Stdio::null())
        .status();
}

/// Many [`Proc`]s with their standard streams on `/dev/null`, each killed
/// and reaped when dropped; [`reap`](Procs::reap) kills them all before
/// reaping any, so that thousands die in parallel. Every one must leave no
/// grandchildren behind (a `sleep`, a `python3`, a re-executed test),
/// since the machine's pid 1 may not reap orphans.
#[derive(Debug, Default)]
pub struct Procs {
    procs: Vec<Proc>,
}

impl Procs {
    /// None yet.
    pub fn new() -> Procs {
        Procs::default()
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

/// `sleep` for [`SLEEP_SECS`] seconds, not yet spawned: long enough
/// for any test, and killed by the [`Proc`] that spawns it.
pub fn sleep_command() -> Command {
    let mut cmd = Command::new("sleep");
    cmd.arg(SLEEP_SECS);
    cmd
}
