//! pgrep's command line, read as GNU `getopt_long` reads it: bundled short
//! options, an option's argument attached or next, long options by any
//! unambiguous prefix with `=value` or the next word, operands anywhere
//! (permuted), `--` ending the options.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// One recognized option: its short letter (or a code above 0x100 for the
/// long-only ones), and whether it takes an argument.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub code: u32,
    pub long: &'static str,
    pub arg: bool,
}

pub const NS: u32 = 0x101;
pub const NSLIST: u32 = 0x102;
pub const CGROUP: u32 = 0x103;
pub const HELP: u32 = b'h' as u32;
pub const VERSION: u32 = b'V' as u32;

const fn s(c: u8, long: &'static str, arg: bool) -> Spec {
    Spec {
        code: c as u32,
        long,
        arg,
    }
}

/// pgrep 4.0.2's options (`pgrep.c`, `longopts`).
pub const SPECS: &[Spec] = &[
    s(b'd', "delimiter", true),
    s(b'l', "list-name", false),
    s(b'a', "list-full", false),
    s(b'v', "inverse", false),
    s(b'w', "lightweight", false),
    s(b'c', "count", false),
    s(b'f', "full", false),
    s(b'g', "pgroup", true),
    s(b'G', "group", true),
    s(b'i', "ignore-case", false),
    s(b'n', "newest", false),
    s(b'o', "oldest", false),
    s(b'O', "older", true),
    s(b'P', "parent", true),
    s(b's', "session", true),
    s(b't', "terminal", true),
    s(b'u', "euid", true),
    s(b'U', "uid", true),
    s(b'x', "exact", false),
    s(b'F', "pidfile", true),
    s(b'L', "logpidfile", false),
    s(b'A', "ignore-ancestors", false),
    s(b'r', "runstates", true),
    Spec {
        code: CGROUP,
        long: "cgroup",
        arg: true,
    },
    Spec {
        code: NS,
        long: "ns",
        arg: true,
    },
    Spec {
        code: NSLIST,
        long: "nslist",
        arg: true,
    },
    s(b'h', "help", false),
    s(b'V', "version", false),
];

/// What the command line holds, in order.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Options with their arguments.
    pub opts: Vec<(u32, Option<Vec<u8>>)>,
    /// Operands (the pattern).
    pub operands: Vec<Vec<u8>>,
}

/// A command-line error, as getopt prints it (without the program name).
#[derive(Debug, PartialEq, Eq)]
pub struct Bad(pub String);

/// Reads `args` (without the program name).
pub fn parse(args: Vec<OsString>) -> Result<Parsed, Bad> {
    let mut out = Parsed::default();
    let mut args = args.into_iter().map(OsStringExt::into_vec);
    while let Some(arg) = args.next() {
        if arg == b"--" {
            out.operands.extend(args.by_ref());
            break;
        }
        if let Some(long) = arg.strip_prefix(b"--") {
            let (name, value) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (&long[..eq], Some(long[eq + 1..].to_vec())),
                None => (long, None),
            };
            let name_s = String::from_utf8_lossy(name).into_owned();
            let exact = SPECS.iter().find(|sp| sp.long.as_bytes() == name);
            let spec = match exact {
                Some(sp) => *sp,
                None => {
                    let found: Vec<&Spec> = SPECS
                        .iter()
                        .filter(|sp| sp.long.as_bytes().starts_with(name))
                        .collect();
                    match found.as_slice() {
                        [one] => **one,
                        [] => return Err(Bad(format!("unrecognized option '--{name_s}'"))),
                        many => {
                            let names: Vec<String> =
                                many.iter().map(|sp| format!("'--{}'", sp.long)).collect();
                            return Err(Bad(format!(
                                "option '--{name_s}' is ambiguous; possibilities: {}",
                                names.join(" ")
                            )));
                        }
                    }
                }
            };
            let value = match (spec.arg, value) {
                (true, Some(v)) => Some(v),
                (true, None) => match args.next() {
                    Some(v) => Some(v),
                    None => {
                        return Err(Bad(format!(
                            "option '--{}' requires an argument",
                            spec.long
                        )))
                    }
                },
                (false, Some(_)) => {
                    return Err(Bad(format!(
                        "option '--{}' doesn't allow an argument",
                        spec.long
                    )))
                }
                (false, None) => None,
            };
            out.opts.push((spec.code, value));
            continue;
        }
        if arg.len() > 1 && arg[0] == b'-' {
            let mut at = 1;
            while at < arg.len() {
                let c = arg[at];
                at += 1;
                let Some(spec) = SPECS.iter().find(|sp| sp.code == u32::from(c) && c < 0x80) else {
                    return Err(Bad(format!("invalid option -- '{}'", c as char)));
                };
                if spec.arg {
                    let value = if at < arg.len() {
                        arg[at..].to_vec()
                    } else {
                        match args.next() {
                            Some(v) => v,
                            None => {
                                return Err(Bad(format!(
                                    "option requires an argument -- '{}'",
                                    c as char
                                )))
                            }
                        }
                    };
                    out.opts.push((spec.code, Some(value)));
                    break;
                }
                out.opts.push((spec.code, None));
            }
            continue;
        }
        out.operands.push(arg);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Parsed, Bad> {
        parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn reads_as_getopt_long_does() {
        let got = p(&[
            "-lfd,",
            "x",
            "-P",
            "1",
            "--inv",
            "--delimiter=:",
            "--",
            "-y",
        ])
        .unwrap();
        let codes: Vec<u32> = got.opts.iter().map(|o| o.0).collect();
        assert_eq!(
            codes,
            [b'l', b'f', b'd', b'P', b'v', b'd'].map(u32::from).to_vec()
        );
        assert_eq!(got.opts[2].1.as_deref(), Some(&b","[..]));
        assert_eq!(got.operands, [b"x".to_vec(), b"-y".to_vec()]);
        assert_eq!(p(&["-q"]).unwrap_err().0, "invalid option -- 'q'");
        assert_eq!(
            p(&["-d"]).unwrap_err().0,
            "option requires an argument -- 'd'"
        );
        assert_eq!(
            p(&["--pgroup"]).unwrap_err().0,
            "option '--pgroup' requires an argument"
        );
        assert!(p(&["--n"]).unwrap_err().0.contains("ambiguous"));
        assert_eq!(
            p(&["--bogus"]).unwrap_err().0,
            "unrecognized option '--bogus'"
        );
        assert_eq!(p(&["-"]).unwrap().operands, [b"-".to_vec()]);
    }
}
