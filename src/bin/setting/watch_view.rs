//! `setting watch` in a terminal: the full-screen view, fed by `status` every 500 ms and the
//! event stream, until q, Ctrl-C, SIGTERM or SIGHUP; a daemon that goes away is shown and
//! retried, not fatal. Also `--frame`: one frame of the same view, printed as text.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;

use setting::catalog::Catalog;
use setting::protocol::{CommandReply, LogEntry, Op, ReportReply, StatusReply, WatchingReply};
use setting::timeline::EventKind;
use setting::timeline::plan::plan;

use crate::args::Cli;
use crate::client::Client;
use crate::failure::Failure;
use crate::locate;
use crate::watch::render_line;
use crate::watch_layout::{self, Arc, EVENTS_KEPT, View};
use crate::watch_lines::{self, PaneLine, PaneLines};

const STATUS_EVERY: Duration = Duration::from_millis(500);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// How long the screen waits for a key before taking in what the daemon sent.
const KEY_WAIT: Duration = Duration::from_millis(100);

enum Message {
    Status(Result<Box<StatusReply>, String>),
    Line(String),
    /// An entry's line, which may take the place of the last (a cue's, told by its prompt).
    Pane(PaneLine),
    Track(String),
    /// The session's log so far, replacing whatever the view had collected: the view opened
    /// mid-session, or the event stream started again.
    History(Vec<String>, Option<String>),
}

/// What the running session's log holds so far, as the view shows it.
#[derive(Default)]
struct History {
    lines: Vec<String>,
    track: Option<String>,
    /// The last entry it covers; the event stream's entries up to it are already shown.
    last_seq: u64,
    /// Where the pane's lines stand after it, for the stream's entries to go on from.
    pane: PaneLines,
}

impl History {
    /// Without the log (another daemon's session, a refusal) the history is just empty.
    fn of(client: &mut Client, session: String) -> History {
        let Ok(log) = client.request_as::<ReportReply>(&Op::Report {
            session: Some(session),
        }) else {
            return History::default();
        };
        let mut pane = PaneLines::default();
        History {
            lines: pane.of_all(&log.entries, EVENTS_KEPT),
            track: log.entries.iter().rev().find_map(track_name),
            last_seq: log.entries.iter().map(|e| e.seq).max().unwrap_or(0),
            pane,
        }
    }

    fn into_message(self) -> Message {
        Message::History(self.lines, self.track)
    }
}

/// Puts the terminal back however the view ends: return, error or panic (ratatui's own hook
/// covers the panic; this covers the rest).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// The signal that asked the view to stop, 0 while none has. Raw mode leaves the terminal
/// unusable if the process just dies, so SIGTERM and SIGHUP (a `timeout`, a closed window) only
/// set this, and the loop ends the way q does, through [`Restore`].
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn note_stop_signal(signal: libc::c_int) {
    // An atomic store is all a signal handler may safely do here.
    STOP_SIGNAL.store(signal, Ordering::SeqCst);
}

fn catch_stop_signals() -> anyhow::Result<()> {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe; a zeroed
        // `sigaction` with an empty mask and no flags is a valid one to fill in.
        let failed = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = note_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut()) != 0
        };
        if failed {
            return Err(std::io::Error::last_os_error().into());
        }
    }
    Ok(())
}

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    catch_stop_signals()?;
    let socket = locate::socket(cli);
    let (tx, rx) = mpsc::channel();
    // Both feeders block on the socket, so they get threads; the screen stays responsive to q.
    let (path, note) = (socket.path.clone(), socket.note.clone());
    let (ack_path, ack_note, ack_tx) = (socket.path.clone(), socket.note.clone(), tx.clone());
    let status_tx = tx.clone();
    thread::spawn(move || poll_status(path, note, status_tx));
    thread::spawn(move || follow_events(socket.path, socket.note, tx));
    // The guard comes first so that a start that fails halfway is undone too.
    let _restore = Restore;
    let mut terminal = ratatui::try_init()?;
    let mut view = View::default();
    let mut plans = Plans::new(cli);
    loop {
        let signal = STOP_SIGNAL.load(Ordering::SeqCst);
        if signal != 0 {
            // As a shell reports a process ended by that signal.
            return Ok(ExitCode::from(128 + signal as u8));
        }
        take_in(&rx, &mut view, &mut plans);
        terminal.draw(|frame| watch_layout::draw(&view, frame.area(), frame.buffer_mut()))?;
        // A signal arriving during the wait cuts it short (crossterm treats EINTR as no event).
        if event::poll(KEY_WAIT)?
            && let Event::Key(key) = event::read()?
            && key.kind == KeyEventKind::Press
        {
            let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c || key.code == KeyCode::Char('q') {
                return Ok(ExitCode::SUCCESS);
            }
            if key.code == KeyCode::Char('a') {
                let (path, note, tx) = (ack_path.clone(), ack_note.clone(), ack_tx.clone());
                // Off the screen's thread: a daemon slow to answer must not freeze the view.
                thread::spawn(move || acknowledge_oldest(path, note, tx));
            }
        }
    }
}

/// `setting watch --frame COLSxROWS`: the view as it would be drawn now, from one `status` and
/// the running session's log so far, printed as text without colours or trailing spaces.
pub fn frame(cli: &Cli, size: &str) -> anyhow::Result<ExitCode> {
    let (cols, rows) = parse_size(size)?;
    let socket = locate::socket(cli);
    let mut client = Client::connect(&socket.path, &socket.note)?;
    let reply: Box<StatusReply> = client.request_as(&Op::Status)?;
    let (tx, rx) = mpsc::channel();
    let running = reply.session.as_ref().map(|s| s.session.clone());
    tx.send(Message::Status(Ok(reply)))?;
    if let Some(session) = running {
        let history = History::of(&mut client, session);
        tx.send(history.into_message())?;
    }
    let mut view = View::default();
    take_in(&rx, &mut view, &mut Plans::new(cli));
    let mut buf = Buffer::empty(Rect::new(0, 0, cols, rows));
    watch_layout::draw(&view, buf.area, &mut buf);
    let lines = watch_layout::text_lines(&buf);
    if cli.json {
        println!(
            "{}",
            serde_json::json!({ "cols": cols, "rows": rows, "lines": lines })
        );
    } else {
        for line in lines {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The smallest and largest frame side: smaller shows nothing useful, larger is a typo.
const FRAME_SIDES: std::ops::RangeInclusive<u16> = 10..=1000;

/// `100x28` (or `100X28`) as columns and rows.
pub fn parse_size(size: &str) -> Result<(u16, u16), Failure> {
    let bad = || {
        Failure::BadInput(format!(
            "--frame {size}: expected COLSxROWS, each from {} to {}, e.g. 100x28",
            FRAME_SIDES.start(),
            FRAME_SIDES.end()
        ))
    };
    let (cols, rows) = size.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let side = |text: &str| {
        text.trim()
            .parse::<u16>()
            .ok()
            .filter(|n| FRAME_SIDES.contains(n))
            .ok_or_else(bad)
    };
    Ok((side(cols)?, side(rows)?))
}

fn track_name(entry: &LogEntry) -> Option<String> {
    match &entry.event.kind {
        EventKind::Track { path, .. } => Some(path.rsplit('/').next().unwrap_or(path).to_string()),
        _ => None,
    }
}

fn take_in(rx: &Receiver<Message>, view: &mut View, plans: &mut Plans) {
    while let Ok(message) = rx.try_recv() {
        match message {
            Message::Status(Ok(reply)) => {
                view.arc = reply
                    .session
                    .as_ref()
                    .and_then(|s| plans.arc(&s.scene, s.phase.count));
                view.reply = Some(*reply);
                view.unreachable = None;
            }
            Message::Status(Err(why)) => view.unreachable = Some(why),
            Message::Line(line) => watch_lines::add(&mut view.events, PaneLine::New(line), EVENTS_KEPT),
            Message::Pane(line) => watch_lines::add(&mut view.events, line, EVENTS_KEPT),
            Message::Track(path) => view.track = Some(path),
            Message::History(lines, track) => {
                view.events = lines.into();
                if track.is_some() {
                    view.track = track;
                }
            }
        }
    }
}

/// The plans of the scenes seen, computed here from the local config; none when that config
/// cannot be read or does not match what the daemon runs (then the arc has equal segments).
struct Plans<'a> {
    cli: &'a Cli,
    known: HashMap<String, Option<Arc>>,
}

impl<'a> Plans<'a> {
    fn new(cli: &'a Cli) -> Plans<'a> {
        Plans {
            cli,
            known: HashMap::new(),
        }
    }

    fn arc(&mut self, scene: &str, phases: usize) -> Option<Arc> {
        let cli = self.cli;
        let arc = self
            .known
            .entry(scene.to_string())
            .or_insert_with(|| compute_arc(cli, scene))
            .as_ref()
            .filter(|a| a.phases.len() == phases)?;
        Some(Arc {
            phases: arc.phases.clone(),
            total: arc.total,
        })
    }
}

fn compute_arc(cli: &Cli, scene: &str) -> Option<Arc> {
    let config = locate::load(cli.config.as_deref()).ok()?;
    let scene = Catalog::load(&config).ok()?.load_scene(scene).ok()?;
    Some(Arc::from_plan(&plan(&scene, &config.policy)))
}

/// The `a` key: acknowledges the oldest prompt waiting, as `setting ack` does, and says in the
/// events pane what came of it (the daemon logs who acknowledged it).
fn acknowledge_oldest(path: PathBuf, note: String, tx: Sender<Message>) {
    let said = Client::connect(&path, &note)
        .map_err(anyhow::Error::from)
        .and_then(|mut c| c.request_as::<Option<CommandReply>>(&Op::Ack { number: None }))
        .map_or_else(
            |e| format!("a: not acknowledged: {e:#}"),
            |reply| {
                let waiting = reply
                    .as_ref()
                    .and_then(CommandReply::status)
                    .map_or(0, |s| s.prompts.len());
                format!("a: oldest prompt acknowledged; {waiting} still waiting")
            },
        );
    let _ = tx.send(Message::Line(said));
}

fn poll_status(path: PathBuf, note: String, tx: Sender<Message>) {
    let mut client: Option<Client> = None;
    loop {
        let reply = match client.take() {
            Some(c) => Ok(c),
            None => Client::connect(&path, &note).map_err(|e| e.to_string()),
        }
        .and_then(|mut c| {
            let reply = c
                .request_as::<Box<StatusReply>>(&Op::Status)
                .map_err(|e| format!("{e:#}"))?;
            client = Some(c);
            Ok(reply)
        });
        if tx.send(Message::Status(reply)).is_err() {
            return;
        }
        thread::sleep(STATUS_EVERY);
    }
}

/// Follows the event stream, starting it again whenever it ends (daemon restarted, watch fell
/// behind); the view learns of the daemon being away from the status polls.
fn follow_events(path: PathBuf, note: String, tx: Sender<Message>) {
    loop {
        if let Ok(mut client) = Client::connect(&path, &note)
            && client.request_as::<WatchingReply>(&Op::Watch).is_ok()
            && client.wait_without_timeout().is_ok()
        {
            // The stream is open before the log is read, so nothing falls between the two; what
            // both hold is shown once, by its place in the log.
            let mut history = history_now(&path, &note);
            let shown_up_to = history.last_seq;
            let mut pane = std::mem::take(&mut history.pane);
            if tx.send(history.into_message()).is_err() {
                return;
            }
            while let Ok(Some(line)) = client.read_line() {
                let message = match serde_json::from_str::<LogEntry>(&line) {
                    Ok(entry) => {
                        if entry.seq != 0 && entry.seq <= shown_up_to {
                            continue;
                        }
                        if let Some(name) = track_name(&entry) {
                            let _ = tx.send(Message::Track(name));
                        }
                        let Some(line) = pane.take(&entry) else { continue };
                        Message::Pane(line)
                    }
                    Err(_) => {
                        Message::Line(render_line(&line).unwrap_or_else(|e| format!("(stream ended: {e})")))
                    }
                };
                if tx.send(message).is_err() {
                    return;
                }
            }
        }
        thread::sleep(RECONNECT_AFTER);
    }
}

/// The running session's history, from a connection of its own; empty when no session runs.
fn history_now(path: &std::path::Path, note: &str) -> History {
    let Ok(mut client) = Client::connect(path, note) else {
        return History::default();
    };
    let running = client
        .request_as::<Box<StatusReply>>(&Op::Status)
        .ok()
        .and_then(|r| r.session.map(|s| s.session));
    match running {
        Some(session) => History::of(&mut client, session),
        None => History::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_sizes_are_columns_by_rows_within_reason() {
        assert_eq!(parse_size("100x28").unwrap(), (100, 28));
        assert_eq!(parse_size(" 80X24 ").unwrap(), (80, 24));
        assert_eq!(parse_size("10x1000").unwrap(), (10, 1000));
        for bad in [
            "", "100", "100x", "x28", "100x28x2", "-1x28", "9x28", "100x1001", "ax b", "100*28",
        ] {
            let failure = parse_size(bad).expect_err(bad);
            assert!(
                matches!(&failure, Failure::BadInput(m) if m.contains("COLSxROWS")),
                "{bad}"
            );
            assert_eq!(failure.exit_code(), ExitCode::from(2));
        }
    }
}
