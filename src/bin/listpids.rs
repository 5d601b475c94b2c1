//! `listpids`: print the pids matching one filter, one per line, ascending.
//!
//! Exit status follows `pgrep`: 0 when something matched, 1 when nothing
//! did, 2 for a usage error or a failure (with a one-line message on stderr).

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use pidquery::{Change, Pid, PidBuf, PidQuery, System, Watch};

const USAGE: &str = "\
Usage: listpids [FILTER] [--proc-root PATH] [--count] [--watch MS]

Print the process ids matching one filter, one per line, ascending.
With no filter, every process is listed.

Filters (at most one):
  --uid USER     effective user id (number or user name)
  --ruid USER    real user id (number or user name)
  --ppid PID     parent process id
  --pgrp PGID    process group id
  --tty TTY      controlling terminal: a path such as /dev/pts/3, or pts/3
  --descendants PID
                 the whole subtree below a process (its children, theirs…)

Options:
  --proc-root PATH  read this procfs mount instead of /proc (Linux)
  --count           print how many processes matched instead of their pids
  --watch MS        poll every MS milliseconds and print each change as a
                    line: +PID for a process that appeared, -PID for one
                    that went away (the first poll prints every match as
                    +PID); runs until interrupted
  -h, --help        print this help
  -V, --version     print the version

Exit status: 0 if something matched, 1 if nothing did, 2 on error.";

/// What the command line asked for.
#[derive(Debug, Default)]
struct Args {
    query: Option<(&'static str, PidQuery)>,
    proc_root: Option<PathBuf>,
    count: bool,
    /// `--watch MS`: the polling interval.
    watch: Option<std::time::Duration>,
}

enum Parsed {
    Run(Args),
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
    let query = args.query.map_or(PidQuery::all(), |(_, q)| q);
    let opened;
    let system = match &args.proc_root {
        Some(path) => {
            opened = System::open(path)?;
            &opened
        }
        None => System::live()?,
    };
    if let Some(every) = args.watch {
        if args.count {
            return Err(Failure("--watch cannot be combined with --count".into()));
        }
        return watch(system, query, every);
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
    if let Err(e) = print(pids, args.count) {
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

/// `--watch`: polls until interrupted or the output is closed.
fn watch(
    system: &System,
    query: PidQuery,
    every: std::time::Duration,
) -> Result<ExitCode, Failure> {
    let mut watch = Watch::new(query);
    loop {
        let changes = watch.poll_in(system)?;
        let mut out = io::BufWriter::new(io::stdout().lock());
        let written = changes
            .into_iter()
            .try_for_each(|change| match change {
                Change::Born(pid) => writeln!(out, "+{pid}"),
                Change::Died(pid) => writeln!(out, "-{pid}"),
            })
            .and_then(|()| out.flush());
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(Failure(format!("cannot write the output: {e}"))),
        }
        std::thread::sleep(every);
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
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let arg = arg
            .into_string()
            .map_err(|a| Failure(format!("argument is not valid UTF-8: {a:?}")))?;
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
        let query = match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--count" | "-c" => {
                args.count = true;
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
            "--uid" => ("--uid", PidQuery::uid(user_id(&value("--uid")?)?)),
            "--ruid" => ("--ruid", PidQuery::ruid(user_id(&value("--ruid")?)?)),
            "--ppid" => (
                "--ppid",
                PidQuery::ppid(pid_arg("--ppid", &value("--ppid")?)?),
            ),
            "--pgrp" => (
                "--pgrp",
                PidQuery::pgrp(pid_arg("--pgrp", &value("--pgrp")?)?),
            ),
            "--tty" => ("--tty", PidQuery::tty_path(tty_path(&value("--tty")?))?),
            "--descendants" => (
                "--descendants",
                PidQuery::descendants(pid_arg("--descendants", &value("--descendants")?)?),
            ),
            other => return Err(Failure(format!("unknown argument '{other}' (see --help)"))),
        };
        if let Some((previous, _)) = args.query {
            return Err(Failure(format!(
                "{} cannot be combined with {previous}: give at most one filter",
                query.0
            )));
        }
        args.query = Some(query);
    }
    Ok(Parsed::Run(args))
}

fn pid_arg(flag: &str, value: &str) -> Result<Pid, Failure> {
    value
        .parse::<i32>()
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| Failure(format!("{flag}: '{value}' is not a process id")))
}

/// `/dev/pts/3` stays as is; `pts/3` and `tty1` are taken under `/dev`.
fn tty_path(value: &str) -> PathBuf {
    if value.starts_with('/') {
        PathBuf::from(value)
    } else {
        PathBuf::from("/dev").join(value)
    }
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
