//! Root-only live tests: private procfs mounts with `hidepid`, queried
//! through [`System::open`] by an unprivileged process.
//!
//! The test mounts two procfs instances, `hidepid=1` (every pid listed,
//! other users' process directories closed) and `hidepid=2` (other users'
//! pids invisible), then runs itself again as `nobody` (via `setpriv`), with
//! the mounts named in an environment variable. That second run is the
//! unprivileged side: it asserts that processes it may not see are skipped
//! — never an error, never a partial answer about the ones it may see.

#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pidquery::{Pid, PidBuf, PidQuery, System};
use support::set;

/// Set for the unprivileged run: `<hidepid=1 mount>:<hidepid=2 mount>:<pid>`,
/// where pid is a root-owned process the unprivileged side must not read.
const UNPRIVILEGED: &str = "PIDQUERY_TEST_HIDEPID_SIDE";
/// The uid and gid of the unprivileged side.
const NOBODY: u32 = 65534;

/// A procfs mounted at a fresh directory; unmounted and removed on drop.
struct ProcMount {
    dir: PathBuf,
}

impl ProcMount {
    fn new(options: &str, tag: &str) -> Result<ProcMount, String> {
        let dir = std::env::temp_dir().join(format!("pidquery-proc-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        let out = Command::new("mount")
            .args(["-t", "proc", "-o", options, "proc"])
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir(&dir);
            return Err(format!(
                "mount -t proc -o {options} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(ProcMount { dir })
    }
}

impl Drop for ProcMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn fill(system: &System, query: PidQuery) -> std::collections::BTreeSet<Pid> {
    let mut buf = PidBuf::new();
    let pids = system
        .fill(&query, &mut buf)
        .unwrap_or_else(|e| panic!("{query:?} on {:?}: {e}", system.proc_root()));
    assert!(pids.windows(2).all(|w| w[0] < w[1]));
    set(pids.iter().copied())
}

#[test]
fn hidepid_mounts_skip_hidden_processes_without_errors() {
    if let Ok(spec) = std::env::var(UNPRIVILEGED) {
        unprivileged_side(&spec);
        return;
    }
    const TEST: &str = "hidepid";
    if !support::is_root() {
        support::skip(TEST, "needs root to mount procfs and change uids");
        return;
    }
    if !support::have("mount") || !support::have("setpriv") {
        support::skip(TEST, "`mount` or `setpriv` is not installed");
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let nobody = [
        format!("--reuid={NOBODY}"),
        format!("--regid={NOBODY}"),
        "--clear-groups".to_string(),
        "--".to_string(),
    ];
    let readable = Command::new("setpriv")
        .args(&nobody)
        .arg("test")
        .arg("-x")
        .arg(&exe)
        .status()
        .is_ok_and(|s| s.success());
    if !readable {
        support::skip(TEST, "the test binary is not executable by nobody");
        return;
    }
    let noaccess = match ProcMount::new("hidepid=1", "noaccess") {
        Ok(m) => m,
        Err(reason) => return support::skip(TEST, &reason),
    };
    let invisible = match ProcMount::new("hidepid=2", "invisible") {
        Ok(m) => m,
        Err(reason) => return support::skip(TEST, &reason),
    };

    // A root-owned child that nobody may not look into.
    let hidden = support::sleeper();

    // As root, both mounts show everything, like /proc.
    for mount in [&noaccess.dir, &invisible.dir] {
        let system = System::open(mount).unwrap();
        assert_eq!(system.proc_root(), Some(mount.as_path()));
        assert!(fill(&system, PidQuery::all()).contains(&hidden.pid()));
        assert!(fill(&system, PidQuery::ppid(Pid::this())).contains(&hidden.pid()));
        assert!(fill(&system, PidQuery::ruid(0)).contains(&hidden.pid()));
    }

    // This same test, as nobody, takes the unprivileged side.
    let spec = format!(
        "{}:{}:{}",
        noaccess.dir.display(),
        invisible.dir.display(),
        hidden.pid()
    );
    let out = Command::new("setpriv")
        .args(&nobody)
        .arg(&exe)
        .args([
            "--exact",
            "hidepid_mounts_skip_hidden_processes_without_errors",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(UNPRIVILEGED, spec)
        .stdin(Stdio::null())
        .output()
        .expect("run the test binary as nobody");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the unprivileged side failed:\n{stdout}\n{stderr}"
    );
}

/// The assertions made as nobody.
fn unprivileged_side(spec: &str) {
    let mut parts = spec.split(':');
    let (Some(noaccess), Some(invisible), Some(hidden)) =
        (parts.next(), parts.next(), parts.next())
    else {
        panic!("bad {UNPRIVILEGED}={spec:?}");
    };
    let hidden = support::pid(hidden.parse().expect("a pid"));
    assert!(!support::is_root(), "the unprivileged side runs as root");
    let me = Pid::this();
    // The root test process that spawned us (setpriv exec'd into us).
    let parent = Pid::parent();
    let kid = support::sleeper();
    let my_pgid = support::ps()[&me].pgid;

    // hidepid=1: every pid is listed and the directory owners can be
    // read, but other users' `stat` and `status` cannot: those processes
    // are skipped by the filters that need them.
    let system = System::open(Path::new(noaccess)).unwrap();
    let all = fill(&system, PidQuery::all());
    assert!(all.contains(&hidden) && all.contains(&me) && all.contains(&kid.pid()));
    assert_eq!(fill(&system, PidQuery::ppid(me)), set([kid.pid()]));
    let siblings = fill(&system, PidQuery::ppid(parent));
    assert!(siblings.contains(&me), "our own stat is readable");
    assert!(!siblings.contains(&hidden), "root's stat is closed to us");
    assert!(fill(&system, PidQuery::uid(0)).contains(&hidden));
    assert!(!fill(&system, PidQuery::ruid(0)).contains(&hidden));
    let mine = fill(&system, PidQuery::uid(NOBODY));
    assert!(mine.contains(&me) && mine.contains(&kid.pid()));
    let mine_by_ruid = fill(&system, PidQuery::ruid(NOBODY));
    assert!(mine_by_ruid.contains(&me) && mine_by_ruid.contains(&kid.pid()));
    assert!(!mine_by_ruid.contains(&hidden));
    assert!(fill(&system, PidQuery::pgrp(my_pgid)).contains(&me));

    // hidepid=2: other users' processes are not there at all.
    let system = System::open(Path::new(invisible)).unwrap();
    let all = fill(&system, PidQuery::all());
    assert!(!all.contains(&hidden) && !all.contains(&parent));
    assert!(all.contains(&me) && all.contains(&kid.pid()));
    let mine = fill(&system, PidQuery::uid(NOBODY));
    assert!(mine.contains(&me) && mine.contains(&kid.pid()));
    assert!(fill(&system, PidQuery::uid(0)).is_empty());
    assert!(fill(&system, PidQuery::ruid(0)).is_empty());
    assert_eq!(fill(&system, PidQuery::ppid(me)), set([kid.pid()]));
    assert_eq!(fill(&system, PidQuery::ppid(parent)), set([me]));
}
