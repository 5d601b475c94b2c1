//! The options, checked and converted as pgrep converts them: comma lists,
//! user and group names or numbers, `0` for the caller's own group or
//! session, terminal names, the pattern compiled as a POSIX extended
//! regular expression (anchored for `-x`).

use std::os::unix::fs::FileTypeExt;
use std::os::unix::fs::MetadataExt;

use pidquery::{Dev, Namespaces, Pid, States};
use regex::bytes::{Regex, RegexBuilder};

use crate::args::{self, Parsed};
use crate::Stop;

/// One pgrep run's settings.
#[derive(Debug, Default)]
pub struct Config {
    pub regex: Option<Regex>,
    pub full: bool,
    pub negate: bool,
    pub newest: bool,
    pub oldest: bool,
    pub older: Option<u64>,
    pub count: bool,
    pub delim: Vec<u8>,
    pub list_name: bool,
    pub list_full: bool,
    pub ancestors: bool,
    pub states: Option<States>,
    pub pgrp: Vec<Pid>,
    pub rgid: Vec<u32>,
    pub parent: Vec<Pid>,
    pub session: Vec<Pid>,
    /// Terminal devices named by `-t` (names that name none are dropped,
    /// so a list of them matches nothing).
    pub tty: Option<Vec<Dev>>,
    /// `-t ?`: also the processes without a controlling terminal.
    pub no_tty: bool,
    /// `-w`: list the threads of the matching processes.
    pub threads: bool,
    /// `-F`: the pid read from the pidfile.
    pub pidfile: Option<Pid>,
    /// A name pattern longer than the kernel keeps (15 bytes): pgrep
    /// warns when it matched nothing.
    pub long_pattern: bool,
    pub euid: Vec<u32>,
    pub ruid: Vec<u32>,
    /// `--ns`: the reference pid as pgrep's `atoi` reads it (not 0).
    pub ns: Option<i32>,
    /// The kinds `--ns` compares: the last `--nslist` item's, as pgrep
    /// keeps only that one (`None`: pgrep's default).
    pub nslist: Option<Namespaces>,
    /// `--cgroup`: cgroup v2 paths (the last option's list, as pgrep's).
    pub cgroup: Option<Vec<Vec<u8>>>,
}

/// pgrep's `atoi`: leading blanks, a sign, the digits that follow; 0 when
/// there are none.
fn atoi(text: &[u8]) -> i32 {
    let t = text.trim_ascii_start();
    let (neg, t) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = t
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| {
            (n * 10 + i64::from(d - b'0')).min(i64::from(u32::MAX))
        });
    (if neg { -n } else { n }) as i32
}

/// pgrep's `-r` list: `strchr(list, state)`, so unknown letters and
/// commas match nothing.
fn runstates(v: &[u8]) -> Option<States> {
    let known: Vec<u8> = v
        .iter()
        .copied()
        .filter(|b| b"RSDTtZXxIP".contains(b))
        .collect();
    States::from_letters(&known)
}

fn split(value: &[u8]) -> impl Iterator<Item = &str> {
    std::str::from_utf8(value).unwrap_or("\u{fffd}").split(',')
}

/// A whole decimal number, as pgrep's `strtol` check accepts it.
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    let t = text.trim_start();
    if t.is_empty() {
        return None;
    }
    t.parse().ok()
}

/// `name` in the `passwd`- or `group`-format `file`: its id.
fn lookup(file: &str, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            Some((f.next()?, f.nth(1)?))
        })
        .find(|(n, _)| *n == name)
        .and_then(|(_, id)| id.parse().ok())
}

fn pids(value: &[u8], what: &str, zero: impl Fn() -> Pid) -> Result<Vec<Pid>, Stop> {
    split(value)
        .map(|t| match number::<i32>(t).and_then(Pid::from_raw) {
            Some(p) if p == Pid::ZERO => Ok(zero()),
            Some(p) => Ok(p),
            None => Err(Stop::Fail(format!("{what}: {t}"), 2)),
        })
        .collect()
}

fn ids(value: &[u8], file: &str, what: &str) -> Result<Vec<u32>, Stop> {
    split(value)
        .map(|t| {
            lookup(file, t)
                .or_else(|| number::<u32>(t))
                .ok_or_else(|| Stop::Fail(format!("invalid {what} name: {t}"), 2))
        })
        .collect()
}

impl Config {
    /// Checks and converts the command line.
    pub fn from_args(parsed: Parsed, me: &str) -> Result<Config, Stop> {
        let mut c = Config {
            delim: b"\n".to_vec(),
            ..Config::default()
        };
        let mut criteria = 0;
        let (mut exact, mut icase) = (false, false);
        let (mut pidfile, mut lock) = (None, false);
        for (code, value) in parsed.opts {
            let v = value.unwrap_or_default();
            match code {
                args::HELP => return Err(Stop::Print(crate::usage(me))),
                args::VERSION => {
                    return Err(Stop::Print(format!(
                        "{me} from pidquery {} (procps-ng 4.0.2 pgrep)\n",
                        env!("CARGO_PKG_VERSION")
                    )))
                }
                args::NS => {
                    // pgrep 4.0.2 reads it with `atoi`; for 0 (no number)
                    // its switch falls through into `-r`'s case, which
                    // takes the text as run states.
                    match atoi(&v) {
                        0 => c.states = runstates(&v),
                        pid => c.ns = Some(pid),
                    }
                    criteria += 1;
                }
                args::NSLIST => {
                    // pgrep's `split_list`: an empty list is a usage error;
                    // an unknown item ends pgrep with status 2 and no
                    // message; each item replaces the mask, so the last
                    // one is the list.
                    if v.is_empty() {
                        return Err(Stop::Usage(None));
                    }
                    for t in v.split(|&b| b == b',') {
                        c.nslist = Some(Namespaces::from_link_name(t).ok_or(Stop::Exit(2))?);
                    }
                }
                args::CGROUP => {
                    if v.is_empty() {
                        return Err(Stop::Usage(None));
                    }
                    c.cgroup = Some(v.split(|&b| b == b',').map(<[u8]>::to_vec).collect());
                    criteria += 1;
                }
                _ => match u8::try_from(code).unwrap_or(0) {
                    b'd' => c.delim = v,
                    b'l' => c.list_name = true,
                    b'a' => c.list_full = true,
                    b'v' => c.negate = true,
                    b'w' => c.threads = true,
                    b'c' => c.count = true,
                    b'f' => c.full = true,
                    b'g' => {
                        c.pgrp.extend(pids(&v, "invalid process group", own_pgrp)?);
                        criteria += 1;
                    }
                    b'G' => {
                        c.rgid.extend(ids(&v, "/etc/group", "group")?);
                        criteria += 1;
                    }
                    b'i' => icase = true,
                    b'n' => {
                        c.newest = true;
                        criteria += 1;
                    }
                    b'o' => {
                        c.oldest = true;
                        criteria += 1;
                    }
                    b'O' => {
                        // As pgrep's `atoi`: leading digits, else 0.
                        let t = String::from_utf8_lossy(&v);
                        let digits: String = t
                            .trim_start()
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        c.older = Some(digits.parse().unwrap_or(0));
                        criteria += 1;
                    }
                    b'P' => {
                        c.parent.extend(pids(&v, "not a number", || Pid::ZERO)?);
                        criteria += 1;
                    }
                    b's' => {
                        c.session
                            .extend(pids(&v, "invalid session id", own_session)?);
                        criteria += 1;
                    }
                    b't' => {
                        // pgrep's `split_list` refuses an empty list.
                        if v.is_empty() {
                            return Err(Stop::Usage(None));
                        }
                        let devs = c.tty.get_or_insert_with(Vec::new);
                        for name in split(&v) {
                            match name {
                                "?" => c.no_tty = true,
                                _ => devs.extend(terminal(name)),
                            }
                        }
                        criteria += 1;
                    }
                    b'u' => {
                        c.euid.extend(ids(&v, "/etc/passwd", "user")?);
                        criteria += 1;
                    }
                    b'U' => {
                        c.ruid.extend(ids(&v, "/etc/passwd", "user")?);
                        criteria += 1;
                    }
                    b'x' => exact = true,
                    b'F' => {
                        pidfile = Some(v);
                        criteria += 1;
                    }
                    b'L' => lock = true,
                    b'A' => c.ancestors = true,
                    b'r' => {
                        c.states = runstates(&v);
                        criteria += 1;
                    }
                    _ => return Err(Stop::Usage(None)),
                },
            }
        }
        // pgrep refuses -n with -o, and either with -v.
        if (c.newest && c.oldest) || (c.negate && (c.newest || c.oldest)) {
            return Err(Stop::Usage(None));
        }
        // After the options, in pgrep's order: -L without -F, then the
        // pidfile (exit 1 when it holds no pid), then the operands.
        if lock && pidfile.is_none() {
            return Err(Stop::Hint("-L without -F makes no sense".into()));
        }
        if let Some(path) = pidfile {
            c.pidfile = Some(crate::pidfile::read(&path, lock).ok_or_else(|| {
                Stop::Fail(
                    format!("pidfile not valid\nTry `{me} --help' for more information."),
                    1,
                )
            })?);
        }
        // pgrep tests its conditions in an `else if` chain whose terminal
        // branch decides the match by itself: with -t, -r and --cgroup are
        // never tested (measured against procps-ng 4.0.2; -O and --ns
        // still are).
        if c.tty.is_some() {
            c.states = None;
            c.cgroup = None;
        }
        let mut operands = parsed.operands;
        if operands.len() > 1 {
            return Err(Stop::Hint("only one pattern can be provided".into()));
        }
        if let Some(pattern) = operands.pop() {
            criteria += 1;
            c.long_pattern = !c.full && pattern.len() > 15;
            let text = String::from_utf8_lossy(&pattern);
            let text = if exact {
                format!("^({text})$")
            } else {
                text.into_owned()
            };
            let re = RegexBuilder::new(&text)
                .unicode(false)
                .case_insensitive(icase)
                .dot_matches_new_line(true)
                .build()
                .map_err(|e| {
                    Stop::Fail(format!("regex error: {}", first_line(&e.to_string())), 2)
                })?;
            c.regex = Some(re);
        }
        if criteria == 0 {
            return Err(Stop::Hint("no matching criteria specified".into()));
        }
        Ok(c)
    }
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

/// The device of the terminal pgrep names `name` (`pts/3`, `tty1`,
/// `console`): `/dev/<name>`, when it is a character device itself.
///
/// pgrep compares names, not devices: it names each process's terminal
/// after `/dev/` (from `/proc/tty/drivers`) and compares the strings. So
/// only the names it prints can match: never `/dev/pts/3`, `pts//3`,
/// `pts/../tty1` or a link such as `stdin`.
fn terminal(name: &str) -> Option<Dev> {
    if name.split('/').any(|part| matches!(part, "" | "." | "..")) {
        return None;
    }
    let meta = std::fs::symlink_metadata(format!("/dev/{name}")).ok()?;
    meta.file_type()
        .is_char_device()
        .then(|| Dev::from_raw(meta.rdev()))
}

fn own_pgrp() -> Pid {
    Pid::this().info().map(|i| i.pgid).unwrap_or(Pid::ZERO)
}

fn own_session() -> Pid {
    Pid::this()
        .info()
        .ok()
        .and_then(|i| i.sid)
        .unwrap_or(Pid::ZERO)
}
