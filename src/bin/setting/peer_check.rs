//! Whom `setting emergency` believes at the other end of a control socket: settingd's own
//! account (the config's `daemon.user`), root, or the caller's own (a daemon the therapist
//! runs). Anyone else may have made the socket first (the fallback directory in the
//! temporary directory is anyone's to create), and an answer from them is no emergency.

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use setting::config::{Config, DEFAULT_DAEMON_USER};
use setting::engine::peer::{account_name, account_uid};

/// The accounts whose answers are believed.
#[derive(Clone, Debug)]
pub struct Trusted {
    uids: Vec<u32>,
    daemon_user: String,
}

impl Trusted {
    /// From the config when there is one, else the shipped account's name.
    pub fn for_config(config: Option<&Config>) -> Trusted {
        let daemon_user = config.map_or(DEFAULT_DAEMON_USER.to_string(), |c| c.daemon.user.clone());
        // SAFETY: getuid(2) has no preconditions and cannot fail.
        let own = unsafe { libc::getuid() };
        let mut uids = vec![0, own];
        uids.extend(account_uid(&daemon_user));
        Trusted { uids, daemon_user }
    }

    /// Whether the process that made `stream`'s listening socket may be believed; why not
    /// when it may not.
    pub fn check(&self, stream: &UnixStream) -> Result<(), String> {
        let uid = peer_uid(stream).map_err(|e| format!("cannot tell who made the socket: {e}"))?;
        if self.uids.contains(&uid) {
            return Ok(());
        }
        Err(format!(
            "the socket is served by {} (uid {uid}), not by settingd's account `{}`, root or yours: \
             its answer is not believed",
            account_name(uid),
            self.daemon_user
        ))
    }
}

/// The uid of the peer of a connected Unix socket (`SO_PEERCRED`: fixed when the peer called
/// listen(2), so no later change of hands hides it).
fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are locals of the size passed; the descriptor is open for the
    // life of `stream`.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cred.uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_served_by_this_account_is_believed_and_one_by_a_stranger_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let stream = UnixStream::connect(&path).unwrap();
        let trusted = Trusted::for_config(None);
        assert_eq!(trusted.check(&stream), Ok(()));
        let stranger = Trusted {
            uids: vec![3_999_999_998],
            daemon_user: "setting".into(),
        };
        let why = stranger.check(&stream).unwrap_err();
        assert!(why.contains("not believed") && why.contains("`setting`"), "{why}");
    }
}
