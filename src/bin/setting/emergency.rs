//! `setting emergency`: through the daemon when it answers within a short timeout, else
//! straight to the lights through the broker (`emergency_direct`), saying plainly which path
//! it took. An emergency that reaches nothing exits with its own code and tells the therapist
//! to switch the lights on by hand.
//!
//! With `--room`, the emergency goes to that room's daemon over the broker. There is no second
//! path from afar (the room's lights and their config are in the room), so silence there is
//! said at once, with what to do by hand. It is sent even when the account may not hear the
//! room's answer; an emergency the broker handed on that the room did not confirm has its own
//! exit code, apart from one that never left. On the room's own machine (its config names that
//! room and its socket is there) the local paths are taken instead.
//!
//! An answer on the socket counts only from settingd's account, root or the caller's own
//! (`peer_check`): a socket someone else made first is gone around like a silent one.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use clap::Args;

use serde_json::value::RawValue;
use setting::protocol::{
    EmergencyReply, ErrorKind as ReplyErrorKind, Op, ReplyLine, StatusReply, encode_line,
};
use setting::remote::client as remote;

use crate::args::Cli;
use crate::failure::Failure;
use crate::peer_check::Trusted;
use crate::{emergency_direct, locate};

/// How long the daemon has to answer before the CLI goes to the lights itself.
const DAEMON_TIMEOUT_MS: u64 = 500;

/// How long a room has to answer over the broker, connection included, before the therapist
/// is told to act by hand.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
pub struct EmergencyArgs {
    /// One zone only (group sessions); the whole room when left out.
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
    /// How long settingd has to answer before the lights are sent the emergency directly
    /// through the broker, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DAEMON_TIMEOUT_MS)]
    pub timeout: u64,
    /// The MQTT broker for the direct path, instead of the config's `[mqtt]` host and port
    /// (as `settingd --mqtt`).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_mqtt)]
    pub mqtt: Option<(String, u16)>,
    /// Where the daemon keeps its state, for the marker the direct path leaves
    /// [default: the config's].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

fn parse_mqtt(text: &str) -> Result<(String, u16), String> {
    setting::config::broker_override(text).map_err(|e| e.to_string())
}

/// Why the daemon path did not do it.
enum NoAnswer {
    /// Nobody there (the reason), or no answer in time (`None`): the lights are tried directly.
    Silent(Option<String>),
    /// The daemon answered and said no (an unknown zone): nothing else to try.
    Refused(Failure),
}

pub fn run(cli: &Cli, args: &EmergencyArgs) -> anyhow::Result<ExitCode> {
    let op = Op::Emergency {
        zone: args.zone.clone(),
    };
    if let Some(room) = &cli.room
        && !is_this_machines_room(cli, room)
    {
        return over_broker(cli, room, &op, args.zone.as_deref());
    }
    let target = locate::socket(cli);
    let timeout = Duration::from_millis(args.timeout.max(1));
    let trusted = Trusted::for_config(locate::load(cli.config.as_deref()).ok().as_ref());
    match ask_daemon(&target.path, &trusted, &op, timeout) {
        Ok(result) => match lights_unreached(&target.path, &trusted) {
            None => {
                let reply = result.as_deref().and_then(emergency_reply);
                print_sent(cli, args.zone.as_deref(), reply.as_ref(), "settingd");
                Ok(ExitCode::SUCCESS)
            }
            Some(summary) => {
                let why = format!("settingd took it but is not connected to the lights: {summary}");
                eprintln!("setting: {why}; sending the emergency straight to the lights as well");
                Ok(emergency_direct::run(cli, args, &why, true))
            }
        },
        Err(NoAnswer::Refused(failure)) => Err(failure.into()),
        Err(NoAnswer::Silent(reason)) => {
            let why = match reason {
                None => format!("the daemon did not answer within {} ms", timeout.as_millis()),
                Some(reason) => format!("the daemon did not answer: {reason}"),
            };
            eprintln!("setting: {why}; sending the emergency straight to the lights");
            Ok(emergency_direct::run(cli, args, &why, false))
        }
    }
}

/// `--room ROOM` (or `SETTING_ROOM` left exported) on the room's own machine: its daemon's
/// socket, and the direct path behind it, are surer than the broker alone.
fn is_this_machines_room(cli: &Cli, room: &str) -> bool {
    let Ok(config) = locate::load(cli.config.as_deref()) else {
        return false;
    };
    config.room.name == room && locate::socket(cli).path.exists()
}

/// `result` is `None` when the daemon said it acted but its answer could not be read: the
/// emergency is sent all the same.
fn print_sent(cli: &Cli, zone: Option<&str>, result: Option<&EmergencyReply>, through: &str) {
    if cli.json {
        println!("{}", serde_json::json!({ "path": "daemon", "result": result }));
    } else {
        println!("{}", through_daemon(zone, result, through));
        // Done in the room; only the record waits for the disk.
        if let Some(held) = result.map(EmergencyReply::unrecorded).filter(|held| *held > 0) {
            println!(
                "NOT RECORDED YET: the state disk refuses the event log; {held} entries are held in \
                 memory and written when it allows (`setting status` shows it)"
            );
        }
    }
}

/// `through` names the daemon: `settingd`, or a room's over the broker.
fn through_daemon(zone: Option<&str>, result: Option<&EmergencyReply>, through: &str) -> String {
    let idle = matches!(result, Some(EmergencyReply::Idle(_)));
    match (zone, idle) {
        (None, true) => format!(
            "EMERGENCY sent through {through}: full light, music muted (no session is running: \
             `setting resume` ends it, the lights staying as they are until a session starts)"
        ),
        (None, false) => format!(
            "EMERGENCY sent through {through}: full neutral light, music muted, clock paused; \
             `setting resume` when it is over"
        ),
        // A zone's emergency leaves the music and the clock to the rest of the room.
        (Some(zone), true) => format!(
            "EMERGENCY in zone {zone} sent through {through}: full light there (no session is running: \
             `setting resume` ends it, the lights staying as they are until a session starts)"
        ),
        (Some(zone), false) => format!(
            "EMERGENCY in zone {zone} sent through {through}: full neutral light there; music and clock \
             unchanged; `setting resume --zone {zone}` when it is over"
        ),
    }
}

/// How long the daemon has to say where its lights stand, after it took an emergency.
const LIGHTS_QUESTION: Duration = Duration::from_millis(300);

/// After the daemon took an emergency: whether its lights cannot be reached (its broker link
/// is down while it has lights), with its own summary. A daemon that does not say counts as
/// reaching them: it took the emergency, and the question is only a second look.
fn lights_unreached(socket: &Path, trusted: &Trusted) -> Option<String> {
    let status = ask_daemon(socket, trusted, &Op::Status, LIGHTS_QUESTION).ok()??;
    let lights = serde_json::from_str::<StatusReply>(status.get()).ok()?.lights?;
    (!lights.lights.is_empty() && !lights.connected).then_some(lights.summary)
}

/// The emergency to `room`'s daemon over the broker. A refusal by the daemon itself (an
/// unknown zone) is an ordinary refusal; anything that kept it from the daemon is an emergency
/// not delivered.
fn over_broker(cli: &Cli, room: &str, op: &Op, zone: Option<&str>) -> anyhow::Result<ExitCode> {
    // No broker to send it to (none given or configured, an unreadable password file) is an
    // emergency not delivered like any other: whoever is in the room must act by hand.
    let target = match locate::broker(cli) {
        Ok(target) => target,
        Err(e) => return Ok(not_delivered(cli, room, &crate::error_chain(&e))),
    };
    let reply = match remote::deliver(&target.access, &target.prefix, room, op, 1, REMOTE_TIMEOUT) {
        Ok(remote::Delivery::Answered(reply)) => reply,
        Ok(remote::Delivery::Unheard { reason }) => {
            let why = format!("the broker's ACL does not let this account hear the room's answer ({reason})");
            return Ok(unconfirmed(cli, room, &why));
        }
        Ok(remote::Delivery::Unanswered { within }) => {
            let why = format!("the room did not answer within {} ms", within.as_millis());
            return Ok(unconfirmed(cli, room, &why));
        }
        Err(e) => {
            return Ok(not_delivered(
                cli,
                room,
                &crate::error_chain(&anyhow::Error::from(e)),
            ));
        }
    };
    match remote_outcome(reply) {
        RemoteOutcome::Sent(result) => {
            print_sent(
                cli,
                zone,
                result.as_ref(),
                &format!("room {room}'s settingd over the broker"),
            );
            Ok(ExitCode::SUCCESS)
        }
        RemoteOutcome::Refused(failure) => Err(failure.into()),
        RemoteOutcome::NotDelivered(why) => Ok(not_delivered(cli, room, &why)),
    }
}

/// What a room's reply to a remote emergency means.
#[derive(Debug)]
enum RemoteOutcome {
    Sent(Option<EmergencyReply>),
    /// The daemon said no to the request itself (an unknown zone): it is not stuck.
    Refused(Failure),
    /// The daemon could not carry it out (stopping, or its engine is not taking emergencies):
    /// someone must act by hand.
    NotDelivered(String),
}

fn remote_outcome(reply: ReplyLine) -> RemoteOutcome {
    match (reply.ok, reply.error) {
        (true, _) => RemoteOutcome::Sent(reply.result.as_deref().and_then(emergency_reply)),
        (false, Some(error)) if error.kind == ReplyErrorKind::Internal => {
            RemoteOutcome::NotDelivered(format!("its settingd could not carry it out: {}", error.message))
        }
        (false, Some(error)) => RemoteOutcome::Refused(Failure::from_reply(error)),
        (false, None) => RemoteOutcome::NotDelivered("its settingd refused without saying why".into()),
    }
}

fn not_delivered(cli: &Cli, room: &str, why: &str) -> ExitCode {
    emergency_direct::act_by_hand(
        cli,
        "not_delivered",
        &format!("EMERGENCY NOT DELIVERED to room {room}: {why}"),
        "SOMEONE IN THE ROOM MUST TURN THE LIGHTS ON BY HAND NOW (wall switch) and stop the music at \
         the amplifier; then call the technician",
        emergency_direct::NOT_DELIVERED,
    )
}

/// The broker handed the emergency on, but the room did not say it acted: as urgent for the
/// room as one not delivered, and said differently so nobody takes it for either.
fn unconfirmed(cli: &Cli, room: &str, why: &str) -> ExitCode {
    emergency_direct::act_by_hand(
        cli,
        "unconfirmed",
        &format!(
            "EMERGENCY SENT to room {room} BUT NOT CONFIRMED: the broker handed it to the room's listener; {why}"
        ),
        "SOMEONE IN THE ROOM MUST CHECK NOW that the lights are full on and the music is off, and act \
         by hand if not (wall switch, amplifier)",
        UNCONFIRMED,
    )
}

/// `setting --room R emergency`: the broker took it, the room did not confirm.
const UNCONFIRMED: u8 = 5;

/// The reply to an emergency, when it can be read.
fn emergency_reply(result: &RawValue) -> Option<EmergencyReply> {
    serde_json::from_str(result.get()).ok()
}

/// One request on the control socket, all of it (connect, send, reply) within `timeout`: the
/// ok reply's result, still unread. The exchange runs on a thread that is left behind if it
/// takes longer: a hung daemon that wakes up later still gets the emergency, which does no
/// harm. Nothing is sent to a server `trusted` does not believe.
fn ask_daemon(
    socket: &Path,
    trusted: &Trusted,
    op: &Op,
    timeout: Duration,
) -> Result<Option<Box<RawValue>>, NoAnswer> {
    let (tx, rx) = mpsc::channel();
    let socket = socket.to_path_buf();
    let trusted = trusted.clone();
    let mut request = serde_json::to_value(op).expect("an op is always JSON");
    request["id"] = 1.into();
    let line = encode_line(&request);
    std::thread::spawn(move || {
        let exchange = || -> std::io::Result<String> {
            let mut stream = UnixStream::connect(&socket)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", socket.display())))?;
            trusted.check(&stream).map_err(|why| {
                std::io::Error::new(
                    ErrorKind::PermissionDenied,
                    format!("{}: {why}", socket.display()),
                )
            })?;
            stream.write_all(&line)?;
            let mut reply = String::new();
            BufReader::new(stream).read_line(&mut reply)?;
            Ok(reply)
        };
        let _ = tx.send(exchange());
    });
    let line = match rx.recv_timeout(timeout) {
        Ok(Ok(line)) => line,
        Ok(Err(e)) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) => {
            return Err(NoAnswer::Silent(Some(format!("it is not running ({e})"))));
        }
        Ok(Err(e)) => return Err(NoAnswer::Silent(Some(e.to_string()))),
        Err(_) => return Err(NoAnswer::Silent(None)),
    };
    if line.trim().is_empty() {
        return Err(NoAnswer::Silent(Some(
            "it closed the connection without a reply".into(),
        )));
    }
    let reply: ReplyLine = serde_json::from_str(&line)
        .map_err(|e| NoAnswer::Silent(Some(format!("its reply could not be read: {e}"))))?;
    match (reply.ok, reply.error) {
        (true, _) => Ok(reply.result),
        // A daemon failing inside (shutting down, its engine stuck) has not lit the room: go
        // to the lights directly, as for one that does not answer.
        (false, Some(error)) if error.kind == ReplyErrorKind::Internal => {
            Err(NoAnswer::Silent(Some(error.message)))
        }
        (false, Some(error)) => Err(NoAnswer::Refused(Failure::from_reply(error))),
        (false, None) => Err(NoAnswer::Silent(Some("it refused without saying why".into()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use setting::protocol::{IdleEmergencyReply, Reply};

    #[test]
    fn a_remote_emergency_the_daemon_could_not_carry_out_is_not_delivered() {
        // What a stopping daemon answers (`EngineHandle::request`).
        // As the CLI reads them: the daemon's reply, through JSON.
        let line = |reply: Reply| {
            serde_json::from_str::<ReplyLine>(&serde_json::to_string(&reply).unwrap()).unwrap()
        };
        let stopping = line(Reply::error(
            Some(1),
            ReplyErrorKind::Internal,
            "the daemon is shutting down",
        ));
        let outcome = remote_outcome(stopping);
        assert!(
            matches!(&outcome, RemoteOutcome::NotDelivered(why) if why.contains("shutting down")),
            "{outcome:?}"
        );
        let unknown_zone = line(Reply::error(Some(1), ReplyErrorKind::Refused, "no zone `mat-9`"));
        assert!(matches!(remote_outcome(unknown_zone), RemoteOutcome::Refused(_)));
        let idle = IdleEmergencyReply {
            session: None,
            emergency_zones: vec!["room".into()],
        };
        let sent = line(Reply::ok(Some(1), idle.clone()));
        assert!(
            matches!(remote_outcome(sent), RemoteOutcome::Sent(Some(EmergencyReply::Idle(got))) if got == idle)
        );
    }

    #[test]
    fn a_missing_socket_is_silence_not_a_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let op = Op::Emergency { zone: None };
        let trusted = Trusted::for_config(None);
        let outcome = ask_daemon(
            &dir.path().join("none.sock"),
            &trusted,
            &op,
            Duration::from_millis(500),
        );
        assert!(matches!(outcome, Err(NoAnswer::Silent(Some(_)))));
    }

    #[test]
    fn a_listener_that_never_answers_is_silence_within_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hung.sock");
        // Bound and never accepted from: a daemon that hangs.
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let op = Op::Emergency { zone: None };
        let trusted = Trusted::for_config(None);
        let outcome = ask_daemon(&path, &trusted, &op, Duration::from_millis(200));
        assert!(matches!(outcome, Err(NoAnswer::Silent(None))));
    }
}
