//! The processes the query tests and pidgrep's differential tests ask
//! about, started by `query_fixture.py` (root only): chosen names (one
//! longer than 15 bytes), command lines, process groups, a session on a
//! pty, real and effective ids, a small tree, a stopped process and a
//! zombie; where the machine allows, one in new network and UTS
//! namespaces (`netns`) and one in a new cgroup v2 directory
//! (`cgrouped`). Dropping the fixture ends and reaps every one of them.
//!
//! Standalone (std only), so that another package's tests can include it
//! with `#[path]`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The running fixture.
#[derive(Debug)]
pub struct QueryFixture {
    child: Child,
    dir: PathBuf,
    /// Each process by its key (`alpha1`, `tree/sh/delta`, …).
    pub pids: BTreeMap<String, i32>,
    /// The session leader (the script itself), whose session holds all
    /// but `loner`.
    pub leader: i32,
    /// The session's controlling terminal.
    pub tty: PathBuf,
    /// The cgroup v2 path of `cgrouped`, when it was moved to its own.
    pub cgroup_path: Option<String>,
    /// Why an optional process is missing (`netns`, `cgrouped`).
    pub skipped: BTreeMap<String, String>,
}

impl QueryFixture {
    /// Starts the fixture; `Err` with the reason when it cannot run here
    /// (not root, no `python3`).
    pub fn start() -> Result<QueryFixture, String> {
        // The owner of /proc/self is the effective uid.
        let euid = std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata("/proc/self").map_err(|e| e.to_string())?,
        );
        if euid != 0 {
            return Err("needs root (ids and a stopped process of its own)".into());
        }
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/query_fixture.py");
        let script = if script.exists() {
            script
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/support/query_fixture.py")
        };
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pidquery-fixture-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{dir:?}: {e}"))?;
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("python3: {e}"))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut pids = BTreeMap::new();
        let (mut leader, mut tty) = (0, PathBuf::new());
        let (mut cgroup_path, mut skipped) = (None, BTreeMap::new());
        let mut ready = false;
        for line in BufReader::new(out).lines() {
            let line = line.map_err(|e| e.to_string())?;
            let (key, value) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match key {
                "ready" => {
                    ready = true;
                    break;
                }
                "failed" => break,
                "leader" => leader = value.parse().map_err(|_| line.clone())?,
                "tty" => tty = PathBuf::from(value),
                "cgroup_path" => cgroup_path = Some(value.to_string()),
                "skip" => {
                    let (what, why) = value.split_once(' ').unwrap_or((value, ""));
                    skipped.insert(what.to_string(), why.to_string());
                }
                _ => {
                    pids.insert(key.to_string(), value.parse().map_err(|_| line.clone())?);
                }
            }
        }
        let mut fixture = QueryFixture {
            child,
            dir,
            pids,
            leader,
            tty,
            cgroup_path,
            skipped,
        };
        if !ready {
            let mut why = String::new();
            if let Some(mut err) = fixture.child.stderr.take() {
                use std::io::Read;
                let _ = err.read_to_string(&mut why);
            }
            panic!("the fixture did not settle: {why}");
        }
        Ok(fixture)
    }

    /// The pid of `key`.
    pub fn pid(&self, key: &str) -> i32 {
        *self
            .pids
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in {:?}", self.pids))
    }

    /// Every pid of the fixture, the leader included.
    pub fn all(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self.pids.values().copied().collect();
        v.push(self.leader);
        v.sort_unstable();
        v
    }
}

impl Drop for QueryFixture {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
