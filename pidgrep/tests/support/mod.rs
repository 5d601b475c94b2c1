//! What the differential tests share: running `pgrep` and `pidgrep` on
//! the same arguments and comparing standard output and exit status,
//! again while they differ (the live table changes between two runs),
//! one test at a time, and a small random generator.

#![allow(dead_code)]

use std::process::Command;

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())].clone()
    }
}

/// One test at a time: both spawn `pgrep` and `pidgrep` in this test
/// binary's process group, which an edge (`-g 0`) lists.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Standard output and exit status of `program args`.
pub fn run(program: &str, args: &[String]) -> (String, Option<i32>) {
    let out = Command::new(program).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    (steady(&text), out.status.code())
}

/// `text` without what changes from one moment to the next outside the
/// fixture: a kernel worker's name ends with the workqueue it serves now
/// (`kworker/u8:2-events_unbound`), which only `-v` runs list.
pub fn steady(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("kworker/") {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let end = tail.find(['\n', ']', ' ', ',']).unwrap_or(tail.len());
        let name = &tail[..end];
        out.push_str(name.split_once('-').map_or(name, |(base, _)| base));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

pub fn pgrep_or_skip(test: &str) -> bool {
    let ok = Command::new("pgrep")
        .arg("-V")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("procps-ng 4."));
    if !ok {
        eprintln!("SKIP {test}: no procps-ng 4 pgrep");
    }
    ok
}

/// Runs `args` through both; `None` when they agree (after `tries`).
pub fn differ(args: &[String], tries: usize) -> (bool, Option<String>) {
    let ours = env!("CARGO_BIN_EXE_pidgrep");
    let mut first = true;
    let mut first_differs = false;
    for _ in 0..tries {
        let theirs = run("pgrep", args);
        let mine = run(ours, args);
        if theirs == mine {
            return (first_differs, None);
        }
        if first {
            first_differs = true;
            first = false;
        }
        if tries == 1 {
            return (
                true,
                Some(format!(
                    "pgrep {args:?}\n pgrep:   {theirs:?}\n pidgrep: {mine:?}"
                )),
            );
        }
    }
    let theirs = run("pgrep", args);
    let mine = run(ours, args);
    (
        true,
        Some(format!(
            "pgrep {args:?}\n pgrep:   {theirs:?}\n pidgrep: {mine:?}"
        )),
    )
}

/// Each of `cases` (given as words) through both, `tries` times at most:
/// a report of every one that differs each time.
pub fn mismatches(cases: &[Vec<String>], tries: usize) -> Vec<String> {
    cases
        .iter()
        .filter_map(|args| differ(args, tries).1)
        .collect()
}

/// `cases` as owned words.
pub fn words(cases: &[&[&str]]) -> Vec<Vec<String>> {
    cases
        .iter()
        .map(|c| c.iter().map(|w| w.to_string()).collect())
        .collect()
}
