//! `setting status`: where the session stands, readable at a glance, most pressing first.

use std::fmt::Write;
use std::process::ExitCode;

use setting::audio::heard::Heard;
use setting::protocol::{DaemonInfo, Op, StatusReply};
use setting::protocol::{LightStatus, LightsReport};
use setting::scene::PhaseEnd;
use setting::timeline::{MusicTarget, Status};

use crate::args::Cli;
use crate::client::Client;

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let mut client = Client::for_cli(cli)?;
    let reply: StatusReply = client.request_as(&Op::Status)?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&reply)?);
    } else {
        print!("{}", render(&reply));
    }
    Ok(ExitCode::SUCCESS)
}

// `write!` into a String cannot fail; the results below are ignored for that reason.

pub fn render(reply: &StatusReply) -> String {
    let mut out = String::new();
    match &reply.session {
        Some(status) => session(status, reply.daemon.heard.as_ref(), &mut out),
        None => {
            let _ = writeln!(out, "no session running; `setting start SCENE` begins one");
            daemon(&reply.daemon, &mut out);
        }
    }
    if let Some(report) = &reply.lights {
        lights_by_zone(report, &mut out);
    }
    for warning in &reply.daemon.warnings {
        let _ = writeln!(out, "WARNING   {warning}");
    }
    out
}

/// The clinical prompts waiting, oldest first, each with its number for `setting ack N`.
fn prompts(s: &Status, out: &mut String) {
    for (i, p) in s.prompts.iter().enumerate() {
        let head = if i == 0 { "PROMPT" } else { "" };
        let mut notes = Vec::new();
        if let Some(phase) = &p.skipped_phase {
            notes.push(format!("from skipped phase {phase}"));
        }
        if let Some(asks) = p.asks {
            // The command that answers it is also the one that acknowledges it.
            notes.push(format!(
                "asks for {0}: `setting {0}` acknowledges it",
                asks.name()
            ));
        }
        if p.reminders > 0 {
            notes.push(format!("reminded {}x", p.reminders));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        let _ = writeln!(
            out,
            "{head:<9} #{} waiting since {}: {}{notes}",
            p.number, p.raised, p.text
        );
    }
    if !s.prompts.is_empty() {
        let _ = writeln!(
            out,
            "          `setting ack` acknowledges the oldest, `setting ack N` prompt #N"
        );
    }
}

fn session(s: &Status, heard: Option<&Heard>, out: &mut String) {
    let _ = writeln!(
        out,
        "scene     {} ({}), session {}",
        s.scene, s.scene_title, s.session
    );
    if s.finished {
        let _ = writeln!(out, "finished  the session is over");
    }
    let p = &s.phase;
    let timing = if p.elapsed > p.planned {
        format!("over planned time by {}", p.elapsed - p.planned)
    } else {
        format!("{} left", p.remaining)
    };
    let _ = writeln!(
        out,
        "phase     {}/{} {}, {} of {}, {timing}",
        p.index + 1,
        p.count,
        p.title,
        p.elapsed,
        p.planned
    );
    let next = p.next_phase.as_deref().unwrap_or("the end");
    let moves_on = match p.ends {
        PhaseEnd::Timer if s.held => format!("held: waits for `setting release` or `setting next` ({next})"),
        PhaseEnd::Timer => format!("moves on to {next} by itself at its planned time"),
        PhaseEnd::Therapist => format!("waits for you: `setting next` moves on to {next}"),
        PhaseEnd::Prompt => format!("asks you at its planned time, then moves on to {next} at its longest"),
    };
    let _ = writeln!(out, "          {moves_on}");
    prompts(s, out);
    if let Some(hint) = &s.pending_prompt {
        let _ = writeln!(out, "hint      {hint}");
    }
    let overrides = overrides(s);
    if !overrides.is_empty() {
        let _ = writeln!(out, "OVERRIDE  {overrides}");
    }
    let flags: Vec<&str> = [(s.held, "held"), (s.paused, "paused"), (s.muted, "muted")]
        .iter()
        .filter(|f| f.0)
        .map(|f| f.1)
        .collect();
    if !flags.is_empty() {
        let _ = writeln!(out, "state     {}", flags.join(", "));
    }
    let _ = writeln!(
        out,
        "clock     session {}, timeline {}",
        s.session_time, s.timeline_time
    );
    if !s.marks.is_empty() {
        let marks: Vec<String> = s
            .marks
            .iter()
            .map(|(mark, at)| format!("{mark} +{}", s.timeline_time - *at))
            .collect();
        let _ = writeln!(out, "marks     {}", marks.join(", "));
    }
    if let Some(next) = &s.next {
        let _ = writeln!(
            out,
            "next      in {} (timeline {}): {}",
            next.in_, next.at, next.what
        );
    }
    let _ = writeln!(out, "music     {}", music(&s.music, s.volume_offset_db, heard));
    if let Some(failure) = heard.and_then(|h| h.last_failure.as_ref()) {
        let _ = writeln!(out, "          last failure: {failure}");
    }
    if !s.lights.is_empty() {
        let lights: Vec<String> = s
            .lights
            .iter()
            .map(|(zone, look)| format!("{zone} {:.0} % {} K", look.brightness, look.kelvin))
            .collect();
        let _ = writeln!(out, "lights    {}", lights.join("; "));
    }
}

/// Most urgent first, each with where and for how long.
fn overrides(s: &Status) -> String {
    let mut active: Vec<_> = s.overrides.iter().collect();
    active.sort_by_key(|o| o.kind);
    let parts: Vec<String> = active
        .iter()
        .map(|o| {
            format!(
                "{} ({}) for {}",
                o.kind.name(),
                o.target,
                s.session_time - o.since
            )
        })
        .collect();
    parts.join("; ")
}

/// What the scene asks for, then what the player says is heard of it: the track playing, or
/// silence (its reason is among the warnings).
pub fn music(m: &MusicTarget, offset_db: f32, heard: Option<&Heard>) -> String {
    let mut text = match &m.playlist {
        Some(playlist) => format!("{playlist} at {:.1} dB", m.level_db),
        None => "silence".to_string(),
    };
    match heard {
        Some(Heard {
            track: Some(track), ..
        }) => {
            let _ = write!(text, ", playing {}", track.path);
        }
        Some(Heard { silent: Some(_), .. }) => text.push_str(", but SILENT (see the warning)"),
        _ => {}
    }
    if m.muted {
        text.push_str(", muted");
    }
    if m.paused {
        text.push_str(", paused");
    }
    if offset_db != 0.0 {
        let _ = write!(text, " (volume nudged {offset_db:+.1} dB)");
    }
    text
}

/// One line per zone from the lights adapter: how many of its lights are available and the
/// look they are heading for.
fn lights_by_zone(report: &LightsReport, out: &mut String) {
    if report.lights.is_empty() {
        return;
    }
    if report.simulated {
        let _ = writeln!(out, "LIGHTS    {}", report.summary);
    } else if !report.connected {
        let _ = writeln!(out, "LIGHTS    not connected: {}", report.summary);
    }
    let kind = if report.simulated {
        "simulated lights"
    } else {
        "lights"
    };
    let mut zones: Vec<&str> = report.lights.iter().map(|l| l.zone.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    for zone in zones {
        let lights: Vec<&LightStatus> = report.lights.iter().filter(|l| l.zone == zone).collect();
        let up = lights.iter().filter(|l| l.available == Some(true)).count();
        let look = lights
            .iter()
            .find_map(|l| l.desired)
            .map_or("no look set".to_string(), |look| {
                format!("heading for {:.0} % {} K", look.brightness, look.kelvin)
            });
        let _ = writeln!(
            out,
            "zone      {zone}: {up} of {} {kind} available, {look}",
            lights.len()
        );
    }
}

fn daemon(d: &DaemonInfo, out: &mut String) {
    let speed = if d.speed == 1.0 {
        String::new()
    } else {
        format!(", running at {}x speed", d.speed)
    };
    let _ = writeln!(out, "daemon    settingd {} for room {}{speed}", d.version, d.room);
    let _ = writeln!(out, "          socket {}, state in {}", d.socket, d.state_dir);
    let _ = writeln!(out, "          audio: {}; lights: {}", d.audio, d.lights);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use setting::scene::{Asks, Look, Mark};
    use setting::time::Millis;
    use setting::timeline::{ActiveOverride, OverrideKind, PhaseStatus, QueuedPrompt, Target, Upcoming};

    use super::*;

    fn daemon_info() -> DaemonInfo {
        DaemonInfo {
            version: "0.1.0".into(),
            room: "room-1".into(),
            speed: 1.0,
            socket: "/run/setting/settingd.sock".into(),
            state_dir: "/var/lib/setting".into(),
            audio: "null".into(),
            heard: None,
            lights: "simulated".into(),
            warnings: vec!["the state file was damaged".into()],
            emergency_without_session: Vec::new(),
        }
    }

    fn status() -> Status {
        Status {
            session: "s1".into(),
            scene: "sublingual".into(),
            scene_title: "Sublingual lozenge".into(),
            session_time: Millis::from_mins(70),
            timeline_time: Millis::from_mins(65),
            phase: PhaseStatus {
                index: 4,
                count: 8,
                id: "peak".into(),
                title: "Build and peak".into(),
                ends: PhaseEnd::Timer,
                elapsed: Millis::from_mins(45),
                planned: Millis::from_mins(40),
                max: None,
                remaining: Millis::ZERO,
                next_phase: Some("Return".into()),
            },
            marks: BTreeMap::from([(Mark::Dose, Millis::from_mins(20))]),
            next: Some(Upcoming {
                what: "BP check".into(),
                at: Millis::from_mins(70),
                in_: Millis::from_mins(5),
            }),
            overrides: vec![
                ActiveOverride {
                    kind: OverrideKind::Check,
                    target: Target::Zone("mat-1".into()),
                    since: Millis::from_mins(68),
                },
                ActiveOverride {
                    kind: OverrideKind::Emergency,
                    target: Target::Room,
                    since: Millis::from_mins(69),
                },
            ],
            held: true,
            paused: false,
            muted: true,
            volume_offset_db: -3.0,
            music: MusicTarget {
                playlist: Some("peak".into()),
                level_db: -12.0,
                muted: true,
                paused: false,
                fade: Millis::ZERO,
                resume_from: None,
            },
            lights: BTreeMap::from([(
                "room".into(),
                Look {
                    brightness: 5.0,
                    kelvin: 2200,
                },
            )]),
            pending_prompt: Some("The planned 40:00 of `Build and peak` has passed".into()),
            prompts: vec![
                QueuedPrompt {
                    number: 1,
                    text: "Baseline blood pressure".into(),
                    asks: Some(Asks::Vitals),
                    raised: Millis::from_mins(3),
                    skipped_phase: Some("intention".into()),
                    remind_at: Millis::from_mins(13),
                    reminders: 2,
                },
                QueuedPrompt {
                    number: 3,
                    text: "BP check".into(),
                    asks: None,
                    raised: Millis::from_mins(60),
                    skipped_phase: None,
                    remind_at: Millis::from_mins(70),
                    reminders: 0,
                },
            ],
            skipped_phases: Vec::new(),
            finished: false,
            unrecorded: 0,
        }
    }

    #[test]
    fn a_session_reads_at_a_glance() {
        let text = render(&StatusReply {
            daemon: daemon_info(),
            session: Some(status()),
            lights: None,
        });
        for expected in [
            "phase     5/8 Build and peak, 45:00 of 40:00, over planned time by 5:00",
            "held: waits for `setting release`",
            "PROMPT    #1 waiting since 3:00: Baseline blood pressure (from skipped phase intention, \
             asks for vitals: `setting vitals` acknowledges it, reminded 2x)",
            "          #3 waiting since 1:00:00: BP check\n",
            "`setting ack N` prompt #N",
            "hint      The planned 40:00 of `Build and peak` has passed",
            "OVERRIDE  emergency (room) for 1:00; check (zone mat-1) for 2:00",
            "state     held, muted",
            "clock     session 1:10:00, timeline 1:05:00",
            "marks     dose +45:00",
            "next      in 5:00 (timeline 1:10:00): BP check",
            "music     peak at -12.0 dB, muted (volume nudged -3.0 dB)",
            "lights    room 5 % 2200 K",
            "WARNING   the state file was damaged",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn lights_show_one_line_per_zone() {
        let light = |name: &str, zone: &str, available| setting::protocol::LightStatus {
            name: name.into(),
            zone: zone.into(),
            family: "zigbee2mqtt".into(),
            topic: name.into(),
            available,
            desired: Some(Look {
                brightness: 40.0,
                kelvin: 2700,
            }),
            estimated: None,
            reported_level: None,
            reported_kelvin: None,
            reported_on: None,
            commands: 1,
        };
        let text = render(&StatusReply {
            daemon: daemon_info(),
            session: None,
            lights: Some(setting::protocol::LightsReport {
                summary: "mqtt 127.0.0.1:1883".into(),
                connected: false,
                simulated: false,
                lights: vec![
                    light("a", "room", Some(true)),
                    light("b", "mat-1", None),
                    light("c", "room", Some(false)),
                ],
                commands_sent: 3,
                commands_merged: 0,
            }),
        });
        for expected in [
            "LIGHTS    not connected: mqtt 127.0.0.1:1883",
            "zone      mat-1: 0 of 1 lights available, heading for 40 % 2700 K",
            "zone      room: 1 of 2 lights available, heading for 40 % 2700 K",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn no_session_says_so_with_daemon_info() {
        let text = render(&StatusReply {
            daemon: daemon_info(),
            session: None,
            lights: None,
        });
        assert!(text.starts_with("no session running"), "{text}");
        assert!(text.contains("settingd 0.1.0 for room room-1"), "{text}");
        assert!(text.contains("/run/setting/settingd.sock"), "{text}");
    }

    /// The music line says what is heard, not only what the scene asks for.
    #[test]
    fn the_music_line_says_what_is_heard() {
        let mut status = status();
        status.music.muted = false;
        status.volume_offset_db = 0.0;
        let reply = |heard: Heard, warning: Option<&str>| {
            let mut daemon = daemon_info();
            daemon.heard = Some(heard);
            daemon.warnings = warning.map(str::to_string).into_iter().collect();
            render(&StatusReply {
                daemon,
                session: Some(status.clone()),
                lights: None,
            })
        };
        let playing = reply(
            Heard {
                track: Some(setting::audio::heard::HeardTrack {
                    playlist: "peak".into(),
                    path: "peak/a.flac".into(),
                }),
                silent: None,
                last_failure: Some("peak/hung.flac: ends 8.0 s in (42 s ago)".into()),
            },
            None,
        );
        assert!(
            playing.contains("music     peak at -12.0 dB, playing peak/a.flac\n"),
            "{playing}"
        );
        assert!(
            playing.contains("          last failure: peak/hung.flac: ends 8.0 s in (42 s ago)"),
            "{playing}"
        );
        let why = "the music is silent: peak/hung.flac: a read hung for 10 s";
        let silent = reply(
            Heard {
                track: None,
                silent: Some("peak/hung.flac: a read hung for 10 s".into()),
                last_failure: None,
            },
            Some(why),
        );
        assert!(
            silent.contains("music     peak at -12.0 dB, but SILENT (see the warning)\n"),
            "{silent}"
        );
        assert!(silent.contains(&format!("WARNING   {why}")), "{silent}");
    }
}
