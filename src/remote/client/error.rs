//! What can go wrong between the CLI and a room over the broker, each case worded so the
//! reader knows where to look: the account, the ACL, the broker, or the room's daemon.

use std::time::Duration;

use rumqttc::v5::{ClientError, ConnectionError};

use crate::mqtt::OptionsError;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("`{user}` cannot name a sender on the broker: it {problem}")]
    BadUser { user: String, problem: &'static str },
    #[error("--room `{room}` cannot name a room on the broker: it {problem}")]
    BadRoom { room: String, problem: &'static str },
    #[error("cannot set up TLS for the broker")]
    Tls(#[source] OptionsError),
    #[error("cannot reach the broker at {address}")]
    Connect {
        address: String,
        #[source]
        source: ConnectionError,
    },
    #[error("the broker at {address} did not accept the connection within {} s", secs(.within))]
    BrokerSilent { address: String, within: Duration },
    #[error(
        "the broker at {address} let the CLI in but did not confirm its subscription to {filter} in time"
    )]
    SubscribeSilent { address: String, filter: String },
    #[error(
        "the broker at {address} refused the login of {}: wrong user name or password \
         (--broker-user, SETTING_BROKER_PASSWORD or --broker-password-file)",
        account(user)
    )]
    BadCredentials { address: String, user: Option<String> },
    #[error(
        "the broker at {address} refused the connection of {} ({reason})",
        account(user)
    )]
    ConnectRefused {
        address: String,
        user: Option<String>,
        reason: String,
    },
    #[error("the broker's ACL does not let account {user} steer room {room} ({detail})")]
    NotAllowed {
        user: String,
        room: String,
        detail: String,
    },
    #[error(
        "the broker's ACL does not let account {user} hear room {room}'s replies ({reason}); nothing \
         was sent"
    )]
    CannotHearReplies {
        user: String,
        room: String,
        reason: String,
    },
    #[error("the broker's ACL does not let account {user} read the rooms' state ({filter})")]
    StatesNotAllowed { user: String, filter: String },
    #[error(
        "nobody listens for room {room}'s requests on the broker: is its settingd running with \
         [remote] enabled, and is the room named so? `setting rooms` lists the rooms online"
    )]
    NotListening { room: String },
    #[error("the broker refused the request to room {room} ({reason})")]
    PublishRefused { room: String, reason: String },
    #[error(
        "room {room} did not answer within {} s: is its settingd running with [remote] enabled? \
         `setting rooms` lists the rooms online",
        secs(.within)
    )]
    NoAnswer { room: String, within: Duration },
    #[error(
        "the broker handed the request to room {room}'s listener, but no answer came within {} s: \
         it may or may not have been carried out; `setting --room {room} status` shows the room now",
        secs(.within)
    )]
    Unconfirmed { room: String, within: Duration },
    #[error("the connection to the broker at {address} broke")]
    Lost {
        address: String,
        #[source]
        source: ConnectionError,
    },
    #[error("room {room} sent a reply this `setting` cannot read")]
    BadReply {
        room: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("room {room} answered request {got} while {asked} was asked")]
    WrongReply { room: String, got: u64, asked: u64 },
    #[error("cannot hand a message to the MQTT client")]
    Queue(#[source] Box<ClientError>),
}

/// How the CLI should treat an error: it decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteErrorClass {
    /// Wrong flags or files: nothing was sent.
    BadInput,
    /// The broker or its ACL said no.
    Refused,
    /// The broker or the room could not be reached or did not answer.
    Unreachable,
    /// Anything else.
    Other,
}

impl RemoteError {
    pub fn class(&self) -> RemoteErrorClass {
        match self {
            RemoteError::BadUser { .. } | RemoteError::BadRoom { .. } | RemoteError::Tls(_) => {
                RemoteErrorClass::BadInput
            }
            RemoteError::BadCredentials { .. }
            | RemoteError::ConnectRefused { .. }
            | RemoteError::NotAllowed { .. }
            | RemoteError::CannotHearReplies { .. }
            | RemoteError::StatesNotAllowed { .. }
            | RemoteError::PublishRefused { .. } => RemoteErrorClass::Refused,
            RemoteError::Connect { .. }
            | RemoteError::BrokerSilent { .. }
            | RemoteError::SubscribeSilent { .. }
            | RemoteError::NotListening { .. }
            | RemoteError::NoAnswer { .. }
            | RemoteError::Unconfirmed { .. }
            | RemoteError::Lost { .. } => RemoteErrorClass::Unreachable,
            RemoteError::BadReply { .. } | RemoteError::WrongReply { .. } | RemoteError::Queue(_) => {
                RemoteErrorClass::Other
            }
        }
    }
}

/// Whole seconds, rounded up, for messages: "within 0 s" would read as a bug.
fn secs(d: &Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn account(user: &Option<String>) -> String {
    user.as_ref()
        .map_or("an anonymous client".to_string(), |u| format!("account {u}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_account_and_the_room() {
        let refused = RemoteError::NotAllowed {
            user: "ana".into(),
            room: "room-b".into(),
            detail: "publish not authorised".into(),
        };
        assert!(
            refused
                .to_string()
                .contains("ACL does not let account ana steer room room-b")
        );
        assert_eq!(refused.class(), RemoteErrorClass::Refused);
        let silent = RemoteError::NoAnswer {
            room: "room-a".into(),
            within: Duration::from_millis(1500),
        };
        assert!(silent.to_string().contains("within 2 s"), "{silent}");
        assert!(silent.to_string().contains("`setting rooms`"), "{silent}");
        let login = RemoteError::BadCredentials {
            address: "broker:8883".into(),
            user: None,
        };
        assert!(login.to_string().contains("an anonymous client"), "{login}");
    }
}
