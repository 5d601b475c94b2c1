//! The soak's fixture: a core of processes whose attributes stay put,
//! churning in every way that does not change those attributes, beside
//! churners that fork, exit, exec from threads, move group and session,
//! change uids and leave orphans to a subreaper.
//!
//! Every process here is the soak's test binary re-executed in a mode
//! (named by [`MODE_VAR`], with words in [`ARGS_VAR`]); it runs the
//! `#[ignore]`d test `child_entry`, which calls [`entry`]. libtest runs a
//! test on a thread of its own, so the code here always runs on a thread
//! that is not the thread-group leader: an `exec` from here is an exec
//! from a non-leader thread, and [`leader_exit`](super::churn_calls::leader_exit)
//! ends the leader alone.
//!
//! The tree, all `root`'s descendants (it is a subreaper, so nothing
//! escapes it):
//!
//! ```text
//! root (subreaper, holds the pty's master side)
//! ├── cycle  P: session and group leader, the pty its controlling
//! │   │         terminal, uids core_ruid/core_euid (as root); over and
//! │   │         over its leader exits with SYS_exit and another thread
//! │   │         execs (the same pid, the same children)
//! │   ├── sleep × kids
//! │   ├── texec × texecs: exec from a worker thread, over and over
//! │   └── texec Q: the same, with `sleep` × 2 children of its own
//! ├── reuse R (root only): its own session, `sleep` × 2, and pid X as a
//! │   │        childless child again and again…
//! ├── X (root only): …alternating with X as root's child with children
//! ├── uidflip (root only): euid `flip`, recreating pid Y as a `sleep`
//! │   with that euid from birth, again and again
//! ├── sleep × PADDING (idle)
//! ├── subreaper S: a subreaper, whose middle children each start a
//! │   `sleep` leaf and exit, the leaf moving up to S, two a second
//! └── churners, about 45 a second: setpgid/setsid, uid flips,
//!     children left as orphans, leader exits, exec from threads
//! ```
//!
//! Each core process reports itself once on standard output as
//! `PQ <key> <pid> <pids...>`: `root <root> <tty dev>`, `cycle <P>
//! <children...>`, `sub <Q> <children...>`, `reuse <R> <X> <children...>`,
//! `uidflip <flipper> <Y>`, `subreaper <S>`; and each middle below S
//! `leaf <middle> <leaf>` once its leaf exists.
//! `root` shuts everything down when its standard input closes, reaps
//! every process and exits.

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::churn_calls::{
    check, children_of_every_thread, free_pid, getpid, leader_exit, on_leader, park,
    raise_sys_admin, spawn_with_pid,
};
use super::process::SLEEP_SECS;

/// The mode of a re-executed soak binary.
pub const MODE_VAR: &str = "PIDQUERY_SOAK_MODE";
/// The words of that mode.
pub const ARGS_VAR: &str = "PIDQUERY_SOAK_ARGS";
/// The path of the binary to re-execute (a copy any uid may run).
pub const EXE_VAR: &str = "PIDQUERY_SOAK_EXE";

/// How many `sleep` children the cycling parent has: hundreds, since the
/// time the kernel takes to move them from an exiting thread to another
/// grows with their number, and with it the window a listing can fall in.
pub const CORE_KIDS: usize = 300;
/// How many children of the cycling parent exec from threads (Q besides).
pub const CORE_TEXECS: usize = 3;

/// How many idle `sleep`s the root keeps: with the core, the leaves and
/// the machine's own, scans run above 256 processes, where some checks
/// are deferred.
pub const PADDING: usize = 100;

/// The uids a run as root uses: the core's real and effective ones, the
/// two the churners flip between, and the one of the processes that
/// recreate pid Y: all distinct.
#[derive(Copy, Clone, Debug)]
pub struct Uids {
    pub core_ruid: u32,
    pub core_euid: u32,
    pub churn: [u32; 2],
    pub flip: u32,
}

impl Uids {
    fn word(&self) -> String {
        format!(
            "uids={},{},{},{},{}",
            self.core_ruid, self.core_euid, self.churn[0], self.churn[1], self.flip
        )
    }

    fn parse(args: &Args) -> Option<Uids> {
        let v: Vec<u32> = args
            .get("uids")?
            .split(',')
            .map(|u| u.parse().expect("a uid"))
            .collect();
        Some(Uids {
            core_ruid: v[0],
            core_euid: v[1],
            churn: [v[2], v[3]],
            flip: v[4],
        })
    }
}

/// The command that starts the fixture's root from `exe` (a copy of the
/// soak binary that any uid may run); with `uids`, as root, the core and
/// the churners change uids.
pub fn root_command(exe: &std::path::Path, uids: Option<Uids>) -> Command {
    let mut words = vec!["root".to_string()];
    words.extend(uids.map(|u| u.word()));
    let mut cmd = Command::new(exe);
    cmd.args(super::hostile::child_args())
        .env(MODE_VAR, "root")
        .env(ARGS_VAR, words.join(" "))
        .env(EXE_VAR, exe);
    cmd
}

/// The words of a mode: `key=value` pairs and bare flags.
struct Args(Vec<String>);

impl Args {
    fn from_env() -> Args {
        let words = std::env::var(ARGS_VAR).unwrap_or_default();
        Args(words.split_whitespace().map(str::to_string).collect())
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
    }

    fn num(&self, key: &str) -> u64 {
        self.get(key).map_or(0, |v| v.parse().expect("a number"))
    }

    fn has(&self, flag: &str) -> bool {
        self.0.iter().any(|w| w == flag)
    }
}

/// Runs the mode named in the environment; never returns.
pub fn entry() {
    let mode = std::env::var(MODE_VAR).expect("a soak mode");
    let args = Args::from_env();
    match mode.as_str() {
        "root" => root(&args),
        "cycle" => cycle(&args),
        "texec" => texec(&args),
        "churn" => churn(&args),
        "reuse" => reuse(&args),
        "uidflip" => uid_flip(&args),
        "subreaper" => subreaper(),
        "middle" => middle(),
        other => panic!("unknown soak mode {other}"),
    }
}

fn exe() -> PathBuf {
    PathBuf::from(std::env::var_os(EXE_VAR).expect("the soak binary's path"))
}

/// A command re-executing the soak binary in `mode` with `words`.
fn mode_command(mode: &str, words: &str) -> Command {
    let mut cmd = Command::new(exe());
    cmd.args(super::hostile::child_args())
        .env(MODE_VAR, mode)
        .env(ARGS_VAR, words);
    cmd
}

/// Replaces this process with the soak binary in `mode`, from the calling
/// thread (from a new one if that is the leader).
fn reexec(mode: &str, words: &str) -> ! {
    if on_leader() {
        // Never from the leader: every exec here is from another thread.
        let (mode, words) = (mode.to_string(), words.to_string());
        std::thread::spawn(move || reexec(&mode, &words));
        park()
    }
    let err = mode_command(mode, words).exec();
    // Nothing to report to: the process has no other job.
    let _ = writeln!(std::io::stderr(), "soak: exec {mode}: {err}");
    std::process::exit(126)
}

/// Prints one report line, whole, at once.
fn report(key: &str, pids: &[i64]) {
    let mut line = format!("PQ {key}");
    for p in pids {
        line.push_str(&format!(" {p}"));
    }
    line.push('\n');
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes()).expect("report");
    out.flush().expect("report");
}

/// Spawns `cmd` and returns its pid, never to be waited on here: the
/// fixture's root, a subreaper, reaps every process of the tree, and
/// until then a core child must stay a child of the process that made it.
#[allow(clippy::zombie_processes)]
fn spawn(cmd: &mut Command) -> std::io::Result<i64> {
    cmd.spawn().map(|child| child.id().into())
}

/// A `sleep` child (standard streams on `/dev/null`); its pid.
fn sleep_child(secs: &str) -> i64 {
    spawn(super::process::quiet(Command::new("sleep").arg(secs))).expect("spawn sleep")
}

/// A small xorshift generator seeded from the pid and the clock.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Rng(nanos ^ (u64::from(std::process::id()) << 32) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn micros(&mut self, max: u64) -> Duration {
        Duration::from_micros(self.below(max))
    }
}

/// The fixture's root: see the module docs.
fn root(args: &Args) {
    let uids = Uids::parse(args);
    // SAFETY: prctl with integer arguments.
    check("subreaper", unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    });
    let (mut master, mut slave) = (0, 0);
    // SAFETY: out-pointers to two ints; NULL name, termios and winsize.
    check("openpty", unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    });
    // SAFETY: `slave` is a descriptor we own, handed to the File.
    let slave = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(slave) };
    let dev = std::os::unix::fs::MetadataExt::rdev(&slave.metadata().expect("fstat the pty"));
    report("root", &[getpid().into(), dev as i64]);

    let mut words = format!("first kids={CORE_KIDS} texecs={CORE_TEXECS}");
    if let Some(u) = uids {
        words.push(' ');
        words.push_str(&u.word());
    }
    spawn(
        mode_command("cycle", &words)
            .stdin(Stdio::from(slave))
            .stderr(Stdio::null()),
    )
    .expect("spawn the cycling parent");

    let stop = Arc::new(AtomicBool::new(false));
    let spawned = Arc::new(AtomicU64::new(0));
    let flips = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    if uids.is_some() {
        let x = free_pid();
        spawn(
            mode_command("reuse", &format!("x={x}"))
                .stdin(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("spawn the reusing parent");
        let (stop, flips) = (stop.clone(), flips.clone());
        threads.push(std::thread::spawn(move || flip_pid(x, &stop, &flips)));
        let words = format!(
            "x={} {}",
            free_pid(),
            uids.map(|u| u.word()).unwrap_or_default()
        );
        spawn(
            mode_command("uidflip", &words)
                .stdin(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("spawn the uid flipper");
    }
    for _ in 0..PADDING {
        sleep_child(SLEEP_SECS);
    }
    spawn(
        mode_command("subreaper", "")
            .stdin(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("spawn the subreaper");
    {
        let (stop, spawned) = (stop.clone(), spawned.clone());
        let churn_uids = uids.map(|u| u.word()).unwrap_or_default();
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng::new();
            while !stop.load(Ordering::Relaxed) {
                let words = format!("first n={} {churn_uids}", rng.below(4));
                if spawn(super::process::quiet(&mut mode_command("churn", &words))).is_ok() {
                    spawned.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(15) + rng.micros(15_000));
            }
        }));
    }
    {
        let stop = stop.clone();
        threads.push(std::thread::spawn(move || reap_until(&stop)));
    }

    // Churn until the test closes our standard input.
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    stop.store(true, Ordering::Relaxed);
    report(
        "stats",
        &[
            spawned.load(Ordering::Relaxed) as i64,
            flips.load(Ordering::Relaxed) as i64,
        ],
    );
    for t in threads {
        let _ = t.join();
    }
    // SAFETY: closing the master descriptor we own.
    unsafe { libc::close(master) };
    shut_down();
    std::process::exit(0)
}

/// Reaps every child (orphans included) until `stop`.
fn reap_until(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let mut status = 0;
        // SAFETY: an out-pointer to an int.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Kills every child until none is left, reaping them: as a subreaper,
/// every orphan of the tree comes here.
fn shut_down() {
    let deadline = Instant::now() + Duration::from_secs(50);
    while Instant::now() < deadline {
        let kids = children_of_every_thread();
        for &k in &kids {
            // SAFETY: kill with a pid and a signal number.
            unsafe { libc::kill(k, libc::SIGKILL) };
        }
        let mut status = 0;
        // SAFETY: an out-pointer to an int.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid < 0 && kids.is_empty() {
            return; // ECHILD: nothing left
        }
        if pid <= 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Says (in the summary's flip count, and a report line) that pids
/// cannot be chosen here; the reuse adversaries then stay idle.
fn clone3_failed(errno: i32) {
    report("clone3-failed", &[errno.into()]);
}

/// Makes pid `x` a child of this process with children of its own, again
/// and again, whenever it is free (the reusing parent takes it between).
fn flip_pid(x: i32, stop: &AtomicBool, flips: &AtomicU64) {
    let argv: Vec<CString> = ["/bin/sh", "-c", "sleep 5 & sleep 0.003; kill $!"]
        .iter()
        .map(|a| CString::new(*a).expect("no NUL"))
        .collect();
    let mut rng = Rng::new();
    while !stop.load(Ordering::Relaxed) {
        match spawn_with_pid(x, &argv) {
            Ok(_) => {
                flips.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5) + rng.micros(5000));
            }
            Err(libc::EEXIST) => std::thread::sleep(rng.micros(300)),
            Err(e) => return clone3_failed(e),
        }
    }
}

/// The cycling parent P: see the module docs.
fn cycle(args: &Args) {
    let mut rng = Rng::new();
    let round = args.num("n");
    if args.has("first") {
        // SAFETY: setsid and ioctl on our standard input, integer arguments.
        check("setsid", unsafe { libc::setsid() }.min(0));
        // SAFETY: as above.
        check("TIOCSCTTY", unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) });
        if let Some(u) = Uids::parse(args) {
            // SAFETY: setresuid with integer arguments.
            check("setresuid", unsafe {
                libc::setresuid(u.core_ruid, u.core_euid, u.core_euid)
            });
        }
        let mut kids: Vec<i64> = (0..args.num("kids"))
            .map(|_| sleep_child(SLEEP_SECS))
            .collect();
        for i in 0..=args.num("texecs") {
            let words = if i == 0 { "first kids=2" } else { "first" };
            let child = spawn(
                mode_command("texec", words)
                    .stdin(Stdio::null())
                    .stderr(Stdio::null()),
            );
            kids.push(child.expect("spawn a thread-execing child"));
        }
        let mut line = vec![getpid().into()];
        line.extend(kids);
        report("cycle", &line);
    }
    std::thread::sleep(Duration::from_millis(4) + rng.micros(8000));
    let words = format!("n={}", round + 1);
    match rng.below(3) {
        0 => {
            // A new thread, then the leader exits, then the new thread execs.
            let delay = rng.micros(500);
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                reexec("cycle", &words)
            });
            leader_exit();
            park()
        }
        1 => {
            // The leader exits, then this thread execs.
            leader_exit();
            std::thread::sleep(rng.micros(500));
            reexec("cycle", &words)
        }
        _ => reexec("cycle", &words),
    }
}

/// A core child that execs from a non-leader thread, over and over.
fn texec(args: &Args) {
    let mut rng = Rng::new();
    if args.has("first") && args.num("kids") > 0 {
        let mut line = vec![getpid().into()];
        line.extend((0..args.num("kids")).map(|_| sleep_child(SLEEP_SECS)));
        report("sub", &line);
    }
    std::thread::sleep(Duration::from_millis(10) + rng.micros(30_000));
    reexec("texec", &format!("n={}", args.num("n") + 1))
}

/// The subreaper S: again and again a middle child that starts a `sleep`
/// leaf and exits, so that the leaf, a descendant of S from birth, moves
/// up to S.
fn subreaper() {
    // SAFETY: prctl with integer arguments.
    check("subreaper", unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    });
    report("subreaper", &[getpid().into()]);
    let mut rng = Rng::new();
    loop {
        let _ = spawn(mode_command("middle", "").stdin(Stdio::null()));
        std::thread::sleep(Duration::from_millis(300) + rng.micros(300_000));
        let mut status = 0;
        // SAFETY: an out-pointer to an int.
        while unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } > 0 {}
    }
}

/// A middle below S: starts its leaf, reports both, exits soon after.
fn middle() {
    let leaf = sleep_child(SLEEP_SECS);
    report("leaf", &[getpid().into(), leaf]);
    std::thread::sleep(Rng::new().micros(50_000));
    std::process::exit(0)
}

/// The reusing parent R: its own session, two `sleep`s, and pid X as a
/// childless child whenever X is free.
fn reuse(args: &Args) {
    // SAFETY: setsid takes no arguments.
    check("setsid", unsafe { libc::setsid() }.min(0));
    let x = args.num("x") as i32;
    let mut line = vec![getpid().into(), x.into()];
    line.extend((0..2).map(|_| sleep_child(SLEEP_SECS)));
    report("reuse", &line);
    let argv = [CString::new("/bin/true").expect("no NUL")];
    let mut rng = Rng::new();
    loop {
        match spawn_with_pid(x, &argv) {
            Ok(pid) => {
                let mut status = 0;
                // SAFETY: an out-pointer to an int.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                std::thread::sleep(rng.micros(3000));
            }
            Err(libc::EEXIST) => std::thread::sleep(rng.micros(300)),
            Err(e) => {
                clone3_failed(e);
                park()
            }
        }
    }
}

/// The flipper: with euid `flip` (and `CAP_SYS_ADMIN` kept), recreates
/// pid Y again and again as a short `sleep`, whose every incarnation has
/// that euid from birth: neither the flipper nor Y ever has euid 0.
fn uid_flip(args: &Args) {
    let u = Uids::parse(args).expect("uids");
    let y = args.num("x") as i32;
    // SAFETY: prctl with integer arguments.
    check("keepcaps", unsafe {
        libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0)
    });
    // SAFETY: setresuid with integer arguments (glibc applies it to every
    // thread; this one keeps its permitted capabilities).
    check("setresuid", unsafe {
        libc::setresuid(u.flip, u.flip, u.flip)
    });
    raise_sys_admin();
    report("uidflip", &[getpid().into(), y.into()]);
    let argv: Vec<CString> = ["/bin/sleep", "0.005"]
        .iter()
        .map(|a| CString::new(*a).expect("no NUL"))
        .collect();
    let mut rng = Rng::new();
    loop {
        match spawn_with_pid(y, &argv) {
            Ok(pid) => {
                let mut status = 0;
                // SAFETY: an out-pointer to an int.
                unsafe { libc::waitpid(pid, &mut status, 0) };
            }
            Err(libc::EEXIST) => std::thread::sleep(rng.micros(300)),
            Err(e) => {
                clone3_failed(e);
                park()
            }
        }
    }
}

/// A churner: moves group or session, flips uids, leaves children, and
/// execs from threads (its leader sometimes gone first) `n` more times.
fn churn(args: &Args) {
    let mut rng = Rng::new();
    let n = args.num("n");
    let uids = Uids::parse(args);
    if args.has("first") {
        match rng.below(3) {
            // SAFETY: setpgid and setsid with integer arguments.
            0 => unsafe { libc::setpgid(0, 0) },
            // SAFETY: as above.
            1 => unsafe { libc::setsid() },
            _ => 0,
        };
        if let Some(u) = uids {
            // Never the core's uids, never root again.
            // SAFETY: setresuid with integer arguments.
            check("setresuid", unsafe {
                libc::setresuid(u.churn[0], u.churn[1], u.churn[1])
            });
        }
    }
    if let Some(u) = uids {
        let to = u.churn[rng.below(2) as usize];
        // SAFETY: seteuid with an integer argument.
        unsafe { libc::seteuid(to) };
    }
    for _ in 0..rng.below(3) {
        let _ = spawn(super::process::quiet(
            Command::new("sleep").arg(format!("0.0{}", 1 + rng.below(9))),
        ));
    }
    std::thread::sleep(rng.micros(20_000));
    if n == 0 {
        std::process::exit(0);
    }
    let words = match uids {
        Some(u) => format!("n={} {}", n - 1, u.word()),
        None => format!("n={}", n - 1),
    };
    match rng.below(3) {
        0 => {
            let delay = rng.micros(500);
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                reexec("churn", &words)
            });
            leader_exit();
            park()
        }
        1 => {
            leader_exit();
            reexec("churn", &words)
        }
        _ => reexec("churn", &words),
    }
}
