//! `setting volume` with no change: the music's level now, from the daemon's status, and how
//! to change it.

use std::process::ExitCode;

use setting::protocol::{Op, StatusReply};
use setting::timeline::Status;

use crate::args::Cli;
use crate::client::Client;

pub fn show(cli: &Cli) -> anyhow::Result<ExitCode> {
    let reply: StatusReply = Client::for_cli(cli)?.request_as(&Op::Status)?;
    if cli.json {
        println!("{}", serde_json::to_string(&level(reply.session.as_ref()))?);
    } else {
        println!("{}", describe(reply.session.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The level as a script reads it: `null` with no session.
fn level(session: Option<&Status>) -> serde_json::Value {
    match session {
        Some(s) => serde_json::json!({
            "playlist": s.music.playlist,
            "level_db": s.music.level_db,
            "volume_offset_db": s.volume_offset_db,
            "muted": s.music.muted,
            "paused": s.music.paused,
        }),
        None => serde_json::Value::Null,
    }
}

fn describe(session: Option<&Status>) -> String {
    match session {
        Some(s) => format!(
            "volume: {}; `setting volume +3` or `setting volume -3` nudges it",
            crate::status::music(&s.music, s.volume_offset_db, None)
        ),
        None => "no session running, so no music; the volume is the scene's once one starts".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_is_read_from_the_status() {
        let status: Status = serde_json::from_value(serde_json::json!({
            "session": "s1", "scene": "sublingual", "scene_title": "Sublingual",
            "session_time": 0, "timeline_time": 0,
            "phase": {"index": 0, "count": 1, "id": "a", "title": "A", "ends": "timer",
                      "elapsed": 0, "planned": 0, "max": null, "remaining": 0, "next_phase": null},
            "marks": {}, "next": null, "overrides": [], "held": false, "paused": false,
            "muted": false, "volume_offset_db": -3.0,
            "music": {"playlist": "peak", "level_db": -15.0, "muted": false, "paused": false, "fade": 0},
            "lights": {}, "pending_prompt": null, "finished": false
        }))
        .unwrap();
        let said = describe(Some(&status));
        assert!(said.starts_with("volume: peak at -15.0 dB"), "{said}");
        assert!(said.contains("nudged -3.0 dB"), "{said}");
        assert_eq!(level(Some(&status))["volume_offset_db"], -3.0);
        assert!(describe(None).starts_with("no session running"));
        assert!(level(None).is_null());
    }
}
