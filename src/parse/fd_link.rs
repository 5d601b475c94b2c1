//! The target of a `/proc/<pid>/fd/<n>` link (`fs/proc/fd.c`,
//! `proc_fd_link`; names from `fs/pipe.c`, `net/socket.c`, `fs/anon_inodes.c`).

use crate::FdKind;

/// What an fd refers to, from the text its `/proc/<pid>/fd/<n>` link reads
/// (or any prefix of at least 24 bytes of it, which is all a classification
/// needs: `readlink` into a small buffer suffices).
///
/// - a path (`/…`) is [`FdKind::File`];
/// - `socket:[…]` a socket, `pipe:[…]` a pipe;
/// - `anon_inode:[eventpoll]`, `anon_inode:[eventfd]`,
///   `anon_inode:[signalfd]`, `anon_inode:[timerfd]`, `anon_inode:inotify`,
///   `anon_inode:[fanotify]` an event object;
/// - anything else [`FdKind::Other`].
///
/// ```
/// use pidquery::{parse::fd_kind, FdKind};
///
/// assert_eq!(fd_kind(b"pipe:[4242]"), FdKind::Pipe);
/// assert_eq!(fd_kind(b"anon_inode:inotify"), FdKind::Event);
/// assert_eq!(fd_kind(b"anon_inode:[pidfd]"), FdKind::Other);
/// assert_eq!(fd_kind(b"/memfd:x (deleted)"), FdKind::File);
/// ```
pub fn fd_kind(link: &[u8]) -> FdKind {
    const EVENTS: [&[u8]; 6] = [
        b"[eventpoll]",
        b"[eventfd]",
        b"[signalfd]",
        b"[timerfd]",
        b"inotify",
        b"[fanotify]",
    ];
    if link.starts_with(b"/") {
        FdKind::File
    } else if link.starts_with(b"socket:[") {
        FdKind::Socket
    } else if link.starts_with(b"pipe:[") {
        FdKind::Pipe
    } else if let Some(anon) = link.strip_prefix(b"anon_inode:") {
        if EVENTS.contains(&anon) {
            FdKind::Event
        } else {
            FdKind::Other
        }
    } else {
        FdKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_kinds_follow_the_link_text() {
        for (link, kind) in [
            (&b"/dev/pts/3"[..], FdKind::File),
            (b"/", FdKind::File),
            (b"socket:[1]", FdKind::Socket),
            (b"pipe:[99]", FdKind::Pipe),
            (b"anon_inode:[eventpoll]", FdKind::Event),
            (b"anon_inode:[eventfd]", FdKind::Event),
            (b"anon_inode:[signalfd]", FdKind::Event),
            (b"anon_inode:[timerfd]", FdKind::Event),
            (b"anon_inode:[fanotify]", FdKind::Event),
            (b"anon_inode:inotify", FdKind::Event),
            (b"anon_inode:[eventpoll]x", FdKind::Other),
            (b"anon_inode:[io_uring]", FdKind::Other),
            (b"net:[4026531840]", FdKind::Other),
            (b"socket:", FdKind::Other),
            (b"", FdKind::Other),
        ] {
            assert_eq!(fd_kind(link), kind, "{}", link.escape_ascii());
        }
    }
}
