//! The CLI's side of remote control: one request to a room over the broker and its reply,
//! matched by MQTT 5 correlation data; and the rooms online, from their retained state.
//!
//! Blocking, for the synchronous CLI: each call opens its own short MQTT 5 connection (clean
//! start, no last will: this client's going says nothing about any room) and closes it.
//!
//! - [`BrokerAccess`]: where the broker is and who logs in.
//! - [`request`]: one request, one reply.
//! - [`deliver`]: an emergency, sent even when its reply cannot be heard.
//! - [`list_rooms`]: every room's retained state.

mod error;
mod room_request;
mod rooms;
mod session;

use std::path::PathBuf;

pub use error::{RemoteError, RemoteErrorClass};
pub use room_request::{Delivery, REPLY_TIMEOUT, deliver, request};
pub use rooms::{QUIET, RoomList, list_rooms};

use crate::config::user_level_problem;
use crate::remote::topics;

/// The broker and the account the CLI logs in with. Its `Debug` leaves the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerAccess {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    /// The password itself, read by the caller from wherever it is kept.
    pub password: Option<String>,
    /// The CA that signed the broker's certificate: TLS when given.
    pub ca: Option<PathBuf>,
    pub client_id: String,
}

impl std::fmt::Debug for BrokerAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerAccess")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(hidden)"))
            .field("ca", &self.ca)
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl BrokerAccess {
    /// `host:port` as people write it, brackets around an IPv6 address.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The name requests are sent under: the broker account, or [`topics::ANONYMOUS`].
    pub fn user_level(&self) -> Result<&str, RemoteError> {
        let user = self.username.as_deref().unwrap_or(topics::ANONYMOUS);
        match user_level_problem(user) {
            None => Ok(user),
            Some(problem) => Err(RemoteError::BadUser {
                user: user.to_string(),
                problem,
            }),
        }
    }
}

/// A client id no other client holds: the broker would throw the older one off otherwise.
pub fn fresh_client_id(stem: &str) -> String {
    crate::mqtt::unguessable(stem)
}

pub(crate) use crate::mqtt::token;

#[cfg(test)]
mod tests {
    use super::*;

    fn access(user: Option<&str>) -> BrokerAccess {
        BrokerAccess {
            host: "127.0.0.1".into(),
            port: 1883,
            username: user.map(str::to_string),
            password: None,
            ca: None,
            client_id: "setting-test".into(),
        }
    }

    #[test]
    fn requests_go_under_the_account_or_anonymous() {
        assert_eq!(access(Some("ana")).user_level().unwrap(), "ana");
        assert_eq!(access(None).user_level().unwrap(), topics::ANONYMOUS);
        let error = access(Some("ana/b")).user_level().unwrap_err();
        assert!(matches!(error, RemoteError::BadUser { .. }), "{error}");
    }

    #[test]
    fn debug_output_leaves_the_password_out() {
        let mut with_password = access(Some("ana"));
        with_password.password = Some("s3cret-pw".into());
        let shown = format!("{with_password:?}");
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("ana") && shown.contains("(hidden)"), "{shown}");
    }

    #[test]
    fn a_room_name_that_is_not_one_topic_level_is_refused_before_connecting() {
        // Nothing listens on port 9: a connection attempt would fail differently.
        let mut nowhere = access(Some("ana"));
        nowhere.port = 9;
        for room in ["", "room-a/request/bob", "+", "#"] {
            let error = request(
                &nowhere,
                "setting",
                room,
                &crate::protocol::Op::Status,
                1,
                REPLY_TIMEOUT,
            )
            .unwrap_err();
            assert!(matches!(error, RemoteError::BadRoom { .. }), "{room:?}: {error}");
            assert_eq!(error.class(), RemoteErrorClass::BadInput);
            assert!(error.to_string().contains("--room"), "{error}");
        }
    }

    #[test]
    fn tokens_do_not_repeat() {
        let a = token();
        let b = token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(user_level_problem(&a).is_none(), "a token is one topic level");
    }

    #[test]
    fn addresses_bracket_ipv6() {
        assert_eq!(access(None).address(), "127.0.0.1:1883");
        let mut v6 = access(None);
        v6.host = "::1".into();
        assert_eq!(v6.address(), "[::1]:1883");
    }
}

#[cfg(test)]
mod tests_broker;
