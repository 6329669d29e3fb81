//! `setting watch` in a terminal: the full-screen view, fed by `status` every 500 ms and the
//! event stream, until q or Ctrl-C; a daemon that goes away is shown and retried, not fatal.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use setting::catalog::Catalog;
use setting::protocol::{LogEntry, Op, StatusReply};
use setting::timeline::EventKind;
use setting::timeline::plan::plan;

use crate::args::Cli;
use crate::client::Client;
use crate::locate;
use crate::watch::render_line;
use crate::watch_layout::{self, Arc, EVENTS_KEPT, View};

const STATUS_EVERY: Duration = Duration::from_millis(500);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// How long the screen waits for a key before taking in what the daemon sent.
const KEY_WAIT: Duration = Duration::from_millis(100);

enum Message {
    Status(Result<Box<StatusReply>, String>),
    Line(String),
    Track(String),
}

/// Puts the terminal back however the view ends: return, error or panic (ratatui's own hook
/// covers the panic; this covers the rest).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let socket = locate::socket(cli);
    let (tx, rx) = mpsc::channel();
    // Both feeders block on the socket, so they get threads; the screen stays responsive to q.
    let (path, note) = (socket.path.clone(), socket.note.clone());
    let status_tx = tx.clone();
    thread::spawn(move || poll_status(path, note, status_tx));
    thread::spawn(move || follow_events(socket.path, socket.note, tx));
    // The guard comes first so that a start that fails halfway is undone too.
    let _restore = Restore;
    let mut terminal = ratatui::try_init()?;
    let mut view = View::default();
    let mut plans = Plans::new(cli);
    loop {
        take_in(&rx, &mut view, &mut plans);
        terminal.draw(|frame| watch_layout::draw(&view, frame.area(), frame.buffer_mut()))?;
        if event::poll(KEY_WAIT)?
            && let Event::Key(key) = event::read()?
            && key.kind == KeyEventKind::Press
        {
            let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c || key.code == KeyCode::Char('q') {
                return Ok(ExitCode::SUCCESS);
            }
        }
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
            Message::Line(line) => {
                view.events.push_back(line);
                if view.events.len() > EVENTS_KEPT {
                    view.events.pop_front();
                }
            }
            Message::Track(path) => view.track = Some(path),
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
            && client.request(&Op::Watch).is_ok()
            && client.wait_without_timeout().is_ok()
        {
            while let Ok(Some(line)) = client.read_line() {
                if let Ok(entry) = serde_json::from_str::<LogEntry>(&line)
                    && let EventKind::Track { path, .. } = &entry.event.kind
                {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    let _ = tx.send(Message::Track(name.to_string()));
                }
                let text = render_line(&line).unwrap_or_else(|e| format!("(stream ended: {e})"));
                if tx.send(Message::Line(text)).is_err() {
                    return;
                }
            }
        }
        thread::sleep(RECONNECT_AFTER);
    }
}
