//! The parser fuzz targets' checks under plain `cargo test`: every checked-in
//! seed (`fuzz/seeds/<target>/`) is replayed through the same reference
//! comparisons the targets run (`tests/support/parse_checks/`).
//!
//! An input a fuzz run finds wrong (`fuzz/artifacts/<target>/`, minimized
//! with `cargo fuzz tmin`) becomes a named test at the end of this file that
//! passes its bytes to the target's `check`, with a comment on the bug.

#[path = "support/parse_checks/mod.rs"]
mod parse_checks;

use std::fs;
use std::path::Path;

use parse_checks::{dirents, pid_list, pid_path, stat, status};

/// Runs `check` on every seed of `target`; the directory must hold some.
fn replay_seeds(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join("fuzz/Cargo.toml").exists() {
        // A packaged crate leaves `fuzz/` out.
        eprintln!("skipping: no fuzz/ directory in this source tree");
        return;
    }
    let dir = root.join("fuzz/seeds").join(target);
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let input = fs::read(&path).unwrap();
        eprintln!("{}", path.display());
        check(&input);
        seen += 1;
    }
    assert!(seen > 0, "no seeds in {}", dir.display());
}

#[test]
fn dirents_seeds() {
    replay_seeds("dirents", dirents::check);
}

#[test]
fn stat_seeds() {
    replay_seeds("stat", stat::check);
}

#[test]
fn status_seeds() {
    replay_seeds("status", status::check);
}

#[test]
fn pid_list_seeds() {
    replay_seeds("pid_list", pid_list::check);
}

#[test]
fn pid_path_seeds() {
    replay_seeds("pid_path", pid_path::check);
}

/// This test process's own `stat` and `status`, read live, agree with the
/// references, and the parsed parent and effective uid match what std and
/// `id -u` report.
#[cfg(target_os = "linux")]
#[test]
fn proc_self_agrees_with_references() {
    let raw = fs::read("/proc/self/stat").unwrap();
    stat::check(&[[0].as_slice(), &raw].concat());
    let parsed = pidquery::parse::stat(&raw).expect("own stat parses");
    assert_eq!(parsed.ppid, std::os::unix::process::parent_id() as i32);

    let raw = fs::read("/proc/self/status").unwrap();
    status::check(&[[0].as_slice(), &raw].concat());
    let uids = pidquery::parse::status_uids(&raw).expect("own status parses");
    let id = std::process::Command::new("id").arg("-u").output().unwrap();
    let euid: u32 = String::from_utf8(id.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(uids.effective, euid);
}
