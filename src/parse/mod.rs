//! Pure, safe parsers of the bytes the kernel hands back.
//!
//! Nothing here performs I/O or allocates; every function takes a byte slice
//! and returns a value or `None`/an error, and is fuzzed (`fuzz/`). The
//! Linux and FreeBSD backends feed them kernel output; tests feed them
//! hostile input.
//!
//! # References
//! - `fs/readdir.c` (`filldir64`, `struct linux_dirent64`)
//! - `fs/proc/util.c` (`name_to_int`)
//! - `fs/proc/array.c` (`do_task_stat`, `proc_pid_status`)
//! - `fs/proc/stat.c` (`show_stat`: `btime`)
//! - `fs/proc/fd.c` (`proc_fd_link`: what an fd refers to)
//! - FreeBSD `sys/sys/user.h` (`struct kinfo_proc`, `struct kinfo_file`),
//!   `sys/kern/kern_proc.c` (`fill_kinfo_proc`), `sys/kern/kern_descrip.c`
//!   (`pack_kinfo`)
//!
//! # Examples
//!
//! ```
//! use pidquery::parse;
//!
//! let stat = parse::stat(b"42 (a) b) S 1 42 42 34816 42 4194304").unwrap();
//! assert_eq!((stat.ppid, stat.pgrp, stat.tty_nr), (1, 42, 34816));
//! assert_eq!(parse::pid_name(b"42").map(|p| p.as_raw()), Some(42));
//! assert_eq!(parse::pid_name(b"042"), None);
//! ```

mod boot;
mod children;
mod digits;
mod dirents;
mod fd_link;
mod kinfo;
mod kinfo_file;
mod path;
mod stat;
mod status;

pub use boot::boot_time;
pub use children::PidList;
pub use digits::pid_name;
pub use dirents::{Dirent, DirentError, Dirents};
pub use fd_link::fd_kind;
pub use kinfo::{kinfo_proc, kinfo_procs, KinfoError, KinfoLayout, KinfoProc, KinfoProcs, NODEV};
pub use kinfo_file::{
    kinfo_files, KinfoFile, KinfoFileError, KinfoFiles, KINFO_FILE_MIN, KINFO_FILE_SIZE,
};
pub use path::{pid_path, PID_PATH_MAX};
pub use stat::{stat, stat_record, Stat, StatRecord};
pub use status::{status_ids, status_uids, Gids, StatusIds, Uids};
