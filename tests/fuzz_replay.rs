//! Every fuzz target's inputs under plain `cargo test`: the checked-in seeds
//! (`fuzz/seeds/<target>/`) and the minimized crashes
//! (`fuzz/regressions/<target>/`) are replayed through the very checks the
//! targets run (`tests/support/parse_checks/` for the parsers,
//! `tests/support/model_check.rs` for `engine_ops`, which needs the `model`
//! feature).
//!
//! A crash a fuzz run finds (`fuzz/artifacts/<target>/`, minimized with
//! `cargo fuzz tmin`) is copied to `fuzz/regressions/<target>/` and also
//! becomes a named test at the end of this file, with a comment on the bug.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::parse_checks::{
    dirents, kinfo, kinfo_file, pid_list, pid_path, proc_stat, stat, stat_record, status,
    status_ids,
};

/// The inputs of `target`: its seeds, which must exist, then its
/// regressions. `None` (with the reason printed) when this source tree
/// has no `fuzz/` directory, as in a packaged crate.
fn inputs(target: &str) -> Option<Vec<PathBuf>> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    if !fuzz.join("Cargo.toml").exists() {
        eprintln!("{target}: skipped: no fuzz/ directory in this source tree");
        return None;
    }
    let files = |kind: &str| -> Vec<PathBuf> {
        let dir = fuzz.join(kind).join(target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("read a directory entry").path())
            // READMEs and `.gitkeep`s are not inputs.
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                !name.starts_with('.') && name != "README.md"
            })
            .collect();
        files.sort();
        files
    };
    let seeds = files("seeds");
    assert!(!seeds.is_empty(), "no seeds for {target} in fuzz/seeds/");
    Some(seeds.into_iter().chain(files("regressions")).collect())
}

/// Runs `check` on every input of `target`; returns how many it ran.
fn replay(target: &str, mut check: impl FnMut(&Path, &[u8])) -> usize {
    let Some(paths) = inputs(target) else {
        return 0;
    };
    for path in &paths {
        let input = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("{}", path.display());
        check(path, &input);
    }
    paths.len()
}

#[test]
fn dirents_inputs() {
    replay("dirents", |_, input| dirents::check(input));
}

#[test]
fn stat_inputs() {
    replay("stat", |_, input| stat::check(input));
}

#[test]
fn status_inputs() {
    replay("status", |_, input| status::check(input));
}

#[test]
fn pid_list_inputs() {
    replay("pid_list", |_, input| pid_list::check(input));
}

#[test]
fn pid_path_inputs() {
    replay("pid_path", |_, input| pid_path::check(input));
}

#[test]
fn stat_record_inputs() {
    replay("stat_record", |_, input| stat_record::check(input));
}

#[test]
fn status_ids_inputs() {
    replay("status_ids", |_, input| status_ids::check(input));
}

#[test]
fn proc_stat_inputs() {
    replay("proc_stat", |_, input| proc_stat::check(input));
}

#[test]
fn kinfo_inputs() {
    replay("kinfo", |_, input| kinfo::check(input));
}

#[test]
fn kinfo_file_inputs() {
    replay("kinfo_file", |_, input| kinfo_file::check(input));
}

#[test]
fn links_inputs() {
    replay("links", |_, input| {
        support::tree_checks::links::check(input)
    });
}

#[test]
fn changes_inputs() {
    replay("changes", |_, input| {
        support::tree_checks::changes::check(input)
    });
}

/// The engine's operation sequences over the xnu model. The seeds together
/// reach every outcome the checker knows: races, truncation, answers cut by
/// the kernel's estimate, injected errors, and a fill that spends its
/// whole attempt budget.
#[cfg(feature = "model")]
#[test]
fn engine_ops_inputs() {
    use support::model_check::{check_ops, Stats};
    let mut seen = Stats::default();
    let files = replay("engine_ops", |path, input| {
        let s = check_ops(input).unwrap_or_else(|v| panic!("{}: {v}", path.display()));
        seen.raced += s.raced;
        seen.truncated += s.truncated;
        seen.cut_by_estimate += s.cut_by_estimate;
        seen.failed += s.failed;
        seen.max_attempts = seen.max_attempts.max(s.max_attempts);
    });
    if files == 0 {
        return;
    }
    assert!(
        seen.raced > 0 && seen.truncated > 0 && seen.cut_by_estimate > 0 && seen.failed > 0,
        "the seeds no longer reach every outcome: {seen:?}"
    );
    assert_eq!(seen.max_attempts, pidquery::MAX_ATTEMPTS);
}

/// The engine's operation sequences over the FreeBSD model. The seeds
/// together reach every outcome the checker knows but `Raced` (which needs
/// a table more than doubling on every fetch; `tests/model_freebsd.rs`
/// builds that one): truncation, injected errors, the wiring limit, short
/// raw buffers, churn between lock stripes, and answers checked against
/// the oracle.
#[cfg(feature = "model")]
#[test]
fn freebsd_ops_inputs() {
    use support::freebsd_check::{check_ops, Stats};
    let mut seen = Stats::default();
    let files = replay("freebsd_ops", |path, input| {
        let s = check_ops(input).unwrap_or_else(|v| panic!("{}: {v}", path.display()));
        seen.truncated += s.truncated;
        seen.failed += s.failed;
        seen.wiring += s.wiring;
        seen.short += s.short;
        seen.changed += s.changed;
        seen.required += s.required;
    });
    if files == 0 {
        return;
    }
    assert!(
        seen.truncated > 0
            && seen.failed > 0
            && seen.wiring > 0
            && seen.short > 0
            && seen.changed > 0
            && seen.required > 20,
        "the seeds no longer reach every outcome: {seen:?}"
    );
}

/// Every target declared in `fuzz/Cargo.toml` has seeds (so the smoke run,
/// which starts each target from `fuzz/seeds/<target>/`, never starts from
/// nothing) and a `fuzz/regressions/<target>/` directory.
#[test]
fn every_fuzz_target_has_seeds_and_a_regressions_directory() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let Ok(manifest) = fs::read_to_string(fuzz.join("Cargo.toml")) else {
        eprintln!("skipped: no fuzz/ directory in this source tree");
        return;
    };
    let targets: Vec<&str> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|bin| {
            let line = bin.lines().find(|l| l.trim_start().starts_with("name"))?;
            line.split('"').nth(1)
        })
        .collect();
    assert!(
        targets.len() >= 6,
        "targets in fuzz/Cargo.toml: {targets:?}"
    );
    for target in targets {
        assert!(
            inputs(target).is_some_and(|i| !i.is_empty()),
            "{target}: no seeds"
        );
        assert!(
            fuzz.join("regressions").join(target).is_dir(),
            "{target}: no fuzz/regressions/{target}/"
        );
    }
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

// Minimized crashes, one named test each (none found yet). The form:
//
//     /// What was wrong, and the fix.
//     #[test]
//     fn stat_<what_the_input_does>() {
//         stat::check(include_bytes!("../fuzz/regressions/stat/<file>"));
//     }

/// A space where the state letter goes (`1 (x)   0 …`): the parser took the
/// space as the state and the next space as the separator, reading one
/// field fewer than the record holds. The state must be a byte other than
/// the separator.
#[test]
fn stat_record_space_as_state() {
    let input = include_bytes!("../fuzz/regressions/stat_record/space-as-state");
    stat_record::check(input);
    assert_eq!(pidquery::parse::stat_record(&input[1..]), None);
}
