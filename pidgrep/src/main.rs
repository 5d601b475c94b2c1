//! `pidgrep`: procps-ng 4.0's `pgrep`, with the same command line, output
//! and exit status, answered by one `pidquery::Query` (its planner reads
//! each process's files at most once, and only as far as the conditions
//! need).
//!
//! Exit status: 0 when something matched, 1 when nothing did, 2 for a
//! command-line error, 3 for a fatal one — as pgrep.

mod args;
mod config;
mod output;
mod pidfile;
mod threads;

use std::io::Write;
use std::process::ExitCode;

use config::Config;

/// The name messages start with: the program's own, as pgrep's.
fn program() -> String {
    std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "pgrep".into())
}

const USAGE: &str = "
Usage:
 pgrep [options] <pattern>

Options:
 -d, --delimiter <string>  specify output delimiter
 -l, --list-name           list PID and process name
 -a, --list-full           list PID and full command line
 -v, --inverse             negates the matching
 -w, --lightweight         list all TID
 -c, --count               count of matching processes
 -f, --full                use full process name to match
 -g, --pgroup <PGID,...>   match listed process group IDs
 -G, --group <GID,...>     match real group IDs
 -i, --ignore-case         match case insensitively
 -n, --newest              select most recently started
 -o, --oldest              select least recently started
 -O, --older <seconds>     select where older than seconds
 -P, --parent <PPID,...>   match only child processes of the given parent
 -s, --session <SID,...>   match session IDs
 -t, --terminal <tty,...>  match by controlling terminal
 -u, --euid <ID,...>       match by effective IDs
 -U, --uid <ID,...>        match by real IDs
 -x, --exact               match exactly with the command name
 -F, --pidfile <file>      read PIDs from file
 -L, --logpidfile          fail if PID file is not locked
 -r, --runstates <state>   match runstates [D,S,Z,...]
 -A, --ignore-ancestors    exclude our ancestors from results
 --cgroup <grp,...>        match by cgroup v2 names
 --ns <PID>                match the processes that belong to the same
                           namespace as <pid>
 --nslist <ns,...>         list which namespaces will be considered for
                           the --ns option.
                           Available namespaces: ipc, mnt, net, pid, user, uts

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see pgrep(1).
";

/// How a run ends early.
pub enum Stop {
    /// getopt's complaint: the message, then the usage, exit 2.
    Usage(Option<String>),
    /// A message and the `--help` hint, exit 2.
    Hint(String),
    /// A message alone, with this exit status.
    Fail(String, u8),
    /// Help or version, on standard output, exit 0.
    Print(String),
    /// No message, this exit status.
    Exit(u8),
}

fn main() -> ExitCode {
    let me = program();
    let parsed = args::parse(std::env::args_os().skip(1).collect());
    let config = parsed
        .map_err(|bad| Stop::Usage(Some(bad.0)))
        .and_then(|p| Config::from_args(p, &me));
    let outcome = config.and_then(|c| output::run(&c, &me));
    match outcome {
        Ok(found) => ExitCode::from(if found { 0 } else { 1 }),
        Err(Stop::Usage(msg)) => {
            if let Some(msg) = msg {
                eprintln!("{me}: {msg}");
            }
            eprint!("{}", USAGE.replace(" pgrep [", &format!(" {me} [")));
            ExitCode::from(2)
        }
        Err(Stop::Hint(msg)) => {
            eprintln!("{me}: {msg}\nTry `{me} --help' for more information.");
            ExitCode::from(2)
        }
        Err(Stop::Fail(msg, code)) => {
            eprintln!("{me}: {msg}");
            ExitCode::from(code)
        }
        Err(Stop::Exit(code)) => ExitCode::from(code),
        Err(Stop::Print(text)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
    }
}

/// The help text for `-h`.
pub fn usage(me: &str) -> String {
    USAGE.replace(" pgrep [", &format!(" {me} ["))
}
