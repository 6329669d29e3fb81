//! The therapist the soak plays: a seeded generator and the random commands it sends, each
//! with the name the event log records it under, and the undo it schedules.

/// A small seeded generator (splitmix64), so that a failing soak can be repeated exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..hi` (seconds, say).
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One command: the `setting` arguments, the event log's name for it, and how it moves the
/// `room` zone's light nudge if acknowledged (brightness points, Kelvin).
pub struct Therapist {
    pub args: Vec<String>,
    pub name: &'static str,
    pub room_nudge: (f32, i32),
    /// What a therapist does a little later (resume after an override, unmute, release),
    /// with its name in the event log.
    pub undo: Option<(Vec<String>, &'static str)>,
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn plain(words: &[&str], name: &'static str) -> Therapist {
    Therapist {
        args: args(words),
        name,
        room_nudge: (0.0, 0),
        undo: None,
    }
}

fn undone(words: &[&str], name: &'static str, undo: &[&str]) -> Therapist {
    // The CLI's first word is the event log's name for the command.
    let undo_name = match undo[0] {
        "unmute" => "unmute",
        "release" => "release",
        _ => "resume",
    };
    Therapist {
        undo: Some((args(undo), undo_name)),
        ..plain(words, name)
    }
}

/// A random command. No `next`, `end` or `stop`: the soak moves the arc on itself, as the
/// prompts ask, so that the session runs its full length. Before the dose a `mark dose`
/// would skip the rest of the preparation, so only a (refused) booster is tried then.
pub fn random(rng: &mut Rng, dosed: bool) -> Therapist {
    match rng.below(14) {
        0 if dosed => plain(&["mark", "dose"], "mark"),
        0 | 1 => plain(&["mark", "booster"], "mark"),
        // A long emergency would stop the timeline for good; the undo comes a few seconds later.
        2 => undone(
            &["emergency", "--timeout", "5000"],
            "emergency",
            &["resume", "--all"],
        ),
        3 => undone(&["check"], "check", &["resume"]),
        4 => undone(
            &["check", "--zone", "mat-1"],
            "check",
            &["resume", "--zone", "mat-1"],
        ),
        5 => undone(&["mute"], "mute", &["unmute"]),
        6 => undone(&["hold"], "hold", &["release"]),
        7 => plain(&["skip"], "skip"),
        8 => plain(&["extend", if rng.below(2) == 0 { "2m" } else { "5m" }], "extend"),
        9 | 10 => {
            let db = [-3, -2, -1, 1, 2, 3][rng.below(6) as usize].to_string();
            plain(&["volume", &db], "volume")
        }
        _ => {
            let room_wide = rng.below(2) == 0;
            let (flag, value, nudge) = if rng.below(2) == 0 {
                let points = if rng.below(2) == 0 { 5 } else { -5 };
                ("--brightness", points.to_string(), (points as f32, 0))
            } else {
                let kelvin = if rng.below(2) == 0 { 100 } else { -100 };
                ("--kelvin", kelvin.to_string(), (0.0, kelvin))
            };
            let mut words = vec!["light", flag, &value];
            if !room_wide {
                words.extend(["--zone", "room"]);
            }
            Therapist {
                room_nudge: nudge,
                ..plain(&words, "light")
            }
        }
    }
}
