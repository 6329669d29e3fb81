//! The emergency's second path: the daemon did not answer, so the CLI reads the room's config,
//! publishes the emergency look to every light of the target zones through the broker itself,
//! and leaves what keeps a daemon that comes back from dimming the room: a marker in the spool
//! (`<state_dir>/emergency`, writable by the therapists' group) and a retained notice on the
//! broker. Either is enough; with neither, the room is lit but the command says it is not kept.

use std::process::ExitCode;
use std::time::SystemTime;

use setting::config::Config;
use setting::engine::marker::{DirectEmergency, marker_path};
use setting::engine::marker_spool::spool_dir;
use setting::engine::persist::unix_millis;
use setting::lights::direct::{self, DirectReport};
use setting::lights::direct_notice::DirectNotice;

use crate::args::Cli;
use crate::emergency::EmergencyArgs;
use crate::locate;

/// Neither the daemon nor the lights took the emergency: the therapist must act by hand.
pub(crate) const NOT_DELIVERED: u8 = 4;

/// The lights took the emergency, but neither the marker nor the notice could be left: a
/// daemon that comes back may dim the room again.
const NOT_KEPT: u8 = 7;

const BY_HAND: &str = "TURN THE ROOM LIGHTS ON BY HAND NOW (wall switch) and stop the music at the amplifier; \
                       then call the technician";

/// `why` says why the daemon was gone around, for the therapist. `daemon_took_it`: the daemon
/// did take the emergency (music muted, clock paused) but cannot reach the lights itself.
pub fn run(cli: &Cli, args: &EmergencyArgs, why: &str, daemon_took_it: bool) -> ExitCode {
    let not_delivered = |reason: &str| not_delivered(cli, reason, daemon_took_it);
    let config = match locate::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            return not_delivered(&format!(
                "the config could not be read, so the lights cannot be reached either: {}",
                crate::error_chain(&e)
            ));
        }
    };
    let mut config = config;
    if let Some((host, port)) = &args.mqtt {
        config.override_broker(host.clone(), *port);
    }
    let zones = match zones(&config, args.zone.as_deref()) {
        Ok(zones) => zones,
        Err(message) => {
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({ "error": { "kind": "bad_input", "message": message } })
                );
            }
            eprintln!("setting: {message}");
            return ExitCode::from(2);
        }
    };
    let sent_unix_ms = unix_millis(SystemTime::now());
    let id = format!("{sent_unix_ms}-{}", std::process::id());
    // A daemon that took the emergency keeps its session in it already: no marker needed.
    let marker = if daemon_took_it {
        Err("settingd took the emergency itself".to_string())
    } else {
        leave_marker(&config, args, &zones, &id, sent_unix_ms)
    };
    let Some(broker) = &config.lights.broker else {
        let why = if config.lights.lights.is_empty() {
            "the config names no lights".to_string()
        } else {
            "the config has no [mqtt] broker: the demo's private broker lives inside settingd and \
             cannot be reached from here (give one with --mqtt HOST:PORT)"
                .to_string()
        };
        return not_delivered(&why);
    };
    let notice = DirectNotice {
        zones: zones.clone(),
        look: config.policy.emergency.look,
        id: Some(id),
        sent_unix_ms,
        whole_room: args.zone.is_none(),
        user: user(),
        // Stamped by the direct path just before the lights' messages.
        lights_from_unix_ms: None,
    };
    // Retained only for a daemon that has not taken it: one that has would find it again
    // after a later resume, and light the room once more.
    let report = direct::publish_emergency(
        broker,
        &config.room.name,
        &config.lights.lights,
        &notice,
        !daemon_took_it,
        direct::DEFAULT_DEADLINE,
    );
    let report = match report {
        Ok(report) => report,
        Err(e) => return not_delivered(&crate::error_chain(&anyhow::Error::from(e))),
    };
    let lit = report.acknowledged();
    if lit.is_empty() {
        return not_delivered(&format!(
            "the broker at {} acknowledged none of the lights: {}",
            report.address,
            problems(&report)
        ));
    }
    if cli.json {
        println!(
            "{}",
            json_of(&report, marker.as_ref().ok().map(String::as_str), daemon_took_it)
        );
    } else {
        let music = if daemon_took_it {
            "Music muted by settingd."
        } else {
            "Music could not be muted by this path."
        };
        println!(
            "EMERGENCY sent directly to the lights through the broker at {} ({why}): {}. {music}",
            report.address,
            lit.join(", ")
        );
    }
    if lit.len() < report.lights.len() {
        eprintln!("setting: NOT LIT: {}. Turn those on by hand.", problems(&report));
    }
    if daemon_took_it {
        return ExitCode::SUCCESS;
    }
    match (marker, report.notice_kept) {
        (Ok(path), true) => eprintln!(
            "setting: settingd will keep the room in emergency when it comes back (marker {path}, and \
             the notice retained on the broker)"
        ),
        (Ok(path), false) => eprintln!(
            "setting: settingd will keep the room in emergency when it comes back (marker {path}; the \
             broker did not keep the notice)"
        ),
        (Err(why), true) => eprintln!(
            "setting: settingd will keep the room in emergency when it comes back (the notice retained \
             on the broker; no marker: {why})"
        ),
        (Err(why), false) => {
            eprintln!(
                "setting: NOT KEPT: settingd may dim the room again when it comes back: the marker could \
                 not be left ({why}) and the broker did not keep the notice. Tell the technician; \
                 run `setting emergency` again once settingd answers."
            );
            return ExitCode::from(NOT_KEPT);
        }
    }
    ExitCode::SUCCESS
}

fn zones(config: &Config, zone: Option<&str>) -> Result<Vec<String>, String> {
    let all = config.zone_names();
    match zone {
        None => Ok(all),
        Some(zone) if all.iter().any(|z| z == zone) => Ok(vec![zone.to_string()]),
        Some(zone) => Err(format!(
            "unknown zone `{zone}`; this room has: {}",
            all.join(", ")
        )),
    }
}

/// Written before anything is sent: whatever the broker does, the therapist asked for an
/// emergency, and a daemon that comes back must honour it. In the spool first (the therapists'
/// group may write there), else in the state directory itself (a daemon run as the same user).
/// The path, or why neither took it.
fn leave_marker(
    config: &Config,
    args: &EmergencyArgs,
    zones: &[String],
    id: &str,
    sent_unix_ms: u64,
) -> Result<String, String> {
    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| config.daemon.state_dir.clone());
    let broker = config
        .lights
        .broker
        .as_ref()
        .map_or("no broker".to_string(), |b| format!("{}:{}", b.host, b.port));
    let marker = DirectEmergency {
        id: Some(id.to_string()),
        sent_unix_ms,
        whole_room: args.zone.is_none(),
        zones: zones.to_vec(),
        lights: config
            .lights
            .lights
            .iter()
            .filter(|l| zones.contains(&l.zone))
            .map(|l| l.name.clone())
            .collect(),
        user: user(),
        broker,
    };
    let spooled = match marker.leave_in_spool(&spool_dir(&state_dir)) {
        Ok(path) => return Ok(path.display().to_string()),
        Err(e) => crate::error_chain(&anyhow::Error::from(e)),
    };
    match marker.write(&state_dir) {
        Ok(()) => Ok(marker_path(&state_dir).display().to_string()),
        Err(e) => Err(format!(
            "{spooled}; {}",
            crate::error_chain(&anyhow::Error::from(e))
        )),
    }
}

fn user() -> Option<String> {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        // SAFETY: getuid(2) has no preconditions and cannot fail.
        .or_else(|| Some(format!("uid {}", unsafe { libc::getuid() })))
}

fn problems(report: &DirectReport) -> String {
    report
        .lights
        .iter()
        .filter(|l| !l.acknowledged)
        .map(|l| format!("{} ({})", l.light, l.problem.as_deref().unwrap_or("no answer")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_of(report: &DirectReport, marker: Option<&str>, music_muted: bool) -> serde_json::Value {
    let lights: Vec<_> = report
        .lights
        .iter()
        .map(|l| {
            serde_json::json!({
                "light": l.light,
                "zone": l.zone,
                "acknowledged": l.acknowledged,
                "problem": l.problem,
            })
        })
        .collect();
    serde_json::json!({
        "path": "direct",
        "broker": report.address,
        "lights": lights,
        "music_muted": music_muted,
        // The daemon took the emergency too (it is only cut off from the lights).
        "daemon_took_it": music_muted,
        "marker": marker,
        "notice_kept": report.notice_kept,
    })
}

fn not_delivered(cli: &Cli, why: &str, daemon_took_it: bool) -> ExitCode {
    let message = if daemon_took_it {
        format!(
            "EMERGENCY NOT DELIVERED TO THE LIGHTS: settingd muted the music and paused the clock, but \
             neither it nor this command could reach the lights: {why}"
        )
    } else {
        format!("EMERGENCY NOT DELIVERED: neither settingd nor the lights could be reached: {why}")
    };
    act_by_hand(cli, "not_delivered", &message, BY_HAND, NOT_DELIVERED)
}

/// An emergency that nobody can vouch for: said loudly on stderr with what to do by hand (and
/// as a JSON error with `--json`), with its own exit code.
pub(crate) fn act_by_hand(cli: &Cli, kind: &str, message: &str, by_hand: &str, code: u8) -> ExitCode {
    if cli.json {
        println!(
            "{}",
            serde_json::json!({ "error": { "kind": kind, "message": format!("{message}. {by_hand}.") } })
        );
    }
    eprintln!("setting: {message}.");
    eprintln!("setting: {by_hand}.");
    ExitCode::from(code)
}
