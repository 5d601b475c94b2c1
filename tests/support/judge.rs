//! The soak's judge (`tests/soak.rs`): what an answer must be, and the
//! count of wrong answers per path, with a few examples of each.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use pidquery::Pid;

use super::env::set;

/// What an answer must be.
#[derive(Clone)]
pub enum Expect {
    /// Exactly these.
    Exact(BTreeSet<Pid>),
    /// These, and maybe some of those.
    Between(BTreeSet<Pid>, BTreeSet<Pid>),
    /// At least these (others match too).
    AtLeast(BTreeSet<Pid>),
    /// Anything but these.
    Without(BTreeSet<Pid>),
}

impl Expect {
    pub fn must(&self) -> &BTreeSet<Pid> {
        match self {
            Expect::Exact(m) | Expect::Between(m, _) | Expect::AtLeast(m) => m,
            Expect::Without(_) => &NONE,
        }
    }

    /// Why `got` is wrong, if it is.
    pub fn judge(&self, got: &[Pid], ordered: bool) -> Option<String> {
        if ordered {
            if let Some(w) = got.windows(2).find(|w| w[0] >= w[1]) {
                return Some(format!("not ascending at {} {}", w[0], w[1]));
            }
        }
        let got_set = set(got.iter().copied());
        let missing: Vec<Pid> = self.must().difference(&got_set).copied().collect();
        let extra: Vec<Pid> = match self {
            Expect::Exact(m) => got_set.difference(m).copied().collect(),
            Expect::Between(m, may) => got_set
                .iter()
                .copied()
                .filter(|p| !m.contains(p) && !may.contains(p))
                .collect(),
            Expect::AtLeast(_) => vec![],
            Expect::Without(never) => got_set.intersection(never).copied().collect(),
        };
        (missing.is_empty() && extra.is_empty())
            .then_some(())
            .map_or_else(
                || {
                    Some(format!(
                        "{} of {} listed; missing {:?}, extra {:?}",
                        got.len(),
                        self.must().len(),
                        &missing[..missing.len().min(8)],
                        &extra[..extra.len().min(8)]
                    ))
                },
                |()| None,
            )
    }
}

pub static NONE: BTreeSet<Pid> = BTreeSet::new();

/// Answers and wrong answers of one path.
#[derive(Default)]
pub struct Tally {
    answers: u64,
    /// Time spent in the path, summed.
    time: Duration,
    wrong: u64,
    examples: Vec<String>,
}

#[derive(Default)]
pub struct Tallies {
    paths: BTreeMap<String, Tally>,
    /// When the last answer was recorded: each path is timed from there.
    last: Option<Instant>,
}

impl Tallies {
    /// Starts timing the next path.
    pub fn start(&mut self) {
        self.last = Some(Instant::now());
    }

    pub fn record(&mut self, path: &str, wrong: Option<String>) {
        let now = Instant::now();
        let t = self.paths.entry(path.to_string()).or_default();
        t.time += now - self.last.unwrap_or(now);
        self.last = Some(now);
        t.answers += 1;
        if let Some(why) = wrong {
            t.wrong += 1;
            if t.examples.len() < 3 {
                t.examples.push(why);
            }
        }
    }

    /// Adds the counts of `other`, whose paths are its own.
    pub fn merge(&mut self, other: Tallies) {
        self.paths.extend(other.paths);
    }

    pub fn wrong(&self) -> u64 {
        self.paths.values().map(|t| t.wrong).sum()
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        for (path, t) in &self.paths {
            out.push_str(&format!(
                "{:>6} wrong of {:>7}  {path}  ({:?})\n",
                t.wrong, t.answers, t.time
            ));
            for e in &t.examples {
                out.push_str(&format!("         e.g. {e}\n"));
            }
        }
        out
    }
}
/// `listpids ARGS`: its standard output, or why it failed.
pub fn listpids(args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_listpids"))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run listpids: {e}"))?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "{:?}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

pub fn pid_of(word: &str) -> Option<Pid> {
    Pid::from_raw(word.parse().ok()?)
}

pub fn judged_cli(expect: &Expect, got: Result<Vec<Pid>, String>) -> Option<String> {
    match got {
        Ok(pids) => expect.judge(&pids, true),
        Err(e) => Some(e),
    }
}

/// Why `listpids --json` output is wrong, if it is: its pids, and each
/// line's name and executable, which must be one process's (every
/// process of the core runs one program for good, whatever it execs,
/// while pids around it are reused).
pub fn json_wrong(expect: &Expect, got: Result<String, String>) -> Option<String> {
    let text = match got {
        Ok(text) => text,
        Err(e) => return Some(e),
    };
    let mut pids = vec![];
    for line in text.lines() {
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return Some(format!("{line:?}: {e}")),
        };
        let Some(p) = v["pid"].as_i64().and_then(|p| Pid::from_raw(p as i32)) else {
            return Some(format!("no pid in {line:?}"));
        };
        pids.push(p);
        let comm = v["comm"].as_str().unwrap_or_default();
        // A process whose leader thread has exited shows no executable in
        // `/proc/<pid>/exe`; whether it should is an open question, so a
        // missing one is let be. A present one must be this process's.
        let Some(exe) = v["exe"].as_str() else {
            continue;
        };
        let base = std::path::Path::new(exe)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if base.is_empty() || !base.starts_with(comm) || comm.len() < base.len().min(15) {
            return Some(format!("{p}: comm {comm:?} but exe {exe:?}"));
        }
    }
    expect.judge(&pids, true)
}

pub fn judged(
    expect: &Expect,
    got: Result<Vec<Pid>, pidquery::Error>,
    ordered: bool,
) -> Option<String> {
    match got {
        Ok(pids) => expect.judge(&pids, ordered),
        Err(e) => Some(format!("error: {e}")),
    }
}
