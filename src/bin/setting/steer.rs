//! The commands that steer a session: each is one request and a short answer saying what
//! the room does now and how to undo it.

use std::process::ExitCode;

use setting::protocol::{CommandReply, Op};
use setting::scene::Mark;
use setting::time::format_duration;
use setting::timeline::Status;

use crate::args::{Cli, Command};
use crate::client::Client;
use crate::failure::Failure;

pub fn run(cli: &Cli, command: &Command) -> anyhow::Result<ExitCode> {
    let Some(op) = op_for(command)? else {
        anyhow::bail!("`{command:?}` does not steer a session");
    };
    let mut client = Client::for_cli(cli)?;
    // `null` when the command ended the session (`stop`, `end`).
    let result: Option<CommandReply> = client.request_as(&op)?;
    if cli.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!("{}", answer_to(&op, result));
    }
    Ok(ExitCode::SUCCESS)
}

/// The request for a command; a value the daemon would refuse anyway is refused here, before
/// anything is sent.
/// `None` for the commands that are not one plain request (status, watch, local ones).
fn op_for(command: &Command) -> Result<Option<Op>, Failure> {
    Ok(Some(match command {
        Command::Start { scene } => Op::Start { scene: scene.clone() },
        Command::Check(z) => Op::Check { zone: z.zone.clone() },
        Command::Resume(r) => Op::Resume {
            all: r.all,
            zone: r.zone.clone(),
            kind: None,
        },
        Command::Mute => Op::Mute,
        Command::Unmute => Op::Unmute,
        Command::Skip(args) => Op::Skip {
            grounding: args.grounding,
        },
        Command::Pause(p) => Op::Pause { walk: p.walk },
        Command::Hold => Op::Hold,
        Command::Release => Op::Release,
        Command::Extend { by } => Op::Extend {
            by: format_duration(*by),
        },
        Command::Mark { mark } => Op::Mark {
            mark: Mark::from(*mark),
        },
        Command::Next => Op::Next,
        Command::End => Op::End,
        Command::Stop => Op::Stop,
        Command::Volume { delta: Some(delta) } => Op::Volume { delta_db: *delta },
        Command::Light(l) => Op::Light {
            zone: l.zone.clone(),
            brightness: l.brightness.unwrap_or(0.0),
            kelvin: l.kelvin.unwrap_or(0),
        },
        Command::Status
        | Command::Emergency(_)
        | Command::Watch { .. }
        | Command::Report(_)
        | Command::Sessions
        | Command::Reload
        | Command::Plan { .. }
        | Command::Validate { .. }
        | Command::Playlist(_)
        | Command::Render(_)
        | Command::DryRun(_)
        | Command::Lights(_)
        | Command::Rooms
        | Command::Volume { delta: None }
        | Command::Completions(_)
        | Command::Man(_)
        | Command::Vitals(_)
        | Command::Note(_)
        | Command::CompleteNames { .. } => return Ok(None),
    }))
}

/// What the room does now, from the daemon's result.
fn answer_to(op: &Op, result: Option<CommandReply>) -> String {
    // `resume` with no session running ends an emergency that holds the room; there is no
    // scene to come back, so the usual answer would promise what will not happen.
    let ended_idle = matches!(&result, Some(CommandReply::IdleResume(r)) if r.emergency_ended);
    if matches!(op, Op::Resume { .. }) && ended_idle {
        return "emergency ended (no session is running): the lights stay as they are, with no scene \
                to go back to, until a session starts or `setting lights set` changes them"
            .into();
    }
    // The daemon may answer with where the session now stands; use it when it does.
    let status = result.as_ref().and_then(CommandReply::status);
    let said = answer(op, status);
    match status.map(|s| s.unrecorded) {
        Some(held) if held > 0 => format!(
            "{said}\nNOT RECORDED YET: the state disk refuses the event log; {held} entries are held in \
             memory and written when it allows (`setting status` shows it)"
        ),
        _ => said,
    }
}

fn answer(op: &Op, status: Option<&Status>) -> String {
    let place = |zone: &Option<String>| zone.as_ref().map_or(String::new(), |z| format!(" in zone {z}"));
    let phase = status.map_or(String::new(), |s| {
        format!(
            "; now in phase {}/{}: {}",
            s.phase.index + 1,
            s.phase.count,
            s.phase.title
        )
    });
    match op {
        Op::Start { scene } => {
            format!("started scene {scene}{phase}; `setting status` shows where it stands")
        }
        // A zone's override changes that zone's light only: the music and the clock are the
        // rest of the room's, and saying otherwise would mislead the therapist.
        Op::Emergency { zone: None } => {
            "EMERGENCY: full neutral light, music muted, clock paused; `setting resume` when it is over"
                .into()
        }
        Op::Emergency { zone: Some(zone) } => format!(
            "EMERGENCY in zone {zone}: full neutral light there; music and clock unchanged; \
             `setting resume --zone {zone}` when it is over"
        ),
        Op::Check { zone: None } => {
            "check on: task light up, music ducked; `setting resume` restores the scene".into()
        }
        Op::Check { zone: Some(zone) } => format!(
            "check on in zone {zone}: task light up there; music and clock unchanged; \
             `setting resume --zone {zone}` restores the zone's scene"
        ),
        Op::Resume { all: true, zone, .. } => {
            format!("every override ended{}; the scene comes back slowly", place(zone))
        }
        Op::Resume { all: false, zone, .. } => {
            format!(
                "most urgent override ended{}; the scene comes back slowly",
                place(zone)
            )
        }
        Op::Mute => "muted: the music fades out; `setting unmute` brings it back".into(),
        Op::Unmute => "unmuted: the music fades back in".into(),
        Op::Skip { grounding: false } => {
            "skipping: cross-fading to the next track; the skipped one is flagged for review".into()
        }
        Op::Skip { grounding: true } => {
            "skipping: cross-fading to the grounding track, then on with the playlist; the skipped one is flagged for review".into()
        }
        Op::Pause { walk } => format!(
            "paused: the timeline stands still and the music fades out{}; `setting resume` goes on",
            if *walk { ", walking light on" } else { "" }
        ),
        Op::Hold => "holding: the phase will not move on by itself; `setting release` lets it go on".into(),
        Op::Release => "released: the phase moves on by its own timing again".into(),
        Op::Extend { by } => format!("phase extended by {by}{}", remaining(status)),
        Op::Mark { mark } => format!("{mark} marked; timing after it counts from now{phase}"),
        Op::Next => format!("moved on{phase}"),
        Op::End => format!("ending the journey{phase}"),
        Op::Stop => "session stopped: the music fades out, the lights stay as they are".into(),
        Op::Volume { delta_db } => format!("volume {delta_db:+} dB{}", volume_now(status)),
        Op::VolumeTo { db } => format!("volume towards {db:+} dB{}", volume_now(status)),
        Op::Light {
            zone,
            brightness,
            kelvin,
        } => {
            let mut parts = Vec::new();
            if *brightness != 0.0 {
                parts.push(format!("brightness {brightness:+} %"));
            }
            if *kelvin != 0 {
                parts.push(format!("colour temperature {kelvin:+} K"));
            }
            format!("light nudged{}: {}", place(zone), parts.join(", "))
        }
        Op::Status
        | Op::Watch
        | Op::Report { .. }
        | Op::Sessions
        | Op::Ping
        | Op::Reload
        | Op::Lights
        | Op::LightsSet { .. }
        | Op::LightsTest { .. }
        | Op::LightsCalibrate { .. }
        | Op::Vitals { .. }
        | Op::Note { .. } => "done".into(),
    }
}

fn remaining(status: Option<&Status>) -> String {
    status.map_or(String::new(), |s| {
        format!("; {} left of `{}`", s.phase.remaining, s.phase.title)
    })
}

fn volume_now(status: Option<&Status>) -> String {
    status.map_or(String::new(), |s| {
        format!("; offset now {:+.1} dB", s.volume_offset_db)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{MarkArg, ZoneArg};

    #[test]
    fn an_extension_is_sent_in_the_protocol_s_form() {
        assert_eq!(
            op_for(&Command::Extend {
                by: setting::time::Millis::from_secs(90 * 60)
            })
            .unwrap(),
            Some(Op::Extend { by: "1h30m".into() })
        );
    }

    #[test]
    fn answers_say_what_happens_and_how_to_undo_it() {
        let check = op_for(&Command::Check(ZoneArg {
            zone: Some("mat-2".into()),
        }))
        .unwrap()
        .unwrap();
        assert_eq!(
            answer(&check, None),
            "check on in zone mat-2: task light up there; music and clock unchanged; \
             `setting resume --zone mat-2` restores the zone's scene"
        );
        let room = op_for(&Command::Check(ZoneArg { zone: None })).unwrap().unwrap();
        assert_eq!(
            answer(&room, None),
            "check on: task light up, music ducked; `setting resume` restores the scene"
        );
        let zone_emergency = answer(
            &Op::Emergency {
                zone: Some("mat-1".into()),
            },
            None,
        );
        assert!(!zone_emergency.contains("muted"), "{zone_emergency}");
        assert!(
            zone_emergency.contains("music and clock unchanged"),
            "{zone_emergency}"
        );
        let mark = op_for(&Command::Mark { mark: MarkArg::Dose }).unwrap().unwrap();
        assert!(answer(&mark, None).starts_with("dose marked"));
        assert_eq!(answer(&Op::Volume { delta_db: -3.0 }, None), "volume -3 dB");
    }

    #[test]
    fn resume_after_an_emergency_with_no_session_promises_no_scene() {
        let resume = Op::Resume {
            all: false,
            zone: None,
            kind: None,
        };
        // Read from the daemon's JSON, as the CLI reads it.
        let ended = answer_to(
            &resume,
            serde_json::from_str(r#"{ "session": null, "emergency_ended": true }"#).unwrap(),
        );
        assert!(ended.starts_with("emergency ended"), "{ended}");
        assert!(!ended.contains("scene comes back"), "{ended}");
        let usual = answer_to(&resume, serde_json::from_str("null").unwrap());
        assert!(usual.contains("the scene comes back slowly"), "{usual}");
    }
}
