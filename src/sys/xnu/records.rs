//! The records `proc_pidinfo` copies out, mirrored field for field, and
//! their bytes read and written in safe code.
//!
//! `libc` defines `proc_bsdinfo` and its siblings for macOS only (and not
//! the private `proc_uniqidentifierinfo` at all), so the call patterns,
//! which every host compiles, use these `#[repr(C)]` mirrors. Each mirror is
//! the single source of its offsets: [`decode`](BsdInfo::decode) and
//! [`encode`](BsdInfo::encode) read and write every field at its
//! `offset_of!`, so the bytes the model writes are the bytes the kernel
//! would. On macOS, compile-time assertions hold every size and offset to
//! `libc`'s own struct, so a layout mistake fails the cross-target check.
//!
//! Every field is a plain integer or byte array, every bit pattern is
//! valid, and no record has padding (each size is a multiple of its
//! alignment and the fields pack naturally; asserted below): a buffer of
//! `SIZE` bytes is all a record needs.
//!
//! # References
//! - xnu `bsd/sys/proc_info.h` (`proc_bsdinfo`, `proc_bsdshortinfo`,
//!   `proc_taskinfo`, `proc_taskallinfo`, `proc_threadinfo`, `proc_fdinfo`)
//! - xnu `bsd/sys/proc_info_private.h` (`proc_uniqidentifierinfo`,
//!   `proc_bsdinfowithuniqid`)

// The live backend only decodes; encoding, and the inherent helpers, serve
// the model (and the tests).
#![cfg_attr(not(any(feature = "model", test)), allow(dead_code))]

use core::mem::{offset_of, size_of};

/// A field of a record: read from and written to native-endian bytes at an
/// offset. Out-of-range offsets read as zero and write nothing (they cannot
/// occur: every offset is an `offset_of!` inside a buffer of the record's
/// asserted size).
pub trait Field: Copy {
    /// The all-zero value.
    const ZERO: Self;
    /// The value stored at `bytes[at..]`.
    fn read(bytes: &[u8], at: usize) -> Self;
    /// Stores the value at `bytes[at..]`.
    fn write(&self, bytes: &mut [u8], at: usize);
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const ZERO: $t = 0;
            #[inline]
            fn read(bytes: &[u8], at: usize) -> $t {
                let end = at.saturating_add(size_of::<$t>());
                match bytes.get(at..end).and_then(|b| b.try_into().ok()) {
                    Some(b) => <$t>::from_ne_bytes(b),
                    None => 0,
                }
            }
            #[inline]
            fn write(&self, bytes: &mut [u8], at: usize) {
                let end = at.saturating_add(size_of::<$t>());
                if let Some(b) = bytes.get_mut(at..end) {
                    b.copy_from_slice(&self.to_ne_bytes());
                }
            }
        }
    )*};
}
int_field!(u32, i32, u64);

impl<const N: usize> Field for [u8; N] {
    const ZERO: [u8; N] = [0; N];
    #[inline]
    fn read(bytes: &[u8], at: usize) -> [u8; N] {
        let end = at.saturating_add(N);
        match bytes.get(at..end).and_then(|b| b.try_into().ok()) {
            Some(b) => b,
            None => [0; N],
        }
    }
    #[inline]
    fn write(&self, bytes: &mut [u8], at: usize) {
        let end = at.saturating_add(N);
        if let Some(b) = bytes.get_mut(at..end) {
            b.copy_from_slice(self);
        }
    }
}

/// A record a flavor copies out whole.
pub trait Record: Copy {
    /// Its size in bytes: what the kernel copies and returns.
    const SIZE: usize;
    /// The record held by the first `SIZE` bytes (zeros past the end).
    fn decode_from(bytes: &[u8]) -> Self;
}

/// Defines a mirror: the struct, `SIZE`, `ZEROED`, `decode`, `encode`, and
/// the no-padding assertion (the sum of the field sizes is the size).
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident: $size:literal {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The record's size in bytes.
            pub const SIZE: usize = $size;

            /// Every field zero.
            pub const ZEROED: $name = $name { $($field: <$ty as Field>::ZERO,)* };

            /// The record these bytes hold, native-endian as the kernel
            /// copies it out.
            #[inline]
            pub fn decode(bytes: &[u8; $size]) -> $name {
                $name { $($field: <$ty as Field>::read(bytes, offset_of!($name, $field)),)* }
            }

            /// The bytes the kernel copies out for this record.
            #[inline]
            pub fn encode(&self) -> [u8; $size] {
                let mut bytes = [0u8; $size];
                $(Field::write(&self.$field, &mut bytes, offset_of!($name, $field));)*
                bytes
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::ZEROED
            }
        }

        impl Record for $name {
            const SIZE: usize = $size;
            #[inline]
            fn decode_from(bytes: &[u8]) -> $name {
                $name { $($field: <$ty as Field>::read(bytes, offset_of!($name, $field)),)* }
            }
        }

        impl Field for $name {
            const ZERO: $name = $name::ZEROED;
            #[inline]
            fn read(bytes: &[u8], at: usize) -> $name {
                $name::decode_from(bytes.get(at..).unwrap_or_default())
            }
            #[inline]
            fn write(&self, bytes: &mut [u8], at: usize) {
                if let Some(b) = bytes.get_mut(at..) {
                    $(Field::write(&self.$field, b, offset_of!($name, $field));)*
                }
            }
        }

        const _: () = assert!(size_of::<$name>() == $size);
        const _: () = assert!(0 $(+ size_of::<$ty>())* == $size, "padding");
    };
}

record! {
    /// `struct proc_fdinfo` (8 bytes): one entry of `PROC_PIDLISTFDS`.
    pub struct FdInfo: 8 {
        /// The descriptor number.
        pub proc_fd: i32,
        /// Its kind, a `PROX_FDTYPE_*` value.
        pub proc_fdtype: u32,
    }
}

record! {
    /// `struct proc_bsdinfo` (136 bytes): `PROC_PIDTBSDINFO`.
    ///
    /// `pbi_uid`/`pbi_gid` are the *effective* ids. `pbi_comm` (`p_comm`,
    /// at most 15 bytes) and `pbi_name` (`p_name`, at most 31) are
    /// NUL-terminated by the kernel. For a zombie `pbi_nfiles` is 0 and the
    /// task-policy flag bits are absent. `e_tdev` is `NODEV` unless the
    /// process has `P_CONTROLT`.
    pub struct BsdInfo: 136 {
        /// `PROC_FLAG_*` bits.
        pub pbi_flags: u32,
        /// `p_stat`: `SIDL`, `SRUN`, `SSLEEP`, `SSTOP`, `SZOMB`.
        pub pbi_status: u32,
        /// `p_xstat`: the exit status of a zombie.
        pub pbi_xstatus: u32,
        /// The pid.
        pub pbi_pid: u32,
        /// `p_ppid`: the parent, or the tracer while traced.
        pub pbi_ppid: u32,
        /// The effective uid.
        pub pbi_uid: u32,
        /// The effective gid.
        pub pbi_gid: u32,
        /// The real uid.
        pub pbi_ruid: u32,
        /// The real gid.
        pub pbi_rgid: u32,
        /// The saved uid.
        pub pbi_svuid: u32,
        /// The saved gid.
        pub pbi_svgid: u32,
        /// Reserved.
        pub rfu_1: u32,
        /// `p_comm`, NUL-terminated.
        pub pbi_comm: [u8; 16],
        /// `p_name`, NUL-terminated; may be empty.
        pub pbi_name: [u8; 32],
        /// `fd_nfiles`: descriptor-table *slots*, not open descriptors.
        pub pbi_nfiles: u32,
        /// The process group id.
        pub pbi_pgid: u32,
        /// The group's job-control count.
        pub pbi_pjobc: u32,
        /// The controlling terminal's device, or `NODEV`.
        pub e_tdev: u32,
        /// The terminal's foreground process group.
        pub e_tpgid: u32,
        /// `p_nice`.
        pub pbi_nice: i32,
        /// Start time, seconds since the epoch.
        pub pbi_start_tvsec: u64,
        /// Start time, microseconds past `pbi_start_tvsec`.
        pub pbi_start_tvusec: u64,
    }
}

record! {
    /// `struct proc_bsdshortinfo` (64 bytes): `PROC_PIDT_SHORTBSDINFO`, the
    /// record any user may ask of any process. No name, start time,
    /// terminal or nice. The uids come from `p_uid` and friends, which the
    /// kernel keeps equal to the credential's: `pbsi_uid` is effective.
    pub struct BsdShortInfo: 64 {
        /// The pid.
        pub pbsi_pid: u32,
        /// `p_ppid`.
        pub pbsi_ppid: u32,
        /// The process group id.
        pub pbsi_pgid: u32,
        /// `p_stat`.
        pub pbsi_status: u32,
        /// `p_comm`, NUL-terminated.
        pub pbsi_comm: [u8; 16],
        /// `PROC_FLAG_*` bits.
        pub pbsi_flags: u32,
        /// The effective uid.
        pub pbsi_uid: u32,
        /// The effective gid.
        pub pbsi_gid: u32,
        /// The real uid.
        pub pbsi_ruid: u32,
        /// The real gid.
        pub pbsi_rgid: u32,
        /// The saved uid.
        pub pbsi_svuid: u32,
        /// The saved gid.
        pub pbsi_svgid: u32,
        /// Reserved.
        pub pbsi_rfu: u32,
    }
}

record! {
    /// `struct proc_taskinfo` (96 bytes): `PROC_PIDTASKINFO`.
    pub struct TaskInfo: 96 {
        /// Virtual memory size, bytes.
        pub pti_virtual_size: u64,
        /// Resident memory size, bytes.
        pub pti_resident_size: u64,
        /// User time of exited threads, in Mach absolute time units.
        pub pti_total_user: u64,
        /// System time of exited threads.
        pub pti_total_system: u64,
        /// User time of live threads.
        pub pti_threads_user: u64,
        /// System time of live threads.
        pub pti_threads_system: u64,
        /// Default scheduling policy.
        pub pti_policy: i32,
        /// Page faults.
        pub pti_faults: i32,
        /// Page-ins.
        pub pti_pageins: i32,
        /// Copy-on-write faults.
        pub pti_cow_faults: i32,
        /// Mach messages sent.
        pub pti_messages_sent: i32,
        /// Mach messages received.
        pub pti_messages_received: i32,
        /// Mach system calls.
        pub pti_syscalls_mach: i32,
        /// BSD system calls.
        pub pti_syscalls_unix: i32,
        /// Context switches.
        pub pti_csw: i32,
        /// Number of threads.
        pub pti_threadnum: i32,
        /// Number of running threads.
        pub pti_numrunning: i32,
        /// Default scheduling priority.
        pub pti_priority: i32,
    }
}

record! {
    /// `struct proc_taskallinfo` (232 bytes): `PROC_PIDTASKALLINFO`, both
    /// records in one call.
    pub struct TaskAllInfo: 232 {
        /// The BSD record.
        pub pbsd: BsdInfo,
        /// The task record.
        pub ptinfo: TaskInfo,
    }
}

record! {
    /// `struct proc_threadinfo` (112 bytes): `PROC_PIDTHREADINFO`.
    pub struct ThreadInfo: 112 {
        /// User time, nanoseconds.
        pub pth_user_time: u64,
        /// System time, nanoseconds.
        pub pth_system_time: u64,
        /// CPU usage, scaled by `TH_USAGE_SCALE`.
        pub pth_cpu_usage: i32,
        /// Scheduling policy.
        pub pth_policy: i32,
        /// `TH_STATE_*`.
        pub pth_run_state: i32,
        /// `TH_FLAGS_*`.
        pub pth_flags: i32,
        /// Seconds asleep.
        pub pth_sleep_time: i32,
        /// Current priority.
        pub pth_curpri: i32,
        /// Priority.
        pub pth_priority: i32,
        /// Maximum priority.
        pub pth_maxpriority: i32,
        /// The thread's name, NUL-terminated.
        pub pth_name: [u8; 64],
    }
}

record! {
    /// `struct proc_uniqidentifierinfo` (56 bytes, private):
    /// `PROC_PIDUNIQIDENTIFIERINFO`, asked of any process by any user.
    pub struct UniqIdentifierInfo: 56 {
        /// The main executable's UUID.
        pub p_uuid: [u8; 16],
        /// `p_uniqueid`: assigned at fork from a 64-bit counter, kept across
        /// exec, never reused.
        pub p_uniqueid: u64,
        /// The parent's `p_uniqueid`.
        pub p_puniqueid: u64,
        /// `p_idversion`: changes on exec.
        pub p_idversion: i32,
        /// The original parent's `p_idversion`.
        pub p_orig_ppidversion: i32,
        /// Reserved.
        pub p_reserve2: u64,
        /// Reserved.
        pub p_reserve3: u64,
    }
}

record! {
    /// `struct proc_bsdinfowithuniqid` (192 bytes, private):
    /// `PROC_PIDT_BSDINFOWITHUNIQID`.
    pub struct BsdInfoWithUniqId: 192 {
        /// The BSD record.
        pub pbsd: BsdInfo,
        /// The identifiers.
        pub p_uniqidentifier: UniqIdentifierInfo,
    }
}

record! {
    /// `struct proc_pidcoalitioninfo` (40 bytes, private):
    /// `PROC_PIDCOALITIONINFO`, asked of any process by any user.
    pub struct CoalitionInfo: 40 {
        /// The resource coalition's id (`COALITION_TYPE_RESOURCE`).
        pub coalition_id_resource: u64,
        /// The jetsam coalition's id (`COALITION_TYPE_JETSAM`).
        pub coalition_id_jetsam: u64,
        /// Reserved.
        pub reserved1: u64,
        /// Reserved.
        pub reserved2: u64,
        /// Reserved.
        pub reserved3: u64,
    }
}

/// The bytes of a NUL-terminated name field up to its first NUL (all of it
/// when there is none).
#[inline]
pub fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or_default()
}

// ---- the layouts, checked against libc on the one OS that defines them ----

#[cfg(target_os = "macos")]
mod layout {
    use core::mem::{offset_of, size_of};

    use super::*;
    use crate::sys::xnu::consts as c;

    macro_rules! same_layout {
        ($ours:ident, $theirs:path, [$($field:ident),* $(,)?]) => {
            const _: () = assert!(size_of::<$ours>() == size_of::<$theirs>());
            $(const _: () = assert!(offset_of!($ours, $field) == offset_of!($theirs, $field));)*
        };
    }

    same_layout!(FdInfo, libc::proc_fdinfo, [proc_fd, proc_fdtype]);
    same_layout!(
        BsdInfo,
        libc::proc_bsdinfo,
        [
            pbi_flags,
            pbi_status,
            pbi_xstatus,
            pbi_pid,
            pbi_ppid,
            pbi_uid,
            pbi_gid,
            pbi_ruid,
            pbi_rgid,
            pbi_svuid,
            pbi_svgid,
            rfu_1,
            pbi_comm,
            pbi_name,
            pbi_nfiles,
            pbi_pgid,
            pbi_pjobc,
            e_tdev,
            e_tpgid,
            pbi_nice,
            pbi_start_tvsec,
            pbi_start_tvusec,
        ]
    );
    // `pbsi_rfu` is private in libc; the size pins it.
    same_layout!(
        BsdShortInfo,
        libc::proc_bsdshortinfo,
        [
            pbsi_pid,
            pbsi_ppid,
            pbsi_pgid,
            pbsi_status,
            pbsi_comm,
            pbsi_flags,
            pbsi_uid,
            pbsi_gid,
            pbsi_ruid,
            pbsi_rgid,
            pbsi_svuid,
            pbsi_svgid,
        ]
    );
    same_layout!(
        TaskInfo,
        libc::proc_taskinfo,
        [
            pti_virtual_size,
            pti_resident_size,
            pti_total_user,
            pti_total_system,
            pti_threads_user,
            pti_threads_system,
            pti_policy,
            pti_faults,
            pti_pageins,
            pti_cow_faults,
            pti_messages_sent,
            pti_messages_received,
            pti_syscalls_mach,
            pti_syscalls_unix,
            pti_csw,
            pti_threadnum,
            pti_numrunning,
            pti_priority,
        ]
    );
    same_layout!(TaskAllInfo, libc::proc_taskallinfo, [pbsd, ptinfo]);
    same_layout!(
        ThreadInfo,
        libc::proc_threadinfo,
        [
            pth_user_time,
            pth_system_time,
            pth_cpu_usage,
            pth_policy,
            pth_run_state,
            pth_flags,
            pth_sleep_time,
            pth_curpri,
            pth_priority,
            pth_maxpriority,
            pth_name,
        ]
    );

    // The constants libc does define.
    const _: () = assert!(c::PROC_PIDLISTFDS == libc::PROC_PIDLISTFDS);
    const _: () = assert!(c::PROC_PIDTASKALLINFO == libc::PROC_PIDTASKALLINFO);
    const _: () = assert!(c::PROC_PIDTBSDINFO == libc::PROC_PIDTBSDINFO);
    const _: () = assert!(c::PROC_PIDTASKINFO == libc::PROC_PIDTASKINFO);
    const _: () = assert!(c::PROC_PIDTHREADINFO == libc::PROC_PIDTHREADINFO);
    const _: () = assert!(c::PROC_PIDT_SHORTBSDINFO == libc::PROC_PIDT_SHORTBSDINFO);
    const _: () = assert!(c::PROC_PIDPATHINFO_MAXSIZE == libc::PROC_PIDPATHINFO_MAXSIZE as usize);
    const _: () = assert!(FdInfo::SIZE == libc::PROC_PIDLISTFD_SIZE as usize);
    const _: () = assert!(c::MAXCOMLEN == libc::MAXCOMLEN);
    const _: () = assert!(c::PROX_FDTYPE_ATALK == libc::PROX_FDTYPE_ATALK as u32);
    const _: () = assert!(c::PROX_FDTYPE_VNODE == libc::PROX_FDTYPE_VNODE as u32);
    const _: () = assert!(c::PROX_FDTYPE_SOCKET == libc::PROX_FDTYPE_SOCKET as u32);
    const _: () = assert!(c::PROX_FDTYPE_PSHM == libc::PROX_FDTYPE_PSHM as u32);
    const _: () = assert!(c::PROX_FDTYPE_PSEM == libc::PROX_FDTYPE_PSEM as u32);
    const _: () = assert!(c::PROX_FDTYPE_KQUEUE == libc::PROX_FDTYPE_KQUEUE as u32);
    const _: () = assert!(c::PROX_FDTYPE_PIPE == libc::PROX_FDTYPE_PIPE as u32);
    const _: () = assert!(c::PROX_FDTYPE_FSEVENTS == libc::PROX_FDTYPE_FSEVENTS as u32);
    const _: () = assert!(c::PROX_FDTYPE_NETPOLICY == libc::PROX_FDTYPE_NETPOLICY as u32);
    const _: () = assert!(c::PROX_FDTYPE_CHANNEL == libc::PROX_FDTYPE_CHANNEL as u32);
    const _: () = assert!(c::PROX_FDTYPE_NEXUS == libc::PROX_FDTYPE_NEXUS as u32);
}

// The offsets the reference gives (bsd/sys/proc_info.h, LP64), on every host.
const _: () = assert!(offset_of!(BsdInfo, pbi_comm) == 48);
const _: () = assert!(offset_of!(BsdInfo, pbi_name) == 64);
const _: () = assert!(offset_of!(BsdInfo, pbi_nfiles) == 96);
const _: () = assert!(offset_of!(BsdInfo, e_tdev) == 108);
const _: () = assert!(offset_of!(BsdInfo, pbi_start_tvsec) == 120);
const _: () = assert!(offset_of!(BsdShortInfo, pbsi_comm) == 16);
const _: () = assert!(offset_of!(BsdShortInfo, pbsi_rfu) == 60);
const _: () = assert!(offset_of!(TaskInfo, pti_threadnum) == 84);
const _: () = assert!(offset_of!(UniqIdentifierInfo, p_uniqueid) == 16);
const _: () = assert!(offset_of!(UniqIdentifierInfo, p_idversion) == 32);
const _: () = assert!(offset_of!(ThreadInfo, pth_name) == 48);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_is_the_identity_and_fields_sit_at_their_offsets() {
        let mut b = BsdInfo::ZEROED;
        b.pbi_pid = 0x0102_0304;
        b.pbi_comm = *b"abcdefghijklmno\0";
        b.pbi_start_tvusec = 0x1122_3344_5566_7788;
        b.pbi_nice = -5;
        let bytes = b.encode();
        assert_eq!(BsdInfo::decode(&bytes), b);
        assert_eq!(&bytes[12..16], &0x0102_0304u32.to_ne_bytes());
        assert_eq!(&bytes[48..64], b"abcdefghijklmno\0");
        assert_eq!(&bytes[116..120], &(-5i32).to_ne_bytes());
        assert_eq!(&bytes[128..136], &0x1122_3344_5566_7788u64.to_ne_bytes());
    }

    #[test]
    fn nested_records_keep_their_inner_offsets() {
        let mut all = TaskAllInfo::ZEROED;
        all.pbsd.pbi_pid = 77;
        all.ptinfo.pti_threadnum = 9;
        let bytes = all.encode();
        assert_eq!(&bytes[12..16], &77u32.to_ne_bytes());
        assert_eq!(&bytes[136 + 84..136 + 88], &9i32.to_ne_bytes());
        assert_eq!(TaskAllInfo::decode(&bytes), all);
        let mut with = BsdInfoWithUniqId::ZEROED;
        with.p_uniqidentifier.p_uniqueid = u64::MAX - 1;
        let bytes = with.encode();
        assert_eq!(&bytes[136 + 16..136 + 24], &(u64::MAX - 1).to_ne_bytes());
        assert_eq!(BsdInfoWithUniqId::decode(&bytes), with);
    }

    #[test]
    fn short_input_decodes_as_zeros_past_its_end() {
        let mut s = BsdShortInfo::ZEROED;
        s.pbsi_pid = 5;
        s.pbsi_rfu = 9;
        let bytes = s.encode();
        let cut = BsdShortInfo::decode_from(&bytes[..20]);
        assert_eq!(cut.pbsi_pid, 5);
        assert_eq!(cut.pbsi_rfu, 0);
    }

    #[test]
    fn cstr_stops_at_the_first_nul() {
        assert_eq!(cstr(b"sh\0x\0"), b"sh");
        assert_eq!(cstr(b"full"), b"full");
        assert_eq!(cstr(b"\0"), b"");
    }
}
