//! The values a [`Query`](crate::Query) condition accepts: [`Set`] (one
//! value or any of a borrowed list), [`Match`] (how a name or a command
//! line is compared), [`MatchBytes`] (a matcher of the caller's own),
//! [`States`] (run states) and [`Namespaces`] (kinds of Linux namespace).

use core::fmt;

use crate::State;

/// The accepted values of one condition: one value, or any of a borrowed
/// list (OR inside a condition, AND across conditions). Built by `From`,
/// so a query method takes either:
///
/// ```
/// use pidquery::{Pid, Query};
/// let one = Query::new().euid(0);
/// let any = Query::new().euid(&[0, 1000]);
/// assert!(one.accepts_euid(0) && any.accepts_euid(1000) && !one.accepts_euid(1000));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Set<'a, T> {
    /// Exactly this value.
    One(T),
    /// Any of these values (none: nothing matches).
    Any(&'a [T]),
}

impl<T: Copy + PartialEq> Set<'_, T> {
    /// Whether `value` is accepted.
    ///
    /// ```
    /// use pidquery::Set;
    /// assert!(Set::One(3).contains(3));
    /// assert!(!Set::Any(&[1, 2][..]).contains(3));
    /// ```
    #[inline]
    pub fn contains(&self, value: T) -> bool {
        match self {
            Set::One(v) => *v == value,
            Set::Any(vs) => vs.contains(&value),
        }
    }

    /// The values, as a slice.
    ///
    /// ```
    /// assert_eq!(pidquery::Set::One(7).as_slice(), &[7]);
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        match self {
            Set::One(v) => core::slice::from_ref(v),
            Set::Any(vs) => vs,
        }
    }
}

impl<T> From<T> for Set<'_, T> {
    #[inline]
    fn from(value: T) -> Self {
        Set::One(value)
    }
}

impl<'a, T> From<&'a [T]> for Set<'a, T> {
    #[inline]
    fn from(values: &'a [T]) -> Self {
        Set::Any(values)
    }
}

impl<'a, T, const N: usize> From<&'a [T; N]> for Set<'a, T> {
    #[inline]
    fn from(values: &'a [T; N]) -> Self {
        Set::Any(values)
    }
}

/// A matcher of the caller's own over bytes (a process name or a command
/// line): a regular expression engine of the caller's choice, say. Every
/// `Fn(&[u8]) -> bool + Sync` is one.
///
/// ```
/// use pidquery::{Match, MatchBytes};
/// let digits = |b: &[u8]| b.iter().any(u8::is_ascii_digit);
/// assert!(digits.matches(b"kworker/0"));
/// let m = Match::custom(&digits);
/// assert!(m.is_match(b"ext4-rsv-conver2"));
/// ```
pub trait MatchBytes: Sync {
    /// Whether `bytes` match.
    fn matches(&self, bytes: &[u8]) -> bool;
}

impl<F: Fn(&[u8]) -> bool + Sync> MatchBytes for F {
    #[inline]
    fn matches(&self, bytes: &[u8]) -> bool {
        self(bytes)
    }
}

#[derive(Copy, Clone)]
enum How<'a> {
    Exact(&'a [u8]),
    Prefix(&'a [u8]),
    Substring(&'a [u8]),
    Custom(&'a dyn MatchBytes),
}

/// How a process name or command line is compared: exactly, by prefix, by
/// substring (each optionally ignoring ASCII case), or by a
/// [`MatchBytes`] of the caller's. A small `Copy` value that borrows its
/// pattern.
///
/// ```
/// use pidquery::Match;
/// assert!(Match::exact("sshd").is_match(b"sshd"));
/// assert!(Match::prefix("kworker/").is_match(b"kworker/0:1"));
/// assert!(Match::substring("SQL").ignore_ascii_case().is_match(b"postgresql"));
/// assert!(!Match::exact("ssh").is_match(b"sshd"));
/// ```
#[derive(Copy, Clone)]
pub struct Match<'a> {
    how: How<'a>,
    fold: bool,
}

impl fmt::Debug for Match<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, pattern) = match self.how {
            How::Exact(p) => ("exact", Some(p)),
            How::Prefix(p) => ("prefix", Some(p)),
            How::Substring(p) => ("substring", Some(p)),
            How::Custom(_) => ("custom", None),
        };
        let mut d = f.debug_struct("Match");
        d.field("kind", &kind);
        if let Some(p) = pattern {
            d.field("pattern", &String::from_utf8_lossy(p));
        }
        d.field("ignore_ascii_case", &self.fold).finish()
    }
}

impl<'a> Match<'a> {
    /// The whole text equals `pattern`.
    ///
    /// ```
    /// assert!(pidquery::Match::exact(b"init").is_match(b"init"));
    /// ```
    #[inline]
    pub fn exact<P: AsRef<[u8]> + ?Sized>(pattern: &'a P) -> Match<'a> {
        Match {
            how: How::Exact(pattern.as_ref()),
            fold: false,
        }
    }

    /// The text starts with `pattern`.
    ///
    /// ```
    /// assert!(pidquery::Match::prefix("ksoft").is_match(b"ksoftirqd/0"));
    /// ```
    #[inline]
    pub fn prefix<P: AsRef<[u8]> + ?Sized>(pattern: &'a P) -> Match<'a> {
        Match {
            how: How::Prefix(pattern.as_ref()),
            fold: false,
        }
    }

    /// The text contains `pattern` (the empty pattern matches everything).
    ///
    /// ```
    /// assert!(pidquery::Match::substring("irq").is_match(b"ksoftirqd/0"));
    /// ```
    #[inline]
    pub fn substring<P: AsRef<[u8]> + ?Sized>(pattern: &'a P) -> Match<'a> {
        Match {
            how: How::Substring(pattern.as_ref()),
            fold: false,
        }
    }

    /// The caller's matcher decides.
    ///
    /// ```
    /// let short = |b: &[u8]| b.len() < 4;
    /// assert!(pidquery::Match::custom(&short).is_match(b"sh"));
    /// ```
    #[inline]
    pub fn custom(matcher: &'a dyn MatchBytes) -> Match<'a> {
        Match {
            how: How::Custom(matcher),
            fold: false,
        }
    }

    /// The same comparison with ASCII letters compared case-insensitively
    /// (no effect on a custom matcher, which sees the bytes as they are).
    ///
    /// ```
    /// assert!(pidquery::Match::exact("XORG").ignore_ascii_case().is_match(b"Xorg"));
    /// ```
    #[inline]
    pub fn ignore_ascii_case(self) -> Match<'a> {
        Match { fold: true, ..self }
    }

    /// Whether `text` matches.
    ///
    /// ```
    /// assert!(!pidquery::Match::prefix("b").is_match(b"ab"));
    /// ```
    pub fn is_match(&self, text: &[u8]) -> bool {
        let eq = |a: &[u8], b: &[u8]| {
            if self.fold {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        match self.how {
            How::Exact(p) => eq(text, p),
            How::Prefix(p) => text.get(..p.len()).is_some_and(|t| eq(t, p)),
            How::Substring(p) => p.is_empty() || text.windows(p.len()).any(|w| eq(w, p)),
            How::Custom(m) => m.matches(text),
        }
    }
}

bitflags::bitflags! {
    /// A set of run states, for [`Query::state`](crate::Query::state).
    ///
    /// ```
    /// use pidquery::{State, States};
    /// let stopped_or_zombie = States::STOPPED | States::ZOMBIE;
    /// assert!(stopped_or_zombie.contains_state(State::Zombie));
    /// assert_eq!(States::from_letters(b"TZ"), Some(stopped_or_zombie));
    /// ```
    #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
    pub struct States: u16 {
        /// `R`: running or runnable.
        const RUNNING = 1 << 0;
        /// `S`: sleeping.
        const SLEEPING = 1 << 1;
        /// `D`: uninterruptible sleep.
        const DISK_SLEEP = 1 << 2;
        /// `T`: stopped by a signal.
        const STOPPED = 1 << 3;
        /// `t`: stopped by a tracer.
        const TRACING_STOP = 1 << 4;
        /// `Z`: a zombie.
        const ZOMBIE = 1 << 5;
        /// `X`: dead.
        const DEAD = 1 << 6;
        /// `I`: an idle kernel thread.
        const IDLE = 1 << 7;
        /// `P`: a parked kernel thread.
        const PARKED = 1 << 8;
        /// Any state not named above.
        const OTHER = 1 << 9;
    }
}

impl States {
    /// The set of the states whose letters (`R S D T t Z X I P`) are in
    /// `letters`, as pgrep's `--runstates` takes them (other bytes, such as
    /// commas, are ignored); `None` for an unknown letter.
    ///
    /// ```
    /// use pidquery::States;
    /// assert_eq!(States::from_letters(b"R,S"), Some(States::RUNNING | States::SLEEPING));
    /// assert_eq!(States::from_letters(b"Q"), None);
    /// ```
    pub fn from_letters(letters: &[u8]) -> Option<States> {
        let mut set = States::empty();
        for &b in letters {
            if b == b',' || b == b' ' {
                continue;
            }
            let one = States::of(State::from_letter(b));
            if one == States::OTHER {
                return None;
            }
            set |= one;
        }
        Some(set)
    }

    /// The one-state set of `state`.
    ///
    /// ```
    /// use pidquery::{State, States};
    /// assert_eq!(States::of(State::Idle), States::IDLE);
    /// ```
    pub const fn of(state: State) -> States {
        match state {
            State::Running => States::RUNNING,
            State::Sleeping => States::SLEEPING,
            State::DiskSleep => States::DISK_SLEEP,
            State::Stopped => States::STOPPED,
            State::TracingStop => States::TRACING_STOP,
            State::Zombie => States::ZOMBIE,
            State::Dead => States::DEAD,
            State::Idle => States::IDLE,
            State::Parked => States::PARKED,
            State::Other(_) => States::OTHER,
        }
    }

    /// Whether `state` is in the set.
    ///
    /// ```
    /// use pidquery::{State, States};
    /// assert!(!States::RUNNING.contains_state(State::Sleeping));
    /// ```
    pub fn contains_state(self, state: State) -> bool {
        self.intersects(States::of(state))
    }
}

bitflags::bitflags! {
    /// A set of kinds of Linux namespace, for
    /// [`Query::same_namespaces`](crate::Query::same_namespaces): each is
    /// the link of that name in `/proc/<pid>/ns/`.
    ///
    /// ```
    /// use pidquery::Namespaces;
    /// let net_uts = Namespaces::NET | Namespaces::UTS;
    /// assert_eq!(Namespaces::from_link_names(b"net,uts"), Some(net_uts));
    /// assert_eq!(Namespaces::NET.link_name(), Some("net"));
    /// ```
    #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
    pub struct Namespaces: u8 {
        /// `cgroup`: the cgroup root the process sees.
        const CGROUP = 1 << 0;
        /// `ipc`: System V IPC and POSIX message queues.
        const IPC = 1 << 1;
        /// `mnt`: the mount table.
        const MNT = 1 << 2;
        /// `net`: network devices, stacks, ports.
        const NET = 1 << 3;
        /// `pid`: process ids.
        const PID = 1 << 4;
        /// `time`: the boot and monotonic clocks' offsets (Linux 5.6).
        const TIME = 1 << 5;
        /// `user`: user and group ids, capabilities.
        const USER = 1 << 6;
        /// `uts`: host and domain name.
        const UTS = 1 << 7;
    }
}

/// Each kind with the name of its link in `/proc/<pid>/ns/`: the one
/// table a new kind is added to.
const NAMESPACE_NAMES: [(Namespaces, &str); 8] = [
    (Namespaces::CGROUP, "cgroup"),
    (Namespaces::IPC, "ipc"),
    (Namespaces::MNT, "mnt"),
    (Namespaces::NET, "net"),
    (Namespaces::PID, "pid"),
    (Namespaces::TIME, "time"),
    (Namespaces::USER, "user"),
    (Namespaces::UTS, "uts"),
];

impl Namespaces {
    /// The kinds pgrep's `--ns` compares when no `--nslist` is given
    /// (procps-ng 4.0's default mask, `0x3f`): `cgroup`, `ipc`, `mnt`,
    /// `net`, `pid` and `time`.
    ///
    /// ```
    /// use pidquery::Namespaces;
    /// assert!(!Namespaces::PGREP_DEFAULT.contains(Namespaces::USER));
    /// ```
    pub const PGREP_DEFAULT: Namespaces = Namespaces::from_bits_truncate(0x3f);

    /// The name of the link of a one-kind set (`"net"`); `None` for a set
    /// of more or fewer kinds.
    ///
    /// ```
    /// use pidquery::Namespaces;
    /// assert_eq!(Namespaces::CGROUP.link_name(), Some("cgroup"));
    /// assert_eq!((Namespaces::NET | Namespaces::PID).link_name(), None);
    /// ```
    pub fn link_name(self) -> Option<&'static str> {
        NAMESPACE_NAMES
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, n)| *n)
    }

    /// The kind whose link is named `name` (`b"mnt"`).
    ///
    /// ```
    /// use pidquery::Namespaces;
    /// assert_eq!(Namespaces::from_link_name(b"mnt"), Some(Namespaces::MNT));
    /// assert_eq!(Namespaces::from_link_name(b"pid_for_children"), None);
    /// ```
    pub fn from_link_name(name: &[u8]) -> Option<Namespaces> {
        NAMESPACE_NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|(k, _)| *k)
    }

    /// The set of the kinds of a comma list of names (`b"net,uts"`);
    /// `None` for an unknown or empty name.
    ///
    /// ```
    /// use pidquery::Namespaces;
    /// assert_eq!(Namespaces::from_link_names(b"ipc"), Some(Namespaces::IPC));
    /// assert_eq!(Namespaces::from_link_names(b"net,"), None);
    /// ```
    pub fn from_link_names(names: &[u8]) -> Option<Namespaces> {
        names
            .split(|&b| b == b',')
            .try_fold(Namespaces::empty(), |set, n| {
                Some(set | Namespaces::from_link_name(n)?)
            })
    }

    /// Each kind of the set with its link name, in the order of the flags.
    ///
    /// ```
    /// use pidquery::Namespaces;
    /// let names: Vec<&str> = (Namespaces::UTS | Namespaces::IPC).kinds().map(|(_, n)| n).collect();
    /// assert_eq!(names, ["ipc", "uts"]);
    /// ```
    pub fn kinds(self) -> impl Iterator<Item = (Namespaces, &'static str)> {
        NAMESPACE_NAMES
            .into_iter()
            .filter(move |(k, _)| self.contains(*k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_compare_as_documented() {
        assert!(Match::exact("").is_match(b""));
        assert!(!Match::exact("a").is_match(b""));
        assert!(Match::prefix("").is_match(b""));
        assert!(!Match::prefix("abc").is_match(b"ab"));
        assert!(Match::substring("").is_match(b""));
        assert!(!Match::substring("abc").is_match(b"ab"));
        assert!(Match::substring("b\0c").is_match(b"ab\0cd"));
        assert!(Match::substring("ÉA").is_match("xÉA".as_bytes()));
        // Only ASCII folds.
        assert!(!Match::exact("é")
            .ignore_ascii_case()
            .is_match("É".as_bytes()));
        assert!(Match::prefix("SLE").ignore_ascii_case().is_match(b"sleep"));
        let never = |_: &[u8]| false;
        assert!(!Match::custom(&never).ignore_ascii_case().is_match(b"x"));
        assert!(format!("{:?}", Match::prefix("k")).contains("prefix"));
    }

    #[test]
    fn sets_accept_their_values() {
        let none: &[u32] = &[];
        assert!(!Set::Any(none).contains(0));
        assert!(Set::from(&[1u32, 2]).contains(2));
        assert_eq!(Set::from(5u32).as_slice(), &[5]);
    }

    #[test]
    fn state_letters_round_trip() {
        for l in *b"RSDTtZXIP" {
            let s = States::from_letters(&[l]).unwrap();
            assert!(s.contains_state(State::from_letter(l)));
            assert_eq!(s.bits().count_ones(), 1);
        }
        assert_eq!(States::from_letters(b"x"), Some(States::DEAD));
        assert_eq!(States::from_letters(b""), Some(States::empty()));
    }

    #[test]
    fn namespace_names_round_trip() {
        assert_eq!(
            NAMESPACE_NAMES.len(),
            Namespaces::all().bits().count_ones() as usize
        );
        for (kind, name) in Namespaces::all().kinds() {
            assert_eq!(kind.link_name(), Some(name));
            assert_eq!(Namespaces::from_link_name(name.as_bytes()), Some(kind));
        }
        assert_eq!(Namespaces::from_link_names(b""), None);
        assert_eq!(Namespaces::from_link_names(b"net,bogus"), None);
        assert_eq!(Namespaces::all().kinds().count(), 8);
    }
}
