//! The `engine_ops` fuzz corpus, replayed on stable through the same
//! checker the fuzz target uses, and minimized fuzz findings as named
//! regression tests.
#![cfg(feature = "model")]

use std::path::Path;

#[path = "support/model_check.rs"]
mod model_check;

use model_check::{check_ops, Stats};

#[test]
fn seed_corpus_replays_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/engine_ops");
    let mut seen = Stats::default();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let s = check_ops(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|v| panic!("{}: {v}", path.display()));
        files += 1;
        seen.raced += s.raced;
        seen.truncated += s.truncated;
        seen.cut_by_estimate += s.cut_by_estimate;
        seen.failed += s.failed;
        seen.max_attempts = seen.max_attempts.max(s.max_attempts);
    }
    assert!(files >= 5, "corpus missing from {}", dir.display());
    // The seeds reach every outcome the checker knows.
    assert!(seen.raced > 0 && seen.truncated > 0 && seen.cut_by_estimate > 0 && seen.failed > 0);
    assert_eq!(seen.max_attempts, pidquery::MAX_ATTEMPTS);
}
