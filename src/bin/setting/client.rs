//! Talking to `settingd`: connect, one request line, one reply line, with short timeouts so
//! a therapist is never left waiting on a stuck daemon.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use serde::de::DeserializeOwned;

use setting::protocol::{Op, Reply, encode_line};

use crate::failure::Failure;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Client {
    socket: PathBuf,
    reader: BufReader<UnixStream>,
    next_id: u64,
}

impl Client {
    /// `note` is added to the "not running" message (where the socket path came from).
    pub fn connect(socket: &Path, note: &str) -> Result<Client, Failure> {
        let stream = connect_within(socket, CONNECT_TIMEOUT).map_err(|e| classify(socket, note, e))?;
        let unreachable = |e: io::Error| Failure::Unreachable {
            socket: socket.to_path_buf(),
            reason: e.to_string(),
        };
        stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .map_err(unreachable)?;
        stream
            .set_write_timeout(Some(REPLY_TIMEOUT))
            .map_err(unreachable)?;
        Ok(Client {
            socket: socket.to_path_buf(),
            reader: BufReader::new(stream),
            next_id: 1,
        })
    }

    /// Sends `op` and returns the result of an ok reply; a refusal becomes a [`Failure`].
    pub fn request(&mut self, op: &Op) -> anyhow::Result<serde_json::Value> {
        let reply = self.exchange(op)?;
        match (reply.ok, reply.error) {
            (true, _) => Ok(reply.result.unwrap_or(serde_json::Value::Null)),
            (false, Some(error)) => Err(Failure::from_reply(error).into()),
            (false, None) => {
                Err(Failure::Refused("settingd refused the request without saying why".into()).into())
            }
        }
    }

    /// Like [`request`](Self::request), with the result read as `T`.
    pub fn request_as<T: DeserializeOwned>(&mut self, op: &Op) -> anyhow::Result<T> {
        let result = self.request(op)?;
        serde_json::from_value(result).context("settingd answered with something this `setting` cannot read")
    }

    fn exchange(&mut self, op: &Op) -> anyhow::Result<Reply> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = serde_json::to_value(op).context("encoding the request")?;
        request["id"] = id.into();
        self.reader
            .get_mut()
            .write_all(&encode_line(&request))
            .map_err(|e| self.unreachable(e))?;
        let line = self.read_line()?.ok_or_else(|| self.closed())?;
        let reply: Reply = serde_json::from_str(&line).with_context(|| {
            format!(
                "settingd sent a reply this `setting` cannot read: {}",
                line.trim()
            )
        })?;
        if reply.id.is_some_and(|got| got != id) {
            anyhow::bail!(
                "settingd answered request {} while {id} was asked",
                reply.id.unwrap_or_default()
            );
        }
        Ok(reply)
    }

    /// The next line, `None` at end of stream.
    pub fn read_line(&mut self) -> Result<Option<String>, Failure> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line)),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                Err(Failure::Unreachable {
                    socket: self.socket.clone(),
                    reason: format!("no answer within {} s", REPLY_TIMEOUT.as_secs()),
                })
            }
            Err(e) => Err(self.unreachable(e)),
        }
    }

    /// After the first reply of a stream (`watch`): wait as long as it takes for the next.
    pub fn wait_without_timeout(&mut self) -> Result<(), Failure> {
        self.reader
            .get_ref()
            .set_read_timeout(None)
            .map_err(|e| self.unreachable(e))
    }

    pub fn closed(&self) -> Failure {
        Failure::Unreachable {
            socket: self.socket.clone(),
            reason: "settingd closed the connection".into(),
        }
    }

    fn unreachable(&self, e: io::Error) -> Failure {
        Failure::Unreachable {
            socket: self.socket.clone(),
            reason: e.to_string(),
        }
    }
}

/// A Unix socket connect has no timeout of its own and can block when the daemon's backlog
/// is full; the attempt runs on a thread that is abandoned if it takes too long.
fn connect_within(socket: &Path, timeout: Duration) -> io::Result<UnixStream> {
    let (tx, rx) = mpsc::channel();
    let path = socket.to_path_buf();
    std::thread::spawn(move || {
        // The receiver may have given up already; then nobody needs the result.
        let _ = tx.send(UnixStream::connect(path));
    });
    rx.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no connection within {} s", timeout.as_secs()),
        ))
    })
}

fn classify(socket: &Path, note: &str, e: io::Error) -> Failure {
    match e.kind() {
        // A missing socket, or one left behind by a daemon that died: nobody is listening.
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => Failure::NotRunning {
            socket: socket.to_path_buf(),
            note: note.to_string(),
        },
        io::ErrorKind::PermissionDenied => Failure::Unreachable {
            socket: socket.to_path_buf(),
            reason: "permission denied (is this user in the socket's group?)".into(),
        },
        _ => Failure::Unreachable {
            socket: socket.to_path_buf(),
            reason: e.to_string(),
        },
    }
}
