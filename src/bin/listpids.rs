//! `listpids`: print the pids matching a filter, one per line, ascending;
//! or, with `--long`, `--format` or `--json`, who each process is. One
//! classic filter runs as a [`PidQuery`]; combined conditions
//! (`conditions.rs`) as a [`pidquery::Query`] (`combined.rs`).
//!
//! Exit status follows `pgrep`: 0 when something matched, 1 when nothing
//! did, 2 for a usage error or a failure (with a one-line message on stderr).

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use pidquery::{Change, Pid, PidBuf, PidQuery, System, Watch};

#[path = "listpids/combined.rs"]
mod combined;
#[path = "listpids/conditions.rs"]
mod conditions;
#[path = "listpids/output.rs"]
mod output;

const USAGE: &str = "\
Usage: listpids [CONDITION...] [--proc-root PATH] [--count | --long | --format LIST | --json | --watch MS [--track-reuse]]
       listpids all | uid [UID] | ruid [UID] | ppid [PID] | pgrp [PGID] | tty TTY

Print the process ids matching the conditions, one per line, ascending.
With no condition, every process is listed (this one included).

Conditions: a process must satisfy every option given (AND); a comma list
inside one option accepts any of its values (OR), as pgrep's lists do.
  --uid, --euid USER  effective user id (number or user name)
  --ruid USER         real user id (number or user name)
  --rgid GROUP        real group id (number or group name)
  --ppid, --parent PID
                      parent process id
  --pgrp PGID         process group id
  --session SID       session id
  --tty TTY           controlling terminal: a path such as /dev/pts/3, or pts/3
  --descendants PID   the whole subtree below a process (its children, theirs…)
  --state LETTERS     run state: R S D T t Z X I P (as in ps), e.g. T or R,S
  --name NAME         the short process name (Linux: at most 15 bytes) is NAME
  --name-prefix TEXT  … starts with TEXT
  --name-contains TEXT
                      … contains TEXT
  --cmdline TEXT      the command line, as ps -o args shows it, is TEXT (one
                      pattern: commas are part of it)
  --cmdline-prefix TEXT, --cmdline-contains TEXT
                      … starts with, contains TEXT
  --ignore-case       compare names and command lines ignoring ASCII case
  --started-before TIME, --started-after TIME
                      started strictly before / after TIME: seconds since the
                      epoch (or @SECS), or UTC as YYYY-MM-DDTHH:MM:SSZ
  --ns PID            in the same namespaces as process PID (Linux): each kind
                      of --nslist, by default all of cgroup ipc mnt net pid
                      time user uts; a process whose links cannot be read
                      (a zombie, another user's) does not match
  --nslist LIST       the namespace kinds --ns compares, e.g. net,uts
  --cgroup PATH       the cgroup v2 path (the 0:: line of /proc/PID/cgroup) is
                      PATH, e.g. /system.slice/sshd.service (Linux)
  --not               the processes that do NOT satisfy the conditions
  --newest, --oldest  only the match started last (first)
One of --uid --ruid --ppid --pgrp --tty --descendants alone, with one value,
is a classic filter (the library's PidQuery).

The classic filters as subcommands (the form of the original listpids tool;
not combined with the conditions above):
  all            every process
  uid [UID]      effective user id, by default this process's
  ruid [UID]     real user id, by default this process's
  ppid [PID]     parent process id, by default this process's parent
  pgrp [PGID]    process group id, by default this process's group
  tty TTY        controlling terminal, as for --tty

Output (at most one; a process that exits meanwhile is left out):
  --count        how many processes matched instead of their pids
  --long         columns PID PPID PGID SID TTY UID RUID STAT START COMMAND
  --format LIST  the columns named in LIST, comma-separated: pid ppid pgid
                 sid tty uid ruid stat start command euid suid egid rgid
                 sgid threads exe
  --json         one JSON object per line with the keys pid ppid pgid sid
                 tty ruid euid suid rgid egid sgid state start threads comm
                 exe (null where a value cannot be had)

Columns: UID is the effective uid; TTY the terminal's name under /dev (?
without one); STAT the state letter then < (nice < 0), N (nice > 0),
s (session leader), l (multi-threaded), + (foreground group), as in ps;
START the start time in UTC (ISO 8601); COMMAND the short command name,
control characters as ?; - where the platform cannot give a value.

Options:
  --proc-root PATH  read this procfs mount instead of /proc (Linux)
  --watch MS        poll every MS milliseconds and print each change as a
                    line: +PID for a process that appeared, -PID for one
                    that went away (the first poll prints every match as
                    +PID); runs until interrupted
  --track-reuse     with --watch: also tell a pid reused between two polls
                    from the process it named, printed as -PID then +PID
                    (one identity check per listed process and poll; one
                    classic filter only)
  -h, --help        print this help
  -V, --version     print the version

Exit status: 0 if something matched, 1 if nothing did, 2 on error.";

/// What the command line asked for.
#[derive(Debug, Default)]
struct Args {
    /// A subcommand's filter.
    query: Option<(&'static str, PidQuery)>,
    /// The conditions given as long options.
    conds: conditions::Conditions,
    proc_root: Option<PathBuf>,
    count: bool,
    /// `--watch MS`: the polling interval.
    watch: Option<std::time::Duration>,
    /// `--track-reuse`: the watch compares identities too.
    track_reuse: bool,
    /// `--long`, `--format` or `--json`, with the flag that asked.
    infos: Option<(&'static str, output::Mode)>,
    /// A subcommand's filter whose value defaults to this process's.
    default: Option<Own>,
}

/// A subcommand filter given without its value.
#[derive(Debug, Copy, Clone)]
enum Own {
    Uid,
    Ruid,
    Pgrp,
}

enum Parsed {
    Run(Box<Args>),
    Help,
    Version,
}

/// A usage or lookup error: one line for stderr.
struct Failure(String);

impl From<pidquery::Error> for Failure {
    fn from(e: pidquery::Error) -> Failure {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    match run(std::env::args_os().skip(1).collect()) {
        Ok(code) => code,
        Err(Failure(msg)) => {
            let _ = writeln!(io::stderr(), "listpids: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(argv: Vec<OsString>) -> Result<ExitCode, Failure> {
    let args = match parse_args(argv)? {
        Parsed::Help => {
            let _ = writeln!(io::stdout(), "{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Parsed::Version => {
            let _ = writeln!(io::stdout(), "listpids {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        Parsed::Run(args) => args,
    };
    let opened;
    let system = match &args.proc_root {
        Some(path) => {
            opened = System::open(path)?;
            &opened
        }
        None => System::live()?,
    };
    let query = match args.conds.classic()? {
        Some(query) => query,
        None if !args.conds.is_empty() => return combined::run(system, &args),
        None => classic_query(&args)?,
    };
    run_classic(system, &args, query)
}

/// The query of a subcommand (or of none: every process).
fn classic_query(args: &Args) -> Result<PidQuery, Failure> {
    Ok(match args.default {
        // This process as the system read sees it (its own pid namespace
        // when the proc root is another).
        Some(default) => {
            let me = System::live()?.info(Pid::this())?;
            match default {
                Own::Uid => PidQuery::uid(me.euid),
                Own::Ruid => PidQuery::ruid(me.ruid),
                Own::Pgrp => PidQuery::pgrp(me.pgid),
            }
        }
        None => args.query.map_or(PidQuery::all(), |(_, q)| q),
    })
}

/// One classic filter: the library's [`PidQuery`], its infos and its watch.
fn run_classic(system: &System, args: &Args, query: PidQuery) -> Result<ExitCode, Failure> {
    if let Some((_, mode)) = &args.infos {
        let printed = output::print(system, &query, mode).map_err(Failure)?;
        return Ok(if printed == 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    if let Some(every) = args.watch {
        if args.count {
            return Err(Failure("--watch cannot be combined with --count".into()));
        }
        return watch(system, query, every, args.track_reuse);
    }
    if args.track_reuse {
        return Err(Failure("--track-reuse needs --watch".into()));
    }
    let mut buf = PidBuf::new();
    let pids = system.fill(&query, &mut buf)?;
    let mut sorted;
    let pids = if pids.windows(2).all(|w| w[0] < w[1]) {
        pids
    } else {
        // macOS lists newest first; the output is always ascending.
        sorted = pids.to_vec();
        sorted.sort_unstable();
        &sorted[..]
    };
    print_pids(pids, args.count)
}

/// `--watch`: polls until interrupted or the output is closed.
fn watch(
    system: &System,
    query: PidQuery,
    every: std::time::Duration,
    track_reuse: bool,
) -> Result<ExitCode, Failure> {
    let mut watch = Watch::new(query);
    if track_reuse {
        watch = watch.track_reuse();
    }
    loop {
        if !print_changes(watch.poll_in(system)?)? {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(every);
    }
}

/// Prints the pids, or their count; the exit status follows.
fn print_pids(pids: &[Pid], count: bool) -> Result<ExitCode, Failure> {
    if let Err(e) = print(pids, count) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(Failure(format!("cannot write the output: {e}")));
        }
    }
    Ok(if pids.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints one watch poll's changes; `false` once the output is closed.
fn print_changes(changes: pidquery::Changes<'_>) -> Result<bool, Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = changes
        .into_iter()
        .try_for_each(|change| match change {
            Change::Born(pid) => writeln!(out, "+{pid}"),
            Change::Died(pid) => writeln!(out, "-{pid}"),
        })
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure(format!("cannot write the output: {e}"))),
    }
}

fn print(pids: &[Pid], count: bool) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    if count {
        writeln!(out, "{}", pids.len())?;
    } else {
        for pid in pids {
            writeln!(out, "{pid}")?;
        }
    }
    out.flush()
}

fn parse_args(argv: Vec<OsString>) -> Result<Parsed, Failure> {
    let mut args = Args::default();
    let mut it = argv.into_iter().peekable();
    while let Some(arg) = it.next() {
        let arg = arg
            .into_string()
            .map_err(|a| Failure(format!("argument is not valid UTF-8: {a:?}")))?;
        if let Some(sub) = subcommand(&arg) {
            let query = take_subcommand(sub, &mut it, &mut args)?;
            if let Some((previous, _)) = args.query {
                return Err(Failure(format!(
                    "{sub} cannot be combined with {previous}: give at most one filter"
                )));
            }
            args.query = Some(query);
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = |name: &str| -> Result<String, Failure> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it
                    .next()
                    .ok_or_else(|| Failure(format!("{name} needs a value (see --help)")))?
                    .into_string()
                    .map_err(|a| Failure(format!("{name}: value is not valid UTF-8: {a:?}"))),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--count" | "-c" => {
                set_output(&mut args, "--count", None)?;
                continue;
            }
            "--long" | "-l" => {
                let mode = output::Mode::Table(output::LONG.to_vec());
                set_output(&mut args, "--long", Some(mode))?;
                continue;
            }
            "--format" | "-o" => {
                let columns = output::parse_format(&value("--format")?).map_err(Failure)?;
                set_output(&mut args, "--format", Some(output::Mode::Table(columns)))?;
                continue;
            }
            "--json" => {
                set_output(&mut args, "--json", Some(output::Mode::Json))?;
                continue;
            }
            "--proc-root" => {
                args.proc_root = Some(PathBuf::from(value("--proc-root")?));
                continue;
            }
            "--watch" => {
                let ms = value("--watch")?;
                let ms = ms.parse::<u64>().ok().filter(|&ms| ms > 0).ok_or_else(|| {
                    Failure(format!(
                        "--watch: '{ms}' is not a positive number of milliseconds"
                    ))
                })?;
                args.watch = Some(std::time::Duration::from_millis(ms));
                continue;
            }
            "--track-reuse" => {
                args.track_reuse = true;
                continue;
            }
            other => {
                let Some(flag) = conditions::flag(other) else {
                    return Err(Failure(format!("unknown argument '{other}' (see --help)")));
                };
                let v = if conditions::takes_value(flag) {
                    Some(value(flag)?)
                } else if let Some(v) = &inline {
                    return Err(Failure(format!("{flag} takes no value, got '{v}'")));
                } else {
                    None
                };
                args.conds.add(flag, v.as_deref())?;
            }
        }
    }
    args.conds.finish()?;
    if let (Some((sub, _)), Some(flag)) = (args.query, args.conds.given.first()) {
        return Err(Failure(format!(
            "{sub} cannot be combined with {flag}: give at most one filter"
        )));
    }
    Ok(Parsed::Run(Box::new(args)))
}

/// The subcommand `name` names, if any.
fn subcommand(name: &str) -> Option<&'static str> {
    ["all", "uid", "ruid", "ppid", "pgrp", "tty"]
        .into_iter()
        .find(|s| *s == name)
}

/// The filter of the subcommand `sub`, taking its optional value (the next
/// argument, unless it is a flag); a missing value defaults to this
/// process's own (noted in `args.default` when it must be read).
fn take_subcommand(
    sub: &'static str,
    it: &mut std::iter::Peekable<std::vec::IntoIter<OsString>>,
    args: &mut Args,
) -> Result<(&'static str, PidQuery), Failure> {
    let value = match it.peek().and_then(|a| a.to_str()) {
        Some(v) if !v.starts_with('-') || v.parse::<i64>().is_ok() => {
            let v = v.to_owned();
            it.next();
            Some(v)
        }
        _ => None,
    };
    let query = match (sub, value) {
        ("all", None) => PidQuery::all(),
        ("uid", Some(v)) => PidQuery::uid(user_id(&v)?),
        ("ruid", Some(v)) => PidQuery::ruid(user_id(&v)?),
        ("ppid", Some(v)) => PidQuery::ppid(conditions::pid_arg("ppid", &v)?),
        ("ppid", None) => PidQuery::ppid(Pid::parent()),
        ("pgrp", Some(v)) => PidQuery::pgrp(conditions::pid_arg("pgrp", &v)?),
        ("tty", Some(v)) => PidQuery::tty_path(conditions::tty_path(&v))?,
        ("tty", None) => return Err(Failure("tty needs a terminal (see --help)".to_owned())),
        ("uid", None) | ("ruid", None) | ("pgrp", None) => {
            args.default = Some(match sub {
                "uid" => Own::Uid,
                "ruid" => Own::Ruid,
                _ => Own::Pgrp,
            });
            PidQuery::all()
        }
        (sub, Some(v)) => return Err(Failure(format!("{sub} takes no value, got '{v}'"))),
        (sub, None) => return Err(Failure(format!("unknown subcommand '{sub}'"))),
    };
    Ok((sub, query))
}

/// Records the output flag `flag`; at most one may be given.
fn set_output(
    args: &mut Args,
    flag: &'static str,
    mode: Option<output::Mode>,
) -> Result<(), Failure> {
    let previous = match (&args.infos, args.count) {
        (Some((previous, _)), _) => Some(*previous),
        (None, true) => Some("--count"),
        (None, false) => None,
    };
    if let Some(previous) = previous {
        return Err(Failure(format!(
            "{flag} cannot be combined with {previous}: give at most one output"
        )));
    }
    match mode {
        Some(mode) => args.infos = Some((flag, mode)),
        None => args.count = true,
    }
    Ok(())
}

/// A uid given as a number, or a user name looked up in `/etc/passwd`, then
/// through `id -u` (which also sees directory services).
fn user_id(value: &str) -> Result<u32, Failure> {
    if let Ok(uid) = value.parse::<u32>() {
        return Ok(uid);
    }
    if value.is_empty() || value.starts_with('-') {
        return Err(Failure(format!("'{value}' is not a user id or user name")));
    }
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
        for line in passwd.lines() {
            let mut fields = line.split(':');
            if fields.next() == Some(value) {
                if let Some(uid) = fields.nth(1).and_then(|f| f.parse().ok()) {
                    return Ok(uid);
                }
            }
        }
    }
    let out = std::process::Command::new("id")
        .args(["-u", "--", value])
        .stderr(std::process::Stdio::null())
        .output();
    if let Ok(out) = out {
        if out.status.success() {
            if let Some(uid) = std::str::from_utf8(&out.stdout)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                return Ok(uid);
            }
        }
    }
    Err(Failure(format!("unknown user '{value}'")))
}
