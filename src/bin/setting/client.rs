//! Talking to `settingd`: connect, one request line, one reply line, with short timeouts so
//! a therapist is never left waiting on a stuck daemon. With `--room`, the same requests and
//! replies go to that room's `settingd` over the clinic's broker instead.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use serde::de::DeserializeOwned;

use setting::protocol::{Op, ReplyLine, encode_line};
use setting::remote::client as remote;

use crate::args::Cli;
use crate::failure::Failure;
use crate::locate::{self, BrokerTarget};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Client {
    transport: Transport,
    next_id: u64,
}

enum Transport {
    Socket {
        socket: PathBuf,
        reader: BufReader<UnixStream>,
    },
    /// Each request is its own short broker connection: nothing is held open between them.
    Broker { target: BrokerTarget, room: String },
}

impl Client {
    /// The room the command line points at: over the broker with `--room`, else the socket.
    pub fn for_cli(cli: &Cli) -> anyhow::Result<Client> {
        match &cli.room {
            Some(room) => Ok(Client::over_broker(locate::broker(cli)?, room)),
            None => {
                let target = locate::socket(cli);
                Ok(Client::connect(&target.path, &target.note)?)
            }
        }
    }

    /// `room`'s daemon over the broker. Nothing is sent until the first request, so a
    /// broker that cannot be reached shows up there.
    pub fn over_broker(target: BrokerTarget, room: &str) -> Client {
        Client {
            transport: Transport::Broker {
                target,
                room: room.to_string(),
            },
            next_id: 1,
        }
    }

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
            transport: Transport::Socket {
                socket: socket.to_path_buf(),
                reader: BufReader::new(stream),
            },
            next_id: 1,
        })
    }

    /// Sends `op` and returns the result of an ok reply read as `T`, the type that op answers
    /// with; a refusal becomes a [`Failure`].
    pub fn request_as<T: DeserializeOwned>(&mut self, op: &Op) -> anyhow::Result<T> {
        let reply = self.exchange(op)?;
        if !reply.ok {
            return Err(match reply.error {
                Some(error) => Failure::from_reply(error),
                None => Failure::Refused("settingd refused the request without saying why".into()),
            }
            .into());
        }
        let result = reply.result_as().expect("an ok reply has a result");
        result.context("settingd answered with something this `setting` cannot read")
    }

    fn exchange(&mut self, op: &Op) -> anyhow::Result<ReplyLine> {
        let id = self.next_id;
        self.next_id += 1;
        if let Transport::Broker { target, room } = &self.transport {
            let reply = remote::request(
                &target.access,
                &target.prefix,
                room,
                op,
                id,
                remote::REPLY_TIMEOUT,
            )
            .map_err(Failure::Remote)?;
            return Ok(reply);
        }
        let mut request = serde_json::to_value(op).context("encoding the request")?;
        request["id"] = id.into();
        self.reader()?
            .get_mut()
            .write_all(&encode_line(&request))
            .map_err(|e| self.unreachable(e))?;
        let line = if asks_only(op) {
            self.read_line()?
        } else {
            self.read_reply()?
        };
        let line = line.ok_or_else(|| self.closed())?;
        let reply: ReplyLine = serde_json::from_str(&line).with_context(|| {
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

    /// The reply to a request already written. A daemon that is only slow (stopped, swapped
    /// out, stuck on a disk) still has the request in its socket and may carry it out once it
    /// runs again: silence then is not a refusal, and the therapist must hear that.
    fn read_reply(&mut self) -> Result<Option<String>, Failure> {
        match self.next_line()? {
            Err(e) if timed_out(&e) => Err(Failure::Unanswered {
                socket: self.socket(),
                within: REPLY_TIMEOUT,
            }),
            Err(e) => Err(self.unreachable(e)),
            Ok(line) => Ok(line),
        }
    }

    /// The next line, `None` at end of stream.
    pub fn read_line(&mut self) -> Result<Option<String>, Failure> {
        match self.next_line()? {
            Err(e) if timed_out(&e) => Err(Failure::Unreachable {
                socket: self.socket(),
                reason: format!("no answer within {} s", REPLY_TIMEOUT.as_secs()),
            }),
            Err(e) => Err(self.unreachable(e)),
            Ok(line) => Ok(line),
        }
    }

    /// The next line as the socket gave it; the outer error is a stream that does not exist.
    fn next_line(&mut self) -> Result<io::Result<Option<String>>, Failure> {
        let mut line = String::new();
        Ok(self
            .reader()?
            .read_line(&mut line)
            .map(|n| (n > 0).then_some(line)))
    }

    /// After the first reply of a stream (`watch`): wait as long as it takes for the next.
    pub fn wait_without_timeout(&mut self) -> Result<(), Failure> {
        self.reader()?
            .get_ref()
            .set_read_timeout(None)
            .map_err(|e| self.unreachable(e))
    }

    pub fn closed(&self) -> Failure {
        Failure::Unreachable {
            socket: self.socket(),
            reason: "settingd closed the connection".into(),
        }
    }

    fn unreachable(&self, e: io::Error) -> Failure {
        Failure::Unreachable {
            socket: self.socket(),
            reason: e.to_string(),
        }
    }

    /// The socket's stream; a stream of lines (`watch`) does not exist over the broker.
    fn reader(&mut self) -> Result<&mut BufReader<UnixStream>, Failure> {
        match &mut self.transport {
            Transport::Socket { reader, .. } => Ok(reader),
            Transport::Broker { target, room } => Err(needs_socket(&target.prefix, room)),
        }
    }

    fn socket(&self) -> PathBuf {
        match &self.transport {
            Transport::Socket { socket, .. } => socket.clone(),
            Transport::Broker { .. } => PathBuf::new(),
        }
    }
}

/// Why a live stream is refused with `--room`, and where to look instead.
pub fn needs_socket(prefix: &str, room: &str) -> Failure {
    Failure::BadInput(format!(
        "following a room live needs its control socket, on the room's own machine; from here, \
         `setting rooms` shows where room {room} stands, and the retained topic {} follows it",
        setting::remote::RoomTopics::new(prefix, room).state()
    ))
}

/// Whether `op` only asks, so that a daemon sitting on it changes nothing in the room.
fn asks_only(op: &Op) -> bool {
    matches!(
        op,
        Op::Status | Op::Watch | Op::Report { .. } | Op::Sessions | Op::Ping | Op::Lights
    )
}

/// A read timeout shows as either kind, depending on the platform.
fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
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
