//! The combinable conditions of `listpids` (`--pgrp`, `--session`, `--name`,
//! `--not`, `--newest` …): parsed from their long options into owned lists,
//! then lent to a [`pidquery::Query`]. Several options combine with AND; a
//! comma list inside one option means OR, as `pgrep`'s lists do.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use pidquery::{Dev, Match, MatchBytes, Namespaces, Pick, Pid, PidQuery, ProcInfo, Query, States};

use crate::Failure;

/// How a name or command-line pattern is compared.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum How {
    Exact,
    Prefix,
    Contains,
}

/// One or more patterns, any of which may match (a comma list).
#[derive(Debug)]
struct Patterns {
    how: How,
    flag: &'static str,
    patterns: Vec<Vec<u8>>,
    fold: bool,
}

impl Patterns {
    fn one<'p>(&self, pattern: &'p [u8]) -> Match<'p> {
        let m = match self.how {
            How::Exact => Match::exact(pattern),
            How::Prefix => Match::prefix(pattern),
            How::Contains => Match::substring(pattern),
        };
        if self.fold {
            m.ignore_ascii_case()
        } else {
            m
        }
    }

    /// The library's match: the pattern itself when there is one, else any
    /// of them through [`MatchBytes`].
    fn to_match(&self) -> Match<'_> {
        match self.patterns.as_slice() {
            [one] => self.one(one),
            _ => Match::custom(self),
        }
    }

    fn is_match(&self, text: &[u8]) -> bool {
        self.patterns.iter().any(|p| self.one(p).is_match(text))
    }
}

impl MatchBytes for Patterns {
    fn matches(&self, bytes: &[u8]) -> bool {
        self.is_match(bytes)
    }
}

/// The conditions given on the command line, each list owned here.
#[derive(Debug, Default)]
pub struct Conditions {
    pgrp: Option<Vec<Pid>>,
    session: Option<Vec<Pid>>,
    /// Terminals as given (paths), resolved to devices when the query runs.
    tty: Option<Vec<PathBuf>>,
    euid: Option<Vec<u32>>,
    ruid: Option<Vec<u32>>,
    rgid: Option<Vec<u32>>,
    parent: Option<Vec<Pid>>,
    descendants: Option<Vec<Pid>>,
    state: Option<States>,
    name: Option<Patterns>,
    cmdline: Option<Patterns>,
    started_before: Option<SystemTime>,
    started_after: Option<SystemTime>,
    /// `--ns`: the reference process.
    ns: Option<Pid>,
    /// `--nslist`: the kinds compared (all of them by default).
    nslist: Option<Namespaces>,
    /// `--cgroup`: cgroup v2 paths.
    cgroup: Option<Vec<Vec<u8>>>,
    ignore_case: bool,
    negate: bool,
    pick: Pick,
    /// The flags given, in order (for messages).
    pub given: Vec<&'static str>,
}

/// The longest process name the kernel keeps (Linux `TASK_COMM_LEN` - 1).
const COMM_MAX: usize = 15;

/// The flags this module handles.
const FLAGS: [&str; 26] = [
    "--pgrp",
    "--session",
    "--tty",
    "--uid",
    "--euid",
    "--ruid",
    "--rgid",
    "--ppid",
    "--parent",
    "--descendants",
    "--state",
    "--name",
    "--name-prefix",
    "--name-contains",
    "--cmdline",
    "--cmdline-prefix",
    "--cmdline-contains",
    "--started-before",
    "--started-after",
    "--ns",
    "--nslist",
    "--cgroup",
    "--ignore-case",
    "--not",
    "--newest",
    "--oldest",
];

/// `flag` when it is one of this module's.
pub fn flag(flag: &str) -> Option<&'static str> {
    FLAGS.iter().copied().find(|f| *f == flag)
}

/// Whether `flag` takes a value.
pub fn takes_value(flag: &str) -> bool {
    !matches!(flag, "--ignore-case" | "--not" | "--newest" | "--oldest")
}

impl Conditions {
    /// Records `flag` (one of [`FLAGS`], as [`flag`] returns it) with its value.
    pub fn add(&mut self, flag: &'static str, value: Option<&str>) -> Result<(), Failure> {
        self.given.push(flag);
        let v = value.unwrap_or_default();
        match flag {
            "--pgrp" => extend(&mut self.pgrp, list(flag, v, |t| pid_arg(flag, t))?),
            "--session" => extend(&mut self.session, list(flag, v, |t| pid_arg(flag, t))?),
            "--ppid" | "--parent" => extend(&mut self.parent, list(flag, v, |t| pid_arg(flag, t))?),
            "--descendants" => extend(&mut self.descendants, list(flag, v, |t| pid_arg(flag, t))?),
            "--tty" => extend(&mut self.tty, list(flag, v, |t| Ok(tty_path(t)))?),
            "--uid" | "--euid" => extend(&mut self.euid, list(flag, v, crate::user_id)?),
            "--ruid" => extend(&mut self.ruid, list(flag, v, crate::user_id)?),
            "--rgid" => extend(&mut self.rgid, list(flag, v, group_id)?),
            "--state" => {
                let letters: String = v.chars().filter(|c| *c != ',').collect();
                if letters.is_empty() {
                    return Err(Failure(format!("{flag}: empty list")));
                }
                if let Some(bad) = letters.chars().find(|c| !"RSDTtZXIP".contains(*c)) {
                    return Err(Failure(format!(
                        "{flag}: unknown state letter '{bad}' (known: R S D T t Z X I P)"
                    )));
                }
                let states = States::from_letters(letters.as_bytes())
                    .ok_or_else(|| Failure(format!("{flag}: bad state list '{v}'")))?;
                self.state = Some(self.state.unwrap_or(States::empty()) | states);
            }
            "--name" | "--name-prefix" | "--name-contains" => {
                let how = how(flag);
                let patterns = list(flag, v, |t| Ok(t.as_bytes().to_vec()))?;
                if how == How::Exact {
                    if let Some(long) = patterns.iter().find(|p| p.len() > COMM_MAX) {
                        eprintln!(
                            "listpids: warning: {flag} '{}' is longer than the {COMM_MAX} bytes \
                             the kernel keeps of a process name, so it matches no process \
                             (use --name-prefix or --cmdline-contains)",
                            String::from_utf8_lossy(long)
                        );
                    }
                }
                add_patterns(&mut self.name, flag, how, patterns)?;
            }
            "--cmdline" | "--cmdline-prefix" | "--cmdline-contains" => {
                // A command line may hold commas: one pattern, no list.
                if v.is_empty() {
                    return Err(Failure(format!("{flag}: empty pattern")));
                }
                add_patterns(
                    &mut self.cmdline,
                    flag,
                    how(flag),
                    vec![v.as_bytes().to_vec()],
                )?;
            }
            "--started-before" => self.started_before = Some(time_arg(flag, v)?),
            "--started-after" => self.started_after = Some(time_arg(flag, v)?),
            "--ns" => self.ns = Some(pid_arg(flag, v)?),
            "--nslist" => {
                let kinds = list(flag, v, |t| {
                    Namespaces::from_link_name(t.as_bytes()).ok_or_else(|| {
                        Failure(format!(
                            "--nslist: unknown namespace '{t}' (cgroup ipc mnt net pid time user uts)"
                        ))
                    })
                })?;
                let set = kinds.into_iter().fold(Namespaces::empty(), |s, k| s | k);
                self.nslist = Some(self.nslist.unwrap_or(Namespaces::empty()) | set);
            }
            "--cgroup" => {
                let paths = list(flag, v, |t| Ok(t.as_bytes().to_vec()))?;
                extend(&mut self.cgroup, paths);
            }
            "--ignore-case" => self.ignore_case = true,
            "--not" => self.negate = true,
            "--newest" | "--oldest" => {
                let pick = if flag == "--newest" {
                    Pick::Newest
                } else {
                    Pick::Oldest
                };
                if self.pick != Pick::All && self.pick != pick {
                    return Err(Failure(
                        "--newest cannot be combined with --oldest".to_owned(),
                    ));
                }
                self.pick = pick;
            }
            other => return Err(Failure(format!("unknown argument '{other}' (see --help)"))),
        }
        Ok(())
    }

    /// Whether no condition was given.
    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }

    /// Today's one-filter query, when the conditions are exactly one of the
    /// classic filters with one value (so that its output stays the same).
    pub fn classic(&self) -> Result<Option<PidQuery>, Failure> {
        let [flag] = self.given.as_slice() else {
            return Ok(None);
        };
        let one = |v: &Option<Vec<Pid>>| match v.as_deref() {
            Some([p]) => Some(*p),
            _ => None,
        };
        let one_id = |v: &Option<Vec<u32>>| match v.as_deref() {
            Some([id]) => Some(*id),
            _ => None,
        };
        Ok(match *flag {
            "--uid" | "--euid" => one_id(&self.euid).map(PidQuery::uid),
            "--ruid" => one_id(&self.ruid).map(PidQuery::ruid),
            "--ppid" | "--parent" => one(&self.parent).map(PidQuery::ppid),
            "--pgrp" => one(&self.pgrp).map(PidQuery::pgrp),
            "--descendants" => one(&self.descendants).map(PidQuery::descendants),
            "--tty" => match self.tty.as_deref() {
                Some([path]) => Some(PidQuery::tty_path(path)?),
                _ => None,
            },
            _ => None,
        })
    }

    /// The terminals' devices; a path that is not a terminal is an error.
    pub fn ttys(&self) -> Result<Option<Vec<Dev>>, Failure> {
        let Some(paths) = &self.tty else {
            return Ok(None);
        };
        paths
            .iter()
            .map(|path| {
                let meta = std::fs::metadata(path)
                    .map_err(|e| Failure(format!("--tty: {}: {e}", path.display())))?;
                if !meta.file_type().is_char_device() {
                    return Err(Failure(format!(
                        "--tty: {} is not a terminal (not a character device)",
                        path.display()
                    )));
                }
                Ok(Dev::from_raw(meta.rdev()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The `--cgroup` paths as the query borrows them.
    pub fn cgroups(&self) -> Option<Vec<&[u8]>> {
        self.cgroup
            .as_ref()
            .map(|v| v.iter().map(Vec::as_slice).collect())
    }

    /// The query, borrowing the lists (`ttys` from [`ttys`](Conditions::ttys),
    /// `cgroups` from [`cgroups`](Conditions::cgroups)).
    pub fn query<'a>(
        &'a self,
        ttys: Option<&'a [Dev]>,
        cgroups: Option<&'a [&'a [u8]]>,
    ) -> Query<'a> {
        let mut q = Query::new();
        if let Some(v) = &self.pgrp {
            q = q.pgrp(v.as_slice());
        }
        if let Some(v) = &self.session {
            q = q.session(v.as_slice());
        }
        if let Some(v) = ttys {
            q = q.tty(v);
        }
        if let Some(v) = &self.euid {
            q = q.euid(v.as_slice());
        }
        if let Some(v) = &self.ruid {
            q = q.ruid(v.as_slice());
        }
        if let Some(v) = &self.rgid {
            q = q.rgid(v.as_slice());
        }
        if let Some(v) = &self.parent {
            q = q.parent(v.as_slice());
        }
        if let Some(v) = &self.descendants {
            q = q.descendant_of(v.as_slice());
        }
        if let Some(s) = self.state {
            q = q.state(s);
        }
        if let Some(p) = &self.name {
            q = q.name(p.to_match());
        }
        if let Some(p) = &self.cmdline {
            q = q.cmdline(p.to_match());
        }
        if let Some(t) = self.started_before {
            q = q.started_before(t);
        }
        if let Some(t) = self.started_after {
            q = q.started_after(t);
        }
        if let Some(pid) = self.ns {
            q = q.same_namespaces(pid, self.nslist.unwrap_or(Namespaces::all()));
        }
        if let Some(paths) = cgroups {
            q = q.cgroup(paths);
        }
        if self.negate {
            q = q.negate();
        }
        match self.pick {
            Pick::Newest => q.newest(),
            Pick::Oldest => q.oldest(),
            Pick::All => q,
        }
    }

    /// Applies `--ignore-case` to the patterns (given before or after them).
    pub fn finish(&mut self) -> Result<(), Failure> {
        if self.nslist.is_some() && self.ns.is_none() {
            return Err(Failure("--nslist needs --ns (see --help)".to_owned()));
        }
        if self.ignore_case && self.name.is_none() && self.cmdline.is_none() {
            return Err(Failure(
                "--ignore-case needs --name… or --cmdline… (see --help)".to_owned(),
            ));
        }
        for p in [&mut self.name, &mut self.cmdline].into_iter().flatten() {
            p.fold = self.ignore_case;
        }
        Ok(())
    }

    /// Whether `info`, read after the pid was listed, still agrees with the
    /// conditions that never change during a process's life or that only
    /// change by the process's own calls (ids, group, session, parent,
    /// name, start): a pid reused meanwhile by a process that does not
    /// match is left out. Only for a query that is not negated.
    pub fn still_holds(&self, info: &ProcInfo, ttys: Option<&[Dev]>) -> bool {
        if self.negate {
            return true;
        }
        let has = |v: &Option<Vec<Pid>>, p: Pid| v.as_ref().is_none_or(|v| v.contains(&p));
        let has_id = |v: &Option<Vec<u32>>, id: u32| v.as_ref().is_none_or(|v| v.contains(&id));
        let start = info.start.map(|s| s.to_system_time());
        has(&self.pgrp, info.pgid)
            && info.sid.is_none_or(|sid| has(&self.session, sid))
            && ttys.is_none_or(|t| info.tty.is_some_and(|d| t.contains(&d)))
            && has_id(&self.euid, info.euid)
            && has_id(&self.ruid, info.ruid)
            && has_id(&self.rgid, info.rgid)
            && has(&self.parent, info.ppid)
            && self
                .name
                .as_ref()
                .is_none_or(|p| p.is_match(info.comm.as_bytes()))
            && self
                .started_before
                .is_none_or(|t| start.is_none_or(|s| s < t))
            && self
                .started_after
                .is_none_or(|t| start.is_none_or(|s| s > t))
    }
}

fn how(flag: &str) -> How {
    if flag.ends_with("-prefix") {
        How::Prefix
    } else if flag.ends_with("-contains") {
        How::Contains
    } else {
        How::Exact
    }
}

fn add_patterns(
    slot: &mut Option<Patterns>,
    flag: &'static str,
    how: How,
    patterns: Vec<Vec<u8>>,
) -> Result<(), Failure> {
    match slot {
        Some(p) if p.how == how => p.patterns.extend(patterns),
        Some(p) => {
            return Err(Failure(format!(
                "{flag} cannot be combined with {}: give one way to compare",
                p.flag
            )))
        }
        None => {
            *slot = Some(Patterns {
                how,
                flag,
                patterns,
                fold: false,
            })
        }
    }
    Ok(())
}

fn extend<T>(slot: &mut Option<Vec<T>>, values: Vec<T>) {
    slot.get_or_insert_with(Vec::new).extend(values);
}

/// A comma list: each item converted by `one`; an empty list or item is an
/// error.
fn list<T>(
    flag: &str,
    value: &str,
    one: impl Fn(&str) -> Result<T, Failure>,
) -> Result<Vec<T>, Failure> {
    if value.is_empty() {
        return Err(Failure(format!("{flag}: empty list")));
    }
    value
        .split(',')
        .map(|item| {
            if item.is_empty() {
                Err(Failure(format!("{flag}: empty item in the list '{value}'")))
            } else {
                one(item)
            }
        })
        .collect()
}

pub fn pid_arg(flag: &str, value: &str) -> Result<Pid, Failure> {
    value
        .parse::<i32>()
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| Failure(format!("{flag}: '{value}' is not a process id")))
}

/// `/dev/pts/3` stays as is; `pts/3` and `tty1` are taken under `/dev`.
pub fn tty_path(value: &str) -> PathBuf {
    if value.starts_with('/') {
        PathBuf::from(value)
    } else {
        PathBuf::from("/dev").join(value)
    }
}

/// A gid given as a number, or a group name looked up in `/etc/group`.
fn group_id(value: &str) -> Result<u32, Failure> {
    if let Ok(gid) = value.parse::<u32>() {
        return Ok(gid);
    }
    let found = std::fs::read_to_string("/etc/group").ok().and_then(|text| {
        text.lines().find_map(|line| {
            let mut fields = line.split(':');
            (fields.next() == Some(value))
                .then(|| fields.nth(1)?.parse().ok())
                .flatten()
        })
    });
    found.ok_or_else(|| Failure(format!("unknown group '{value}'")))
}

/// A time: seconds since the Unix epoch (`1700000000`, or `@1700000000`), or
/// UTC as `listpids --long` prints it (`2026-12-07T14:52:34Z`).
fn time_arg(flag: &str, value: &str) -> Result<SystemTime, Failure> {
    let bad = || {
        Failure(format!(
            "{flag}: '{value}' is not a time (seconds since the epoch, or YYYY-MM-DDTHH:MM:SSZ)"
        ))
    };
    let secs = match value.strip_prefix('@').unwrap_or(value).parse::<u64>() {
        Ok(secs) => secs,
        Err(_) => iso_seconds(value).ok_or_else(bad)?,
    };
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .ok_or_else(bad)
}

/// `YYYY-MM-DDTHH:MM:SSZ` as seconds since the epoch.
fn iso_seconds(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_read_back() {
        assert_eq!(iso_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(iso_seconds("2000-03-01T00:00:01Z"), Some(951_868_801));
        assert_eq!(iso_seconds("2000-13-01T00:00:01Z"), None);
        assert_eq!(iso_seconds("2000-03-01 00:00:01"), None);
    }
}
