//! Who is at the other end of the control socket, as the event log names them: the account's
//! name, so that an audit reads `socket (ana)` rather than a number to look up later.

use std::ffi::CStr;

/// The name of the account `uid`, or `uid N` when it has none (a container's stray uid).
pub fn account_name(uid: u32) -> String {
    lookup(uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The uid of the account `name`, if this machine has one.
pub fn account_uid(name: &str) -> Option<u32> {
    let name = std::ffi::CString::new(name).ok()?;
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: as in `lookup`: `pwd` and `result` are locals, `buf` is live for its length
        // and `name` is NUL-terminated.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc =
            unsafe { libc::getpwnam_r(name.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
        match rc {
            0 if result.is_null() => return None,
            0 => return Some(pwd.pw_uid),
            libc::ERANGE if buf.len() < (1 << 20) => buf.resize(buf.len() * 2, 0),
            _ => return None,
        }
    }
}

fn lookup(uid: u32) -> Option<String> {
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: every pointer is valid for the call: `pwd` and `result` are locals and `buf`
        // is a live buffer of the length passed. The reentrant variant, because getpwuid's
        // static buffer is shared by every thread.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
        match rc {
            0 if result.is_null() || pwd.pw_name.is_null() => return None,
            0 => {
                // SAFETY: on success pw_name points at a NUL-terminated string inside `buf`.
                let name = unsafe { CStr::from_ptr(pwd.pw_name) };
                return Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty());
            }
            libc::ERANGE if buf.len() < (1 << 20) => buf.resize(buf.len() * 2, 0),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_named_and_a_stray_uid_is_a_number() {
        assert_eq!(account_name(0), "root");
        // Far beyond any account this machine has.
        assert_eq!(account_name(3_999_999_999), "uid 3999999999");
        assert_eq!(account_uid("root"), Some(0));
        assert_eq!(account_uid("no-such-account-here"), None);
    }
}
