//! Whether a proc root may be answered through calls that do not go
//! through it.
//!
//! `getpgid(2)`, `pidfd_open(2)` and `PIDFD_GET_INFO` look a pid up in the
//! *caller's* pid namespace and know nothing of a mount's `hidepid`. The
//! answers they give are the proc root's own only when
//!
//! - the proc root is an instance of the caller's pid namespace: the
//!   numbers it lists are the numbers those calls take (`pidns.rs`, which
//!   also says how long that answer holds);
//! - the mount hides nothing: no `hidepid=` among its options. `hidepid`
//!   is per mount (5.8+) and a remount can change it at any time, so it is
//!   read on every query that wants a shortcut, with one `statmount(2)`
//!   (`STATMOUNT_MNT_OPTS`, 6.10+), which prints the options exactly as
//!   `/proc/self/mountinfo` does (`proc_show_options`, `fs/proc/root.c`).
//!   Where that cannot be asked (an older kernel, a mount outside the
//!   caller's mount namespace such as `/proc/<pid>/root/proc`), the answer
//!   is "maybe hidden" and no shortcut is taken.
//!
//! `PIDFD_GET_INFO` itself (6.13+) is probed once per process, on the
//! caller's own pidfd.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::os::fd::AsFd;

use super::pidns::EpochFact;
use super::syscalls::{mount_id, pidfd_get_info, pidfd_open, statmount};
use super::ProcFs;

/// `STATMOUNT_SB_BASIC`: `sb_dev_*`, `sb_magic`, `sb_flags`.
const STATMOUNT_SB_BASIC: u64 = 0x1;
/// `STATMOUNT_MNT_OPTS`: the options string (6.10+).
const STATMOUNT_MNT_OPTS: u64 = 0x80;
/// `STATMOUNT_SUPPORTED_MASK`: `supported_mask` (6.15+).
const STATMOUNT_SUPPORTED_MASK: u64 = 0x1000;
/// Offsets in `struct statmount` (`include/uapi/linux/mount.h`).
const SM_MNT_OPTS: usize = 4;
const SM_MASK: usize = 8;
const SM_SB_MAGIC: usize = 24;
const SM_SUPPORTED_MASK: usize = 144;
/// The strings follow the 512-byte fixed part.
const SM_STR: usize = 512;

/// `PIDFD_INFO_PID | PIDFD_INFO_CREDS`: always set by `PIDFD_GET_INFO`.
const PIDFD_INFO_PID_CREDS: u64 = 0x1 | 0x2;

/// `PIDFD_GET_INFO` support of this kernel: unknown, works, does not.
static PIDFD_INFO: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = 0;
const WORKS: u8 = 1;
const ABSENT: u8 = 2;

/// What a [`ProcFs`] remembers about its shortcuts.
#[derive(Debug, Default)]
pub(super) struct Shortcuts {
    /// Whether the root shows the caller's pid namespace, with the epoch
    /// of the process that found it (`pidns.rs`).
    pub(super) caller_ns: EpochFact,
    /// The mount's unique id plus one (0: not looked up yet; 1: none).
    mount: AtomicU64,
}

impl ProcFs {
    /// Whether the mount hides nothing right now: its options, read now,
    /// hold no `hidepid=`. `false` when they cannot be read.
    pub(super) fn hides_nothing(&self) -> bool {
        let mut cached = self.shortcuts.mount.load(Ordering::Relaxed);
        if cached == 0 {
            let id = mount_id(self.root.as_fd()).ok().flatten();
            cached = id.map_or(1, |id| id.saturating_add(1).max(2));
            self.shortcuts.mount.store(cached, Ordering::Relaxed);
        }
        let Some(mnt_id) = cached.checked_sub(1).filter(|&id| id != 0) else {
            return false;
        };
        let mut buf = [0u8; 1024];
        let mask = STATMOUNT_SB_BASIC | STATMOUNT_MNT_OPTS | STATMOUNT_SUPPORTED_MASK;
        let Ok(n) = statmount(mnt_id, mask, &mut buf) else {
            return false;
        };
        let options_known_empty_or_read = mount_options(buf.get(..n).unwrap_or_default());
        match options_known_empty_or_read {
            MountOptions::Read(options) => !has_hidepid(options),
            MountOptions::Empty => true,
            // Before 6.15 an empty options string cannot be told from a
            // kernel that does not print them; a kernel with
            // PIDFD_GET_INFO (6.13) has STATMOUNT_MNT_OPTS (6.10).
            MountOptions::EmptyOrUnknown => pidfd_info_works(),
            MountOptions::Unusable => false,
        }
    }
}

/// Whether `PIDFD_GET_INFO` works on this kernel: probed once, on a pidfd
/// of the caller itself.
pub(super) fn pidfd_info_works() -> bool {
    match PIDFD_INFO.load(Ordering::Relaxed) {
        WORKS => true,
        ABSENT => false,
        _ => {
            let me = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
            let answer = match pidfd_open(me) {
                Ok(fd) => match pidfd_get_info(fd.as_fd()) {
                    Ok(info) => Some(
                        info.mask & PIDFD_INFO_PID_CREDS == PIDFD_INFO_PID_CREDS
                            && i64::from(info.tgid) == i64::from(me),
                    ),
                    // ENOTTY (no such ioctl before 6.13) and the rest.
                    Err(_) => Some(false),
                },
                // Out of descriptors or memory says nothing about the
                // kernel: ask again next time.
                Err(e) if matches!(e.raw(), libc::EMFILE | libc::ENFILE | libc::ENOMEM) => None,
                // ENOSYS before 5.3, or a filter refusing the call.
                Err(_) => Some(false),
            };
            let Some(works) = answer else {
                return false;
            };
            PIDFD_INFO.store(if works { WORKS } else { ABSENT }, Ordering::Relaxed);
            works
        }
    }
}

/// What a `statmount` reply says about the mount's options.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum MountOptions<'a> {
    /// The options string.
    Read(&'a [u8]),
    /// The kernel prints options and this mount has none.
    Empty,
    /// No options string came back, from a kernel that cannot say whether
    /// it prints them.
    EmptyOrUnknown,
    /// Not a procfs reply, or malformed.
    Unusable,
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    let bytes = buf.get(at..)?.first_chunk::<4>()?;
    Some(u32::from_ne_bytes(*bytes))
}

fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    let bytes = buf.get(at..)?.first_chunk::<8>()?;
    Some(u64::from_ne_bytes(*bytes))
}

/// Reads the options out of a `struct statmount` reply for a procfs.
fn mount_options(reply: &[u8]) -> MountOptions<'_> {
    let (Some(mask), Some(magic)) = (u64_at(reply, SM_MASK), u64_at(reply, SM_SB_MAGIC)) else {
        return MountOptions::Unusable;
    };
    if mask & STATMOUNT_SB_BASIC == 0 || magic != libc::PROC_SUPER_MAGIC as u64 {
        return MountOptions::Unusable;
    }
    if mask & STATMOUNT_MNT_OPTS != 0 {
        let Some(at) = u32_at(reply, SM_MNT_OPTS).and_then(|o| usize::try_from(o).ok()) else {
            return MountOptions::Unusable;
        };
        let Some(text) = reply.get(SM_STR.saturating_add(at)..) else {
            return MountOptions::Unusable;
        };
        return match text.iter().position(|&b| b == 0) {
            Some(end) => MountOptions::Read(text.get(..end).unwrap_or_default()),
            None => MountOptions::Unusable,
        };
    }
    let prints_options = mask & STATMOUNT_SUPPORTED_MASK != 0
        && u64_at(reply, SM_SUPPORTED_MASK).is_some_and(|s| s & STATMOUNT_MNT_OPTS != 0);
    if prints_options {
        MountOptions::Empty
    } else if mask & STATMOUNT_SUPPORTED_MASK != 0 {
        MountOptions::Unusable
    } else {
        MountOptions::EmptyOrUnknown
    }
}

/// Whether a mount's comma-separated options hold a `hidepid=` option
/// (`proc_show_options` prints it only when it is not `off`).
fn has_hidepid(options: &[u8]) -> bool {
    options
        .split(|&b| b == b',')
        .any(|option| option.starts_with(b"hidepid="))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn reply(mask: u64, magic: u64, options: Option<&[u8]>, supported: Option<u64>) -> Vec<u8> {
        let mut buf = vec![0u8; SM_STR];
        buf[SM_MASK..SM_MASK + 8].copy_from_slice(&mask.to_ne_bytes());
        buf[SM_SB_MAGIC..SM_SB_MAGIC + 8].copy_from_slice(&magic.to_ne_bytes());
        if let Some(s) = supported {
            buf[SM_SUPPORTED_MASK..SM_SUPPORTED_MASK + 8].copy_from_slice(&s.to_ne_bytes());
        }
        if let Some(opts) = options {
            buf[SM_MNT_OPTS..SM_MNT_OPTS + 4].copy_from_slice(&0u32.to_ne_bytes());
            buf.extend_from_slice(opts);
            buf.push(0);
        }
        buf
    }

    #[test]
    fn statmount_replies_are_read_conservatively() {
        let proc_magic = libc::PROC_SUPER_MAGIC as u64;
        let basic_opts = STATMOUNT_SB_BASIC | STATMOUNT_MNT_OPTS;
        let r = reply(
            basic_opts,
            proc_magic,
            Some(b"gid=5,hidepid=invisible"),
            None,
        );
        assert_eq!(
            mount_options(&r),
            MountOptions::Read(b"gid=5,hidepid=invisible")
        );
        let r = reply(STATMOUNT_SB_BASIC, proc_magic, None, None);
        assert_eq!(mount_options(&r), MountOptions::EmptyOrUnknown);
        let with_supported = STATMOUNT_SB_BASIC | STATMOUNT_SUPPORTED_MASK;
        let r = reply(with_supported, proc_magic, None, Some(0xfff));
        assert_eq!(mount_options(&r), MountOptions::Empty);
        let r = reply(with_supported, proc_magic, None, Some(0x7f));
        assert_eq!(mount_options(&r), MountOptions::Unusable);
        // Not a procfs, no basic fields, an unterminated string, too short.
        let r = reply(basic_opts, 0xEF53, Some(b""), None);
        assert_eq!(mount_options(&r), MountOptions::Unusable);
        let r = reply(STATMOUNT_MNT_OPTS, proc_magic, Some(b""), None);
        assert_eq!(mount_options(&r), MountOptions::Unusable);
        let mut r = reply(basic_opts, proc_magic, Some(b"rw"), None);
        r.pop();
        assert_eq!(mount_options(&r), MountOptions::Unusable);
        assert_eq!(mount_options(&[0u8; 16]), MountOptions::Unusable);
    }

    #[test]
    fn hidepid_is_found_among_options() {
        assert!(has_hidepid(b"hidepid=invisible"));
        assert!(has_hidepid(b"gid=5,hidepid=2"));
        assert!(has_hidepid(b"subset=pid,hidepid=ptraceable"));
        assert!(!has_hidepid(b""));
        assert!(!has_hidepid(b"gid=5,subset=pid"));
        assert!(!has_hidepid(b"xhidepid=2"));
    }

    #[test]
    fn the_live_proc_root_is_the_callers_and_hides_nothing() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        // The machine running the tests mounts /proc plainly in its own
        // pid namespace; the hostile tests cover the other cases.
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let plain = mountinfo
            .lines()
            .find(|l| l.split(' ').nth(4) == Some("/proc"))
            .is_some_and(|l| !l.contains("hidepid="));
        assert!(fs.in_caller_ns());
        assert!(fs.in_caller_ns(), "cached");
        if plain && pidfd_info_works() {
            assert!(fs.hides_nothing());
        }
    }
}
