//! What the machine and this process are: privileges, tools on `PATH`,
//! and the skip messages of tests that need what is missing.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use pidquery::Pid;

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

/// How long an adversary loop runs: `var` seconds from the environment
/// (to measure a rate over a longer run), else `default_secs`.
pub fn secs_from_env(var: &str, default_secs: u64) -> std::time::Duration {
    let secs = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    std::time::Duration::from_secs(secs)
}
