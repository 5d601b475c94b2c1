//! `parse::pid_path` against `format!`.

use pidquery::parse::{pid_path, PID_PATH_MAX};
use pidquery::Pid;

use super::cursor::Cursor;

/// `"<pid>/<file>"`, or `"<pid>"` for an empty file, if it fits
/// `PID_PATH_MAX` with its NUL and `file` holds no NUL.
fn reference(pid: i32, file: &[u8]) -> Option<Vec<u8>> {
    let mut path = if file.is_empty() {
        format!("{pid}").into_bytes()
    } else {
        format!("{pid}/").into_bytes()
    };
    path.extend_from_slice(file);
    (path.len() < PID_PATH_MAX && !file.contains(&0)).then_some(path)
}

/// The fuzz entry point: 4 bytes of pid (sign bit dropped), one byte the
/// output buffer starts filled with, then the file name.
pub fn check(input: &[u8]) {
    let mut c = Cursor::new(input);
    let raw = c.i32() & i32::MAX;
    let fill = c.byte();
    let file = c.take(usize::MAX);
    let pid = Pid::from_raw(raw).expect("non-negative");
    let mut out = [fill; PID_PATH_MAX];
    let out_ptr = out.as_ptr() as usize;
    let got = pid_path(pid, file, &mut out);
    let want = reference(raw, file);
    match (got, want) {
        (None, None) => {}
        (Some(got), Some(want)) => {
            assert_eq!(
                got.to_bytes(),
                &want[..],
                "pid_path({raw}, {:?})",
                String::from_utf8_lossy(file)
            );
            // Borrowed from the start of the caller's buffer, not elsewhere.
            assert_eq!(got.as_ptr() as usize, out_ptr, "not written into `out`");
            let len = want.len();
            assert_eq!(out[..len], want[..]);
            assert_eq!(out[len], 0);
        }
        (got, want) => panic!(
            "pid_path({raw}, {:?}): got {got:?}, want {:?}",
            String::from_utf8_lossy(file),
            want.map(|w| String::from_utf8_lossy(&w).into_owned())
        ),
    }
}
