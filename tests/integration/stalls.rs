//! Files that could stall the player, on the real daemon and the real curators' commands: a
//! FIFO, a link to `/dev/zero`, and files on a share that stops answering reads (a FUSE mount
//! served by the test, see `support::stalled_fs`): one whose first read never returns, and one
//! that plays for a few seconds before its reads stop; and, on a second share that died between
//! two looks, one whose very stat never returns, in a directory whose listing never returns.
//! None of them may stall a session's music, the daemon's start or reload, the background
//! measuring of loudness, `setting playlist check`, `analyze`, `render`, `dry-run` or
//! `settingd --check`; each is named with why.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use setting::audio::loudness_cache::{FileIdentity, LoudnessCache};

use crate::support::stalled_fs::{StalledFile, StalledFs, Stalls, skip_reason};
use crate::support::{Daemon, eventually, sine_wav};

const RATE: u32 = 48_000;
/// The config's read timeout in these rooms: short, so that each test is quick.
const READ_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a command may take here: every file given up after the read timeout, with room
/// for a slow machine.
const PROMPTLY: Duration = Duration::from_secs(8);
/// Where the file on the share that plays, then stops, stops: 6.5 s into its data.
const MIDWAY_AT: f64 = 6.5;
/// Beyond the read timeout, what a hang may take to be reported: the session's start, and
/// decoding the 6.5 s up to it (a debug build on a busy machine takes a second or two).
const SLACK: Duration = Duration::from_millis(2_500);
/// Where the longer file on the share stops: far past what its read-ahead holds at the start
/// (about 6 s with this read timeout), so it is met while the track plays from a steady
/// read-ahead.
const LATE_AT: f64 = 16.0;

/// A room of its own whose media hold two good tones, a FIFO, a link to `/dev/zero`, and a
/// share (`share/`) whose reads stop: `hung.wav` and `hung2.wav` at their first byte,
/// `midway.wav` (a 20 s tone at 300 Hz) after 6.5 s of it, `late.wav` (a 40 s tone at 300 Hz)
/// after 16 s of it.
struct Room {
    dir: tempfile::TempDir,
    // Dropped before `dir`: unmounted first, so every read left hanging is let go.
    share: Option<StalledFs>,
    /// `dead/`, once [`Room::dead_share`] has mounted it.
    dead: Option<StalledFs>,
    /// `library/`, once [`Room::library_whose_cache_hangs`] has mounted it, and how its cache
    /// hangs.
    library: Option<StalledFs>,
    cache_hang: Option<CacheHang>,
}

/// On the share that died between two looks: a stat of it never returns.
const STAT_HUNG: &str = "dead/stat.wav";

/// The media root's loudness cache.
const CACHE: &str = ".setting-loudness.json";

/// How the media root's loudness cache hangs.
#[derive(Clone, Copy, Debug)]
enum CacheHang {
    /// Its reads never answer.
    Read,
    /// A look at it (a stat, an open) never answers.
    Stat,
}

impl Room {
    fn new() -> Room {
        if let Some(reason) = skip_reason() {
            panic!("{reason}");
        }
        let dir = tempfile::tempdir().unwrap();
        for sub in ["scenes", "playlists", "media/share"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let media = dir.path().join("media");
        std::fs::write(media.join("a.wav"), sine_wav(880.0, 0.5, RATE, 3.0)).unwrap();
        std::fs::write(media.join("b.wav"), sine_wav(660.0, 0.5, RATE, 3.0)).unwrap();
        let fifo = std::ffi::CString::new(media.join("pipe.wav").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        std::os::unix::fs::symlink("/dev/zero", media.join("zero.wav")).unwrap();
        let tone = sine_wav(440.0, 0.5, RATE, 3.0);
        let late_bytes = 44 + (LATE_AT * f64::from(RATE)) as usize * 2;
        let share = StalledFs::mount(
            &media.join("share"),
            vec![
                StalledFile {
                    name: "hung.wav".into(),
                    bytes: tone.clone(),
                    answers_up_to: 0,
                },
                StalledFile {
                    name: "hung2.wav".into(),
                    bytes: tone,
                    answers_up_to: 0,
                },
                StalledFile {
                    name: "midway.wav".into(),
                    bytes: midway_bytes(),
                    answers_up_to: 44 + (MIDWAY_AT * f64::from(RATE)) as usize * 2,
                },
                StalledFile {
                    name: "late.wav".into(),
                    bytes: late_wav(),
                    answers_up_to: late_bytes,
                },
            ],
        );
        let config = format!(
            "[room]\nname = \"stalls\"\n[[room.zone]]\nname = \"room\"\ndescription = \"all\"\n\
             [paths]\nscenes = \"scenes\"\nplaylists = \"playlists\"\nmedia = \"media\"\n\
             [audio]\noutput = \"null\"\nrate = {RATE}\nread_timeout = \"{}s\"\n",
            READ_TIMEOUT.as_secs()
        );
        std::fs::write(dir.path().join("settingd.toml"), config).unwrap();
        Room {
            dir,
            share: Some(share),
            dead: None,
            library: None,
            cache_hang: None,
        }
    }

    /// Makes the media root a share (`library/`) whose loudness cache never answers, in the way
    /// `hang` says, while its two tones `a.wav` and `b.wav` read as any file does. The share is
    /// read-only, as the media often are to the daemon.
    fn library_whose_cache_hangs(&mut self, hang: CacheHang) {
        let mountpoint = self.path("library");
        std::fs::create_dir(&mountpoint).unwrap();
        let tone = |name: &str, hz| {
            let bytes = sine_wav(hz, 0.5, RATE, 3.0);
            StalledFile {
                name: name.into(),
                answers_up_to: bytes.len(),
                bytes,
            }
        };
        let mut files = vec![tone("a.wav", 880.0), tone("b.wav", 660.0)];
        let mut stalls = Stalls::default();
        match hang {
            CacheHang::Read => files.push(StalledFile {
                name: CACHE.into(),
                bytes: b"{\"files\": {}}".to_vec(),
                answers_up_to: 0,
            }),
            CacheHang::Stat => stalls.looks.push(CACHE.into()),
        }
        self.library = Some(StalledFs::mount_stalling(&mountpoint, files, stalls));
        self.cache_hang = Some(hang);
        // The commands keep what they measure where the daemon would: here, not in the
        // account's own state directory.
        std::fs::create_dir(self.path("state")).unwrap();
        let config = std::fs::read_to_string(self.config()).unwrap();
        let config =
            config.replace("media = \"media\"", "media = \"library\"") + "[daemon]\nstate_dir = \"state\"\n";
        std::fs::write(self.config(), config).unwrap();
    }

    /// How many reads and looks of `library/` were left unanswered.
    fn library_hangs(&self) -> usize {
        self.library
            .as_ref()
            .map_or(0, |l| l.hanging_reads() + l.hanging_looks())
    }

    /// Mounts `media/dead`, a share that died between two looks: neither a stat of
    /// [`STAT_HUNG`] nor the listing of `dead/` is ever answered.
    fn dead_share(&mut self) {
        let mountpoint = self.path("media/dead");
        std::fs::create_dir(&mountpoint).unwrap();
        let stalls = Stalls {
            looks: vec!["stat.wav".into()],
            listing: true,
        };
        self.dead = Some(StalledFs::mount_stalling(&mountpoint, Vec::new(), stalls));
    }

    /// How many looks at `dead/` were left unanswered.
    fn hanging_looks(&self) -> usize {
        self.dead.as_ref().map_or(0, StalledFs::hanging_looks)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn config(&self) -> PathBuf {
        self.path("settingd.toml")
    }

    fn playlist(&self, name: &str, tracks: &[&str]) {
        let text: String = std::iter::once("when_done = \"silence\"\n".to_string())
            .chain(tracks.iter().map(|t| format!("[[track]]\npath = \"{t}\"\n")))
            .collect();
        std::fs::write(self.path(&format!("playlists/{name}.toml")), text).unwrap();
    }

    /// A scene whose one phase plays `playlist` until the therapist moves on.
    fn scene(&self, playlist: &str) {
        self.scene_planned(playlist, "10m");
    }

    /// [`Room::scene`], its phase planned to last `planned` (what a dry run plays).
    fn scene_planned(&self, playlist: &str, planned: &str) {
        let scene = format!(
            "title = \"Stalls\"\nkind = \"preparation\"\n\n[[phase]]\nid = \"only\"\ntitle = \"Music\"\n\
             planned = \"{planned}\"\nends = \"therapist\"\nmusic = {{ playlist = \"{playlist}\", level_db = -20 }}\n\
             light.room = {{ brightness = 30, kelvin = 2700, fade = \"1s\" }}\n"
        );
        std::fs::write(self.path("scenes/stalls.toml"), scene).unwrap();
    }

    /// `share/midway.wav` as measured before its share stalled (yesterday, say): its loudness,
    /// measured from a copy of its bytes, in the media's cache under the identity the share
    /// gives it. Nothing then reads it before it plays.
    fn midway_measured_beforehand(&self) {
        self.measured_beforehand("share/midway.wav", &midway_bytes());
    }

    /// `rel` on the share, whose whole content is `bytes`, measured before its share stalled.
    fn measured_beforehand(&self, rel: &str, bytes: &[u8]) {
        let copy = self.path("measured-copy.wav");
        std::fs::write(&copy, bytes).unwrap();
        let loudness = setting::audio::measure::measure(&copy).unwrap();
        let media = self.path("media");
        let identity = FileIdentity::of(&media.join(rel)).unwrap();
        let mut cache = LoudnessCache::load(&media).unwrap();
        cache.put(rel, identity, loudness);
        cache.save(&media).unwrap();
    }

    /// Whether the media's cache on disk holds a measurement of `rel`.
    fn measured_on_disk(&self, rel: &str) -> bool {
        let media = self.path("media");
        let cache = LoudnessCache::load(&media).unwrap();
        FileIdentity::of(&media.join(rel)).is_ok_and(|id| cache.get(rel, id).is_some())
    }

    /// Runs `setting` and waits for it, up to a limit: a command stuck on the share is killed
    /// (which the share answers) and the test fails, rather than hang the test run. Whatever
    /// stalls, the command must have finished [`PROMPTLY`].
    fn setting(&self, args: &[&str]) -> Output {
        let (out_path, err_path) = (self.path("setting.out"), self.path("setting.err"));
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_setting"))
            .arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("SETTING_SOCKET")
            .env_remove("SETTING_CONFIG")
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("cannot run setting");
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "setting {args:?} hung: {}",
                    std::fs::read_to_string(&err_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = started.elapsed();
        let cache = self
            .cache_hang
            .map(|h| format!(" (the cache's {h:?} hangs)"))
            .unwrap_or_default();
        assert!(took < PROMPTLY, "setting {args:?} took {took:?}{cache}");
        Output {
            status,
            stdout: std::fs::read(&out_path).unwrap(),
            stderr: std::fs::read(&err_path).unwrap(),
        }
    }

    fn hanging_reads(&self) -> usize {
        self.share.as_ref().map_or(0, StalledFs::hanging_reads)
    }
}

/// `share/late.wav`: a 40 s tone at 300 Hz.
fn late_wav() -> Vec<u8> {
    sine_wav(300.0, 0.5, RATE, 40.0)
}

/// `share/midway.wav`: a 20 s tone at 300 Hz.
fn midway_bytes() -> Vec<u8> {
    sine_wav(300.0, 0.5, RATE, 20.0)
}

impl Drop for Room {
    fn drop(&mut self) {
        self.share.take();
        self.dead.take();
        self.library.take();
    }
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const BAD: [(&str, &str); 4] = [
    ("pipe.wav", "a FIFO, not a regular file"),
    ("zero.wav", "a character device, not a regular file"),
    ("share/hung.wav", "a read hung for 1 s"),
    ("share/midway.wav", "a read hung for 1 s"),
];

#[test]
fn check_and_analyze_finish_promptly_naming_each_file_that_could_stall() {
    let room = Room::new();
    room.playlist(
        "bad",
        &[
            "a.wav",
            "pipe.wav",
            "zero.wav",
            "share/hung.wav",
            "share/midway.wav",
            "b.wav",
        ],
    );

    let out = room.setting(&["--json", "playlist", "check", "bad"]);
    let files = json_of(&out)["files"].as_array().unwrap().clone();
    for good in ["a.wav", "b.wav"] {
        let file = files.iter().find(|f| f["path"] == json!(good)).unwrap();
        assert_eq!(file["status"], json!("ok"), "{file}");
    }
    for (name, why) in BAD {
        let file = files.iter().find(|f| f["path"] == json!(name)).unwrap();
        assert_eq!(file["status"], json!("unreadable"), "{file}");
        let reason = file["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{name}: {reason}");
    }
    // The text report names each on its own line.
    let out = room.setting(&["playlist", "check", "bad"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for (name, why) in BAD {
        assert!(
            text.lines().any(|l| l.contains(name) && l.contains(why)),
            "no line names {name} with {why:?}:\n{text}"
        );
    }

    let out = room.setting(&["--json", "playlist", "analyze", "bad"]);
    let files = json_of(&out)["files"].as_array().unwrap().clone();
    for good in ["a.wav", "b.wav"] {
        let file = files.iter().find(|f| f["path"] == json!(good)).unwrap();
        assert!(file["loudness"]["lufs"].is_number(), "{file}");
    }
    for (name, why) in BAD {
        let file = files.iter().find(|f| f["path"] == json!(name)).unwrap();
        let error = file["error"].as_str().unwrap_or_default();
        assert!(error.contains(why), "{name}: {file}");
    }
    assert!(room.hanging_reads() >= 4, "the share's reads really hung");
}

#[test]
fn settingd_check_names_each_bad_media_file_at_its_playlist_line() {
    let room = Room::new();
    room.playlist(
        "bad",
        &["a.wav", "gone.wav", "pipe.wav", "zero.wav", "share/hung.wav"],
    );
    room.scene("bad");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_settingd"))
        .arg("--check")
        .arg("--config")
        .arg(room.config())
        .env_remove("SETTING_CONFIG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cannot run settingd");
    let exited = eventually(Duration::from_secs(60), || child.try_wait().unwrap());
    if exited.is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < PROMPTLY, "{:?}", started.elapsed());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    let playlist = room.path("playlists/bad.toml").display().to_string();
    // Line 1 is `when_done`; each track is two lines, its path on the second.
    for (line, name, why) in [
        (5, "gone.wav", "no such file"),
        (
            7,
            "pipe.wav",
            "is a FIFO, not a regular file; it could stall the player",
        ),
        (9, "zero.wav", "is a character device, not a regular file"),
        (11, "share/hung.wav", "a read hung for 1 s"),
    ] {
        let at = format!("{playlist}:{line}:8: {name}: ");
        assert!(
            err.lines().any(|l| l.starts_with(&at) && l.contains(why)),
            "expected `{at}...{why}` in:\n{err}"
        );
    }
    assert!(!err.contains("a.wav:"), "a good file is not a problem:\n{err}");
}

fn start_session(daemon: &Daemon) -> Instant {
    let started = Instant::now();
    daemon.ok(json!({"op": "start", "scene": "stalls"}));
    started
}

fn log_text(daemon: &Daemon) -> Vec<String> {
    daemon.entries().iter().map(Value::to_string).collect()
}

#[test]
fn a_session_s_music_goes_on_past_files_that_stall_and_status_says_what_is_heard() {
    let room = Room::new();
    room.playlist(
        "stalls",
        &[
            "share/hung.wav",
            "share/hung2.wav",
            "pipe.wav",
            "zero.wav",
            "a.wav",
        ],
    );
    room.scene("stalls");
    let daemon = Daemon::builder().config(room.config()).start();
    let started = start_session(&daemon);

    // While the share holds the loader, status says the music is silent, and why.
    let silent = eventually(PROMPTLY, || {
        let status = daemon.status();
        let warnings = status["daemon"]["warnings"].to_string();
        let after_the_first = warnings.contains("the music is silent: share/hung.wav")
            && warnings.contains("loading the next, share/hung2.wav");
        after_the_first.then_some(status)
    })
    .unwrap_or_else(|| panic!("status never said the music is silent: {}", daemon.status()));
    let why = silent["daemon"]["heard"]["silent"].as_str().unwrap();
    assert!(
        why.contains("a read hung for 1 s") && why.contains("loading the next, share/hung2.wav"),
        "{why}"
    );
    // Counted from the read timeout, as the share's next file is given up: not the 10 s a
    // load may take in all.
    assert!(
        why.contains("(skipped in at most 1 s if it is not ready)"),
        "{why}"
    );
    assert!(silent["daemon"]["heard"]["track"].is_null(), "{silent}");

    // Then the good track plays, status says so, and the warning is gone.
    let playing = eventually(PROMPTLY, || {
        let status = daemon.status();
        (status["daemon"]["heard"]["track"]["path"] == json!("a.wav")).then_some(status)
    })
    .unwrap_or_else(|| panic!("a.wav never played: {}", daemon.status()));
    let reached = started.elapsed();
    assert!(
        reached < Duration::from_secs(6),
        "two hung files of 1 s each, then at once: {reached:?}"
    );
    assert!(
        !playing["daemon"]["warnings"].to_string().contains("silent"),
        "{playing}"
    );
    let last = playing["daemon"]["heard"]["last_failure"].as_str().unwrap();
    assert!(last.contains("zero.wav"), "{last}");

    // Every file that could stall is in the event log, named with why.
    let log = log_text(&daemon);
    for (name, why) in [
        ("share/hung.wav", "a read hung for 1 s"),
        ("share/hung2.wav", "a read hung for 1 s"),
        ("pipe.wav", "a FIFO"),
        ("zero.wav", "a character device"),
    ] {
        assert!(
            log.iter()
                .any(|e| e.contains(&format!("track {name} could not be played")) && e.contains(why)),
            "no entry for {name} ({why}) in {log:#?}"
        );
    }
    assert!(
        log.iter().any(|e| e.contains("a.wav") && e.contains("\"track\"")),
        "{log:#?}"
    );

    // The session's clock ran on in real time and the lights hold the scene's look.
    let status = daemon.status();
    let session_ms = status["session"]["session_time"].as_u64().unwrap();
    let wall_ms = started.elapsed().as_millis() as u64;
    assert!(
        session_ms + 1_000 >= wall_ms && session_ms <= wall_ms + 100,
        "{session_ms} vs {wall_ms}"
    );
    assert_eq!(
        status["session"]["lights"]["room"]["brightness"],
        json!(30.0),
        "{status}"
    );
    assert!(room.hanging_reads() >= 2);
}

#[test]
fn a_read_that_hangs_mid_track_is_cut_reported_and_crossfaded_into_the_next() {
    let room = Room::new();
    room.playlist("stalls", &["share/midway.wav", "a.wav"]);
    room.scene("stalls");
    room.midway_measured_beforehand();
    let wav = room.path("heard.wav");
    let mut daemon = Daemon::builder()
        .config(room.config())
        .audio(format!("wav:{}", wav.display()))
        .start();
    let started = start_session(&daemon);

    // Reported within the read timeout of the hang (the read-ahead reaches it at once, and
    // nothing read it before), long before the next track comes in.
    let entry = eventually(PROMPTLY, || {
        log_text(&daemon)
            .into_iter()
            .find(|e| e.contains("track share/midway.wav could not be played"))
    })
    .unwrap_or_else(|| panic!("no report of the hang: {:#?}", log_text(&daemon)));
    let reported = started.elapsed();
    assert!(reported < READ_TIMEOUT + SLACK, "{reported:?}");
    assert!(
        entry.contains("where its data stopped, crossfading into the next")
            && entry.contains("a read hung for 1 s"),
        "{entry}"
    );
    // Status says so too (brought up to date a few times a second), while what was read plays.
    let status = eventually(Duration::from_secs(2), || {
        let status = daemon.status();
        status["daemon"]["heard"]["last_failure"]
            .is_string()
            .then_some(status)
    })
    .unwrap_or_else(|| panic!("status never told of the hang: {}", daemon.status()));
    assert_eq!(
        status["daemon"]["heard"]["track"]["path"],
        json!("share/midway.wav"),
        "{status}"
    );
    let last = status["daemon"]["heard"]["last_failure"].as_str().unwrap();
    assert!(last.contains("share/midway.wav"), "{last}");

    // What was read plays to its end, crossfading into the next track, which then plays out.
    a_wav_plays_out(&daemon, Duration::from_secs(15));
    assert!(daemon.terminate().success());

    let left = recorded_left(&wav);
    let (first, last) = audible_span(&left);
    let heard = (last - first) as f64 / f64::from(RATE);
    // 6.5 s of the cut track, a.wav's 3 s crossfading over the last 3 s of it.
    assert!((heard - MIDWAY_AT).abs() < 0.5, "heard {heard:.2} s");
    assert_never_silent(&left[first..=last]);
    // The cut track's 300 Hz first, a.wav's 880 Hz at the end.
    let second = RATE as usize;
    let (early, late) = (
        crossings_per_second(&left[first..first + second]),
        crossings_per_second(&left[last - second..last]),
    );
    assert!(
        (early - 600.0).abs() < 10.0,
        "{early} crossings a second at first"
    );
    assert!(
        (late - 1760.0).abs() < 10.0,
        "{late} crossings a second at the end"
    );
}

/// The player reads a playing track only as far ahead as a hung read needs: the read timeout,
/// the watcher's look, the streaming thread's rest and the crossfade away. A read that hangs
/// well into the track, met from that steady read-ahead, is still found and the track cut with
/// the whole crossfade left to play: the music never runs dry and goes on into the next track.
#[test]
fn a_read_that_hangs_deep_into_a_track_is_cut_before_its_read_ahead_runs_dry() {
    let room = Room::new();
    room.playlist("stalls", &["share/late.wav", "a.wav"]);
    room.scene("stalls");
    // Measured beforehand: nothing reads it before it plays, so the hang is met while it plays.
    room.measured_beforehand("share/late.wav", &late_wav());
    let wav = room.path("heard.wav");
    let mut daemon = Daemon::builder()
        .config(room.config())
        .audio(format!("wav:{}", wav.display()))
        .start();
    let started = start_session(&daemon);

    let entry = eventually(Duration::from_secs(30), || {
        log_text(&daemon)
            .into_iter()
            .find(|e| e.contains("track share/late.wav could not be played"))
    })
    .unwrap_or_else(|| panic!("no report of the hang: {:#?}", log_text(&daemon)));
    // Found a read timeout after the read-ahead reached the hang, well before the music would
    // get there: not when the read-ahead ran dry.
    assert!(
        entry.contains("where its data stopped, crossfading into the next")
            && entry.contains("a read hung for 1 s"),
        "{entry}"
    );
    assert!(
        started.elapsed() < Duration::from_secs_f64(LATE_AT),
        "reported only after {:?}",
        started.elapsed()
    );
    a_wav_plays_out(&daemon, Duration::from_secs(30));
    let log = log_text(&daemon);
    assert!(
        !log.iter().any(|e| e.contains("ran dry")),
        "the read-ahead ran dry: {log:#?}"
    );
    assert!(daemon.terminate().success());

    let left = recorded_left(&wav);
    let (first, last) = audible_span(&left);
    // All that was read of the cut track (to the chunk it hung in), a.wav's 3 s over its last
    // 3 s: a crossfade, not a fade-out after running dry.
    let heard = (last - first) as f64 / f64::from(RATE);
    assert!((heard - LATE_AT).abs() < 1.0, "heard {heard:.2} s");
    assert_never_silent(&left[first..=last]);
    // A second and a half before the end, half-way through the 3 s crossfade, the cut track
    // still sounds under a.wav: the cut came with the whole crossfade left to play, not so late
    // that the fade had to be shortened to what was left.
    let overlap = &left[last - 3 * RATE as usize / 2..last - RATE as usize];
    let clearly = 5.0 * f64::from(AUDIBLE);
    assert!(
        tone_level(overlap, 300.0) > clearly && tone_level(overlap, 880.0) > clearly,
        "no whole crossfade: 300 Hz at {}, 880 Hz at {}",
        tone_level(overlap, 300.0),
        tone_level(overlap, 880.0)
    );
}

/// What counts as heard: anything over -80 dBFS.
const AUDIBLE: f32 = 1e-4;

/// Waits for a.wav, the track after the cut one, to play and then to end.
fn a_wav_plays_out(daemon: &Daemon, within: Duration) {
    eventually(within, || {
        (daemon.status()["daemon"]["heard"]["track"]["path"] == json!("a.wav")).then_some(())
    })
    .unwrap_or_else(|| panic!("a.wav never played: {}", daemon.status()));
    eventually(Duration::from_secs(8), || {
        daemon.status()["daemon"]["heard"]["track"]
            .is_null()
            .then_some(())
    })
    .expect("a.wav played to its end");
}

/// The first and the last audible sample of a recording.
fn audible_span(samples: &[f32]) -> (usize, usize) {
    let first = samples
        .iter()
        .position(|s| s.abs() > AUDIBLE)
        .expect("something was heard");
    let last = samples.iter().rposition(|s| s.abs() > AUDIBLE).unwrap();
    (first, last)
}

/// No 50 ms of `heard` is silent.
fn assert_never_silent(heard: &[f32]) {
    let window = RATE as usize / 20;
    for (i, chunk) in heard.chunks(window).enumerate() {
        let peak = chunk.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(
            peak > AUDIBLE,
            "silence at {:.2} s",
            (i * window) as f64 / f64::from(RATE)
        );
    }
}

/// The amplitude of the `hz` component of `samples` (a single-bin Fourier sum).
fn tone_level(samples: &[f32], hz: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &s) in samples.iter().enumerate() {
        let phase = std::f64::consts::TAU * hz * i as f64 / f64::from(RATE);
        re += f64::from(s) * phase.cos();
        im += f64::from(s) * phase.sin();
    }
    2.0 * (re * re + im * im).sqrt() / samples.len() as f64
}

fn recorded_left(wav: &Path) -> Vec<f32> {
    let mut reader = hound::WavReader::open(wav).unwrap();
    let channels = usize::from(reader.spec().channels);
    let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
    samples.chunks(channels).map(|f| f[0]).collect()
}

fn crossings_per_second(samples: &[f32]) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    crossings as f64 * f64::from(RATE) / samples.len() as f64
}

#[test]
fn a_track_whose_read_hangs_while_it_is_measured_is_skipped_at_once_not_met_again_as_it_plays() {
    let room = Room::new();
    room.playlist("stalls", &["share/midway.wav", "a.wav"]);
    room.scene("stalls");
    let daemon = Daemon::builder().config(room.config()).start();
    let started = start_session(&daemon);

    // Its measuring before its turn reads up to the hang and gives it up: that one read
    // timeout is all it costs. The track is skipped, not opened to meet the hang again.
    let entry = eventually(PROMPTLY, || {
        log_text(&daemon)
            .into_iter()
            .find(|e| e.contains("track share/midway.wav could not be played"))
    })
    .unwrap_or_else(|| panic!("no report of the hang: {:#?}", log_text(&daemon)));
    let reported = started.elapsed();
    assert!(reported < READ_TIMEOUT + SLACK, "{reported:?}");
    assert!(
        entry.contains("a read hung for 1 s") && !entry.contains("where its data stopped"),
        "{entry}"
    );
    // The next track comes in (over the 3 s crossfade kept for a failed track) and is heard.
    let playing = eventually(PROMPTLY, || {
        let status = daemon.status();
        (status["daemon"]["heard"]["track"]["path"] == json!("a.wav")).then_some(status)
    })
    .unwrap_or_else(|| panic!("a.wav never played: {}", daemon.status()));
    let last = playing["daemon"]["heard"]["last_failure"].as_str().unwrap();
    assert!(
        last.contains("share/midway.wav") && last.contains("skipped"),
        "{last}"
    );
    assert_eq!(
        log_text(&daemon)
            .iter()
            .filter(|e| e.contains("share/midway.wav could not be played"))
            .count(),
        1,
        "reported once"
    );
}

#[test]
fn background_measuring_gives_a_hung_file_up_goes_on_and_does_not_read_it_again() {
    let room = Room::new();
    room.playlist("stalls", &["share/hung.wav", "a.wav"]);
    room.scene("stalls");
    // No session: only the background measurer reads the media.
    let daemon = Daemon::builder().config(room.config()).start();

    // The playlist's files first, then the rest of the media: the file on the share is given
    // up after the read timeout, and the good files after it are measured all the same.
    eventually(PROMPTLY, || {
        (room.measured_on_disk("a.wav") && room.measured_on_disk("b.wav")).then_some(())
    })
    .unwrap_or_else(|| panic!("the good files were never measured:\n{}", daemon.log_text()));
    let given_up = |rel: &str| {
        daemon
            .log_text()
            .lines()
            .filter(|l| l.contains(&format!("{rel}: loudness not measured")))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // (The share lists no directory, as some stalled mounts do not: only the playlist names
    // its file.)
    let lines = given_up("share/hung.wav");
    assert!(
        lines.len() == 1
            && lines[0].contains("a read hung for 1 s")
            && lines[0].contains("not tried again until the file changes"),
        "{lines:#?}"
    );
    let hanging = room.hanging_reads();

    // A file dropped into the library is found at the next look-over; the hung files, which
    // have not changed, are not read again.
    std::fs::write(room.path("media/c.wav"), sine_wav(500.0, 0.5, RATE, 1.0)).unwrap();
    eventually(Duration::from_secs(15), || {
        room.measured_on_disk("c.wav").then_some(())
    })
    .unwrap_or_else(|| panic!("c.wav was never measured:\n{}", daemon.log_text()));
    assert_eq!(given_up("share/hung.wav").len(), 1, "{}", daemon.log_text());
    assert_eq!(room.hanging_reads(), hanging, "no new read of the hung files");
}

#[test]
fn render_stops_at_a_hung_track_naming_it_at_its_playlist_line() {
    let room = Room::new();
    // Line 1 is `when_done`; each track is two lines, its path on the second.
    room.playlist("before", &["a.wav", "share/hung.wav", "b.wav"]);
    room.playlist("during", &["a.wav", "share/midway.wav"]);
    room.midway_measured_beforehand();
    let playlists = room.path("playlists");
    for (name, line, rel) in [("before", 5, "share/hung.wav"), ("during", 5, "share/midway.wav")] {
        let wav = room.path(&format!("{name}.wav"));
        let out = room.setting(&["render", name, "--wav", wav.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        let at = format!(
            "{}:{line}:8: {rel}: a read hung for 1 s",
            playlists.join(format!("{name}.toml")).display()
        );
        assert!(
            err.contains(&at) && err.contains("is not rendered"),
            "{name}: expected `{at}` in:\n{err}"
        );
    }
}

#[test]
fn dry_run_passes_hung_tracks_over_as_the_daemon_does_naming_each_at_its_playlist_line() {
    let room = Room::new();
    room.playlist("stalls", &["share/hung.wav", "share/midway.wav", "a.wav"]);
    room.scene_planned("stalls", "20s");
    room.midway_measured_beforehand();
    let wav = room.path("dry.wav");
    let out = room.setting(&[
        "--json",
        "dry-run",
        "stalls",
        "--wav",
        wav.to_str().unwrap(),
        "--rate",
        "8000",
    ]);
    let json = json_of(&out);
    assert_eq!(
        json["tracks"],
        json!(["stalls/share/midway.wav", "stalls/a.wav"]),
        "{json}"
    );
    assert_eq!(
        json["failed"],
        json!(["stalls/share/hung.wav", "stalls/share/midway.wav"]),
        "{json}"
    );
    let playlist = room.path("playlists/stalls.toml").display().to_string();
    let problems = json["problems"].as_array().unwrap();
    let first = problems[0].as_str().unwrap();
    assert!(
        first.starts_with(&format!("{playlist}:3:8: share/hung.wav: a read hung for 1 s")),
        "{first}"
    );
    let second = problems[1].as_str().unwrap();
    assert!(
        second.starts_with(&format!("{playlist}:5:8: share/midway.wav: ends 6."))
            && second.contains("where its data stopped")
            && second.contains("a read hung for 1 s"),
        "{second}"
    );
    assert!(hound::WavReader::open(&wav).unwrap().duration() >= 20 * 8_000);
}

/// Runs `settingd --check` on the room's config, up to a limit; its output and how long it took.
fn settingd_check(room: &Room) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_settingd"))
        .arg("--check")
        .arg("--config")
        .arg(room.config())
        .env_remove("SETTING_CONFIG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cannot run settingd");
    let exited = eventually(Duration::from_secs(60), || child.try_wait().unwrap());
    if exited.is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    (out, started.elapsed())
}

#[test]
fn a_file_whose_stat_hangs_is_named_by_check_analyze_and_settingd_check_which_finish_promptly() {
    let mut room = Room::new();
    room.dead_share();
    room.playlist("bad", &["a.wav", STAT_HUNG, "b.wav"]);
    room.scene("bad");
    let why = "a read hung for 1 s";

    let out = room.setting(&["--json", "playlist", "check", "bad"]);
    let files = json_of(&out)["files"].as_array().unwrap().clone();
    for good in ["a.wav", "b.wav"] {
        let file = files.iter().find(|f| f["path"] == json!(good)).unwrap();
        assert_eq!(file["status"], json!("ok"), "{file}");
    }
    let file = files.iter().find(|f| f["path"] == json!(STAT_HUNG)).unwrap();
    assert_eq!(file["status"], json!("unreadable"), "{file}");
    assert!(file["reason"].as_str().unwrap().contains(why), "{file}");

    let out = room.setting(&["--json", "playlist", "analyze", "bad"]);
    let files = json_of(&out)["files"].as_array().unwrap().clone();
    for good in ["a.wav", "b.wav"] {
        let file = files.iter().find(|f| f["path"] == json!(good)).unwrap();
        assert!(file["loudness"]["lufs"].is_number(), "{file}");
    }
    let file = files.iter().find(|f| f["path"] == json!(STAT_HUNG)).unwrap();
    assert!(file["error"].as_str().unwrap_or_default().contains(why), "{file}");

    let (out, took) = settingd_check(&room);
    assert!(took < PROMPTLY, "settingd --check took {took:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    let at = format!(
        "{}:5:8: {STAT_HUNG}: {why}",
        room.path("playlists/bad.toml").display()
    );
    assert!(err.contains(&at), "expected `{at}` in:\n{err}");
    assert!(room.hanging_looks() >= 3, "the share's looks really hung");
}

#[test]
fn render_stops_at_a_track_whose_stat_hangs_naming_it_at_its_playlist_line() {
    let mut room = Room::new();
    room.dead_share();
    room.playlist("before", &["a.wav", STAT_HUNG, "b.wav"]);
    let wav = room.path("before.wav");
    let out = room.setting(&["render", "before", "--wav", wav.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    let at = format!(
        "{}:5:8: {STAT_HUNG}: a read hung for 1 s",
        room.path("playlists/before.toml").display()
    );
    assert!(
        err.contains(&at) && err.contains("is not rendered"),
        "expected `{at}` in:\n{err}"
    );
    assert!(room.hanging_looks() >= 1);
}

#[test]
fn dry_run_passes_a_track_whose_stat_hangs_over_naming_it_at_its_playlist_line() {
    let mut room = Room::new();
    room.dead_share();
    room.playlist("stalls", &[STAT_HUNG, "a.wav"]);
    room.scene_planned("stalls", "10s");
    let wav = room.path("dry.wav");
    let out = room.setting(&[
        "--json",
        "dry-run",
        "stalls",
        "--wav",
        wav.to_str().unwrap(),
        "--rate",
        "8000",
    ]);
    let json = json_of(&out);
    assert_eq!(json["tracks"], json!(["stalls/a.wav"]), "{json}");
    assert_eq!(json["failed"], json!([format!("stalls/{STAT_HUNG}")]), "{json}");
    let first = json["problems"][0].as_str().unwrap_or_default();
    let at = format!(
        "{}:3:8: {STAT_HUNG}: a read hung for 1 s",
        room.path("playlists/stalls.toml").display()
    );
    assert!(first.starts_with(&at), "{first}");
    assert!(hound::WavReader::open(&wav).unwrap().duration() >= 10 * 8_000);
}

#[test]
fn a_file_whose_stat_hangs_stalls_neither_the_daemon_its_measuring_a_reload_nor_a_session_s_music() {
    let mut room = Room::new();
    room.dead_share();
    room.playlist("stalls", &[STAT_HUNG, "a.wav"]);
    room.scene("stalls");
    let started = Instant::now();
    let daemon = Daemon::builder().config(room.config()).start();
    assert!(started.elapsed() < PROMPTLY, "start took {:?}", started.elapsed());

    // The measurer gives up the listing of `dead/` and the stat of the playlist's file on it,
    // each after the read timeout, and measures the good files all the same.
    eventually(PROMPTLY, || {
        (room.measured_on_disk("a.wav") && room.measured_on_disk("b.wav")).then_some(())
    })
    .unwrap_or_else(|| panic!("the good files were never measured:\n{}", daemon.log_text()));
    let log = daemon.log_text();
    for (what, said) in [
        (
            format!("{STAT_HUNG}: loudness not measured"),
            "a read hung for 1 s",
        ),
        ("dead: not looked into".to_string(), "a read hung for 1 s"),
    ] {
        assert!(
            log.lines().any(|l| l.contains(&what) && l.contains(said)),
            "no `{what}` ({said}) in:\n{log}"
        );
    }

    // A reload is answered at once, the measurer looking again behind it.
    let asked = Instant::now();
    daemon.ok(json!({"op": "reload"}));
    assert!(
        asked.elapsed() < READ_TIMEOUT,
        "reload took {:?}",
        asked.elapsed()
    );

    // The session's music goes past the file, given up after the read timeout.
    let started = start_session(&daemon);
    eventually(PROMPTLY, || {
        (daemon.status()["daemon"]["heard"]["track"]["path"] == json!("a.wav")).then_some(())
    })
    .unwrap_or_else(|| panic!("a.wav never played: {}", daemon.status()));
    assert!(
        started.elapsed() < READ_TIMEOUT + SLACK,
        "{:?}",
        started.elapsed()
    );
    let log = log_text(&daemon);
    assert!(
        log.iter()
            .any(|e| e.contains(&format!("track {STAT_HUNG} could not be played"))
                && e.contains("a read hung for 1 s")),
        "{log:#?}"
    );
}

#[test]
fn render_of_an_m3u_naming_a_file_whose_stat_hangs_refuses_it_promptly_at_its_line() {
    let mut room = Room::new();
    room.dead_share();
    let m3u = room.path("list.m3u");
    std::fs::write(&m3u, format!("#EXTM3U\nmedia/a.wav\nmedia/{STAT_HUNG}\n")).unwrap();
    let wav = room.path("list.wav");
    let out = room.setting(&["render", m3u.to_str().unwrap(), "--wav", wav.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(out.status.code(), Some(0), "{err}");
    let at = format!("{}:3: ", m3u.display());
    assert!(
        err.lines()
            .any(|l| l.contains(&at) && l.contains(STAT_HUNG) && l.contains("a read hung for 1 s")),
        "expected `{at}…{STAT_HUNG}: a read hung for 1 s` in:\n{err}"
    );
    assert!(room.hanging_looks() >= 1);
}

/// The warning, on its own line, that the library's loudness cache hung as it was read and was
/// gone on without; and the same in the JSON's `cache_hangs`, if `json` is given.
fn assert_cache_hang_said(hang: CacheHang, out: &Output, json: Option<&Value>) {
    let said = format!("library/{CACHE}: a read hung for 1 s");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.lines().any(
            |l| l.starts_with("setting: warning: cannot read the loudness cache ")
                && l.contains(&said)
                && l.contains("going on without")
        ),
        "{hang:?}: no warning of `{said}` in:\n{err}"
    );
    if let Some(json) = json {
        let hangs = json["cache_hangs"].to_string();
        assert!(hangs.contains(&said), "{hang:?}: {json}");
    }
}

/// The media root's loudness cache on a share that stalled, its reads or the look at it:
/// `playlist check` and `analyze` go on without it after the read timeout, saying so, and check
/// and measure each file as its own (watched) reads allow.
#[test]
fn check_and_analyze_go_on_without_a_loudness_cache_that_hangs_saying_so() {
    for hang in [CacheHang::Read, CacheHang::Stat] {
        let mut room = Room::new();
        room.library_whose_cache_hangs(hang);
        room.playlist("good", &["a.wav", "b.wav"]);

        let out = room.setting(&["--json", "playlist", "check", "good"]);
        let json = json_of(&out);
        assert_eq!(out.status.code(), Some(0), "{hang:?}: {json}");
        for file in json["files"].as_array().unwrap() {
            assert_eq!(file["status"], json!("ok"), "{hang:?}: {file}");
        }
        assert_eq!(json["unmeasured"], json!(["a.wav", "b.wav"]), "{hang:?}");
        assert_cache_hang_said(hang, &out, Some(&json));

        let out = room.setting(&["--json", "playlist", "analyze", "good"]);
        let json = json_of(&out);
        assert_eq!(out.status.code(), Some(0), "{hang:?}: {json}");
        for file in json["files"].as_array().unwrap() {
            assert!(file["loudness"]["lufs"].is_number(), "{hang:?}: {file}");
            assert_eq!(file["cached"], json!(false), "{hang:?}: {file}");
        }
        assert_cache_hang_said(hang, &out, Some(&json));
        assert!(room.library_hangs() >= 2, "{hang:?}: the cache really hung");
    }
}

/// `render` and `dry-run` with the media root's loudness cache on a share that stalled: each
/// goes on without it after the read timeout, saying so, measures the tracks and keeps the
/// measurements in the state directory, as when the media cannot be written.
#[test]
fn render_and_dry_run_go_on_without_a_loudness_cache_that_hangs_saying_so() {
    for hang in [CacheHang::Read, CacheHang::Stat] {
        let mut room = Room::new();
        room.library_whose_cache_hangs(hang);
        room.playlist("good", &["a.wav", "b.wav"]);
        room.scene_planned("good", "8s");
        let kept = room.path("state/loudness.json");

        let wav = room.path("render.wav");
        let out = room.setting(&["--json", "render", "good", "--wav", wav.to_str().unwrap()]);
        let json = json_of(&out);
        assert_eq!(out.status.code(), Some(0), "{hang:?}: {json}");
        assert_eq!(
            json["tracks"].as_array().map(Vec::len),
            Some(2),
            "{hang:?}: {json}"
        );
        assert_eq!(json["measured"], json!(2), "{hang:?}: {json}");
        assert_eq!(json["measurements_kept_in"], json!(kept), "{hang:?}: {json}");
        assert_cache_hang_said(hang, &out, Some(&json));

        std::fs::remove_file(&kept).unwrap();
        let wav = room.path("dry.wav");
        let out = room.setting(&[
            "--json",
            "dry-run",
            "stalls",
            "--wav",
            wav.to_str().unwrap(),
            "--rate",
            "8000",
        ]);
        let json = json_of(&out);
        assert_eq!(
            json["tracks"],
            json!(["good/a.wav", "good/b.wav"]),
            "{hang:?}: {json}"
        );
        assert_eq!(json["failed"], json!([]), "{hang:?}: {json}");
        assert_eq!(json["measurements_kept_in"], json!(kept), "{hang:?}: {json}");
        assert_cache_hang_said(hang, &out, Some(&json));
        assert!(room.library_hangs() >= 2, "{hang:?}: the cache really hung");
    }
}

/// The media root's loudness cache on a share that stalled: the daemon starts, its background
/// measurer goes on without the cache after the read timeout, saying so, measures the
/// playlist's tracks and keeps them in the state directory; a session's music plays both, the
/// player's loader held up neither by the cache nor by the measurer's reads and writes of it.
#[test]
fn a_loudness_cache_that_hangs_stalls_neither_the_measurer_nor_a_session_s_music() {
    for hang in [CacheHang::Read, CacheHang::Stat] {
        let mut room = Room::new();
        room.library_whose_cache_hangs(hang);
        room.playlist("stalls", &["a.wav", "b.wav"]);
        room.scene("stalls");
        let started = Instant::now();
        let daemon = Daemon::builder().config(room.config()).start();
        assert!(
            started.elapsed() < PROMPTLY,
            "{hang:?}: start took {:?}",
            started.elapsed()
        );

        let kept = daemon.state_dir().join("loudness.json");
        let library = room.path("library");
        let measured = |rel: &str| {
            let identity = FileIdentity::of(&library.join(rel)).unwrap();
            LoudnessCache::load_from(&kept).is_ok_and(|c| c.get(rel, identity).is_some())
        };
        eventually(PROMPTLY, || {
            (measured("a.wav") && measured("b.wav")).then_some(())
        })
        .unwrap_or_else(|| panic!("{hang:?}: never measured:\n{}", daemon.log_text()));
        let said = format!("cannot read the loudness cache {}", library.join(CACHE).display());
        let log = daemon.log_text();
        assert!(
            log.lines().any(|l| l.contains(&said)
                && l.contains("a read hung for 1 s")
                && l.contains("going on without")),
            "{hang:?}: no `{said}` in:\n{log}"
        );

        let started = start_session(&daemon);
        for track in ["a.wav", "b.wav"] {
            eventually(PROMPTLY, || {
                (daemon.status()["daemon"]["heard"]["track"]["path"] == json!(track)).then_some(())
            })
            .unwrap_or_else(|| panic!("{hang:?}: {track} never played: {}", daemon.status()));
        }
        // a.wav is 3 s long: b.wav follows it, neither waiting on the cache.
        assert!(
            started.elapsed() < Duration::from_secs(3) + READ_TIMEOUT + SLACK,
            "{hang:?}: {:?}",
            started.elapsed()
        );
        let log = log_text(&daemon);
        assert!(
            !log.iter().any(|e| e.contains("could not be played")),
            "{hang:?}: {log:#?}"
        );
        assert!(room.library_hangs() >= 1, "{hang:?}: the cache really hung");
    }
}
