//! The task that hears the buttons: it subscribes to every button's topic after each ConnAck
//! (a clean start keeps nothing), reads each message's presses, lets one press through however
//! often it repeats, and hands the command to the engine as `setting` would. Nothing a device
//! sends can stop it: a message it cannot read is logged and ignored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, Packet, Publish};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::debounce::Debounce;
use super::op_for;
use super::payload::presses;
use crate::config::{ButtonCommand, ButtonConfig};
use crate::control::EngineHandle;
use crate::mqtt::{Backoff, poll, refused_subscriptions};
use crate::protocol::{Answer, LogEntry, Op, StatusReply};
use crate::timeline::{EventKind, OverrideKind, Source, Target, Via};

/// Commands other than the emergency waiting for the engine, in order; more are dropped with
/// a warning, so a button stuck repeating cannot pile them up.
const QUEUE: usize = 8;

/// How long a repeated emergency press waits for the one it repeats to be carried out before
/// asking the room whether it is in emergency.
const REPEAT_WAITS_AT_MOST: Duration = Duration::from_secs(2);

/// One command on its way to the engine.
struct Job {
    button: String,
    op: Op,
    /// How many emergencies had been pressed when this was: a press made before an emergency
    /// that went ahead of it is not carried out after it (a resume queued behind a check must
    /// not end the emergency pressed later).
    pressed_after: u64,
}

pub struct Task {
    client: AsyncClient,
    buttons: Vec<ButtonConfig>,
    handle: EngineHandle,
    /// `host:port`, for messages.
    pub broker: String,
    backoff: Backoff,
    debounce: Debounce,
    queue: mpsc::Sender<Job>,
    jobs: Option<mpsc::Receiver<Job>>,
    /// Emergencies pressed so far (see [`Job::pressed_after`]).
    emergencies: Arc<AtomicU64>,
    /// Becomes true once the last emergency let through has been carried out.
    last_emergency: Option<watch::Receiver<bool>>,
    connected: bool,
}

impl Task {
    pub fn new(
        client: AsyncClient,
        buttons: Vec<ButtonConfig>,
        handle: EngineHandle,
        broker: String,
        backoff: Backoff,
    ) -> Task {
        let (queue, jobs) = mpsc::channel(QUEUE);
        Task {
            client,
            buttons,
            handle,
            broker,
            backoff,
            debounce: Debounce::default(),
            queue,
            jobs: Some(jobs),
            emergencies: Arc::default(),
            last_emergency: None,
            connected: false,
        }
    }

    pub async fn run(mut self, events: EventLoop, mut stop: oneshot::Receiver<()>) {
        if let Some(jobs) = self.jobs.take() {
            tokio::spawn(carry_out(jobs, self.handle.clone(), self.emergencies.clone()));
        }
        let mut log = self.handle.watch();
        let mut log_open = true;
        let mut polling = poll(Box::new(events), None);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                (events, result) = &mut polling => {
                    let wait = self.on_event(result);
                    polling = poll(events, wait);
                }
                entry = log.recv(), if log_open => match entry {
                    Ok(entry) => self.on_log(&entry),
                    // Entries missed: one of them may have been another's resume.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.debounce.forget(),
                    Err(broadcast::error::RecvError::Closed) => log_open = false,
                },
            }
        }
        // A clean DISCONNECT, driven out briefly: nothing of the room's waits on it.
        let _ = self.client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            loop {
                let (events, result) = (&mut polling).await;
                if result.is_err() {
                    break;
                }
                polling = poll(events, None);
            }
        })
        .await;
    }

    /// Another source (the CLI, the broker) started or ended an override: a button's next
    /// press is a new one even within the repeat window (an emergency pressed after the
    /// therapist's resume is meant).
    fn on_log(&mut self, entry: &LogEntry) {
        let kind = &entry.event.kind;
        if matches!(
            kind,
            EventKind::OverrideStarted { .. } | EventKind::OverrideEnded { .. }
        ) && kind.source().is_some_and(|source| source.via != Via::Button)
        {
            self.debounce.forget();
        }
    }

    fn on_event(&mut self, result: Result<Event, ConnectionError>) -> Option<Duration> {
        match result {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                self.backoff.reset();
                self.connected = true;
                tracing::info!(broker = %self.broker, "buttons: connected to the broker");
                let filters: Vec<Filter> = self
                    .buttons
                    .iter()
                    .map(|b| Filter::new(b.topic.clone(), QoS::AtLeastOnce))
                    .collect();
                if let Err(e) = self.client.try_subscribe_many(filters) {
                    tracing::warn!("buttons: cannot subscribe to the buttons' topics: {e}");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let refused = refused_subscriptions(&ack);
                if refused > 0 {
                    tracing::warn!(
                        "buttons: the broker refused {refused} of the buttons' subscriptions; check its ACL"
                    );
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => self.on_publish(&publish, Instant::now()),
            Ok(_) => {}
            Err(error) => {
                let wait = self.backoff.next_wait();
                if std::mem::replace(&mut self.connected, false) {
                    tracing::warn!(broker = %self.broker, "buttons: lost the connection to the broker: {error}; retrying");
                } else {
                    tracing::debug!(broker = %self.broker, retry_in = ?wait, "buttons: cannot reach the broker: {error}");
                }
                return Some(wait);
            }
        }
        None
    }

    fn on_publish(&mut self, publish: &Publish, now: Instant) {
        let topic = String::from_utf8_lossy(&publish.topic);
        // A retained press is an old one: carried out at every connection it would be a
        // command out of its moment.
        if publish.retain {
            tracing::warn!(%topic, "buttons: ignored a retained message (a press must not be retained)");
            return;
        }
        let mut sent = Vec::new();
        for button in self.buttons.iter().filter(|b| b.topic == topic) {
            let found = match presses(button.kind, &publish.payload) {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(
                        button = %button.name,
                        %topic,
                        "buttons: ignored a message that is not a {} button's: {e}",
                        button.kind.name()
                    );
                    continue;
                }
            };
            for press in found {
                match button.presses.get(&press) {
                    Some(command) => sent.push((button.name.clone(), *command, button.zone.clone(), press)),
                    None => {
                        tracing::debug!(button = %button.name, %press, "buttons: a press mapped to nothing")
                    }
                }
            }
        }
        for (button, command, zone, press) in sent {
            if !self.debounce.admit(command, zone.as_deref(), now) {
                if command == ButtonCommand::Emergency {
                    // A repeat is only dropped once the room is seen in emergency: someone may
                    // have resumed it in between by a way this task does not hear.
                    tokio::spawn(unless_held(
                        self.handle.clone(),
                        self.job(button, command, zone.as_deref()),
                        self.last_emergency.clone(),
                    ));
                    continue;
                }
                tracing::info!(%button, %press, command = command.name(), "buttons: a repeat of the same press; not sent again");
                continue;
            }
            tracing::info!(%button, %press, command = command.name(), "buttons: press");
            self.send(button, command, zone.as_deref());
        }
    }

    fn job(&self, button: String, command: ButtonCommand, zone: Option<&str>) -> Job {
        Job {
            button,
            op: op_for(command, zone),
            pressed_after: self.emergencies.load(Ordering::SeqCst),
        }
    }

    fn send(&mut self, button: String, command: ButtonCommand, zone: Option<&str>) {
        // The emergency waits behind nothing: it takes the engine's urgent lane now, and
        // whatever was pressed before it and still waits is superseded.
        if command == ButtonCommand::Emergency {
            self.emergencies.fetch_add(1, Ordering::SeqCst);
            let job = self.job(button, command, zone);
            let (done, carried_out) = watch::channel(false);
            self.last_emergency = Some(carried_out);
            let handle = self.handle.clone();
            tokio::spawn(async move {
                run(handle, job).await;
                let _ = done.send(true);
            });
            return;
        }
        let job = self.job(button, command, zone);
        if let Err(e) = self.queue.try_send(job) {
            let job = match e {
                mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job) => job,
            };
            tracing::warn!(button = %job.button, "buttons: too many commands waiting for the engine; this press was dropped");
        }
    }
}

/// The worker: one command at a time, in the order pressed (a check then a resume must not
/// swap).
async fn carry_out(mut jobs: mpsc::Receiver<Job>, handle: EngineHandle, emergencies: Arc<AtomicU64>) {
    while let Some(job) = jobs.recv().await {
        if job.pressed_after < emergencies.load(Ordering::SeqCst) {
            tracing::warn!(button = %job.button, op = ?job.op, "buttons: an emergency was pressed after this press and went first; this press is not carried out");
            continue;
        }
        run(handle.clone(), job).await;
    }
}

/// A repeated emergency press: sent again unless the room is already in emergency where the
/// button points.
async fn unless_held(handle: EngineHandle, job: Job, before: Option<watch::Receiver<bool>>) {
    let Op::Emergency { zone } = &job.op else {
        return;
    };
    // The room is asked only once the emergency this repeats has been carried out: asked
    // before, it would not be in it yet, and the repeat would become a second emergency.
    if let Some(mut before) = before {
        let _ = tokio::time::timeout(REPEAT_WAITS_AT_MOST, before.wait_for(|done| *done)).await;
    }
    let source = Source {
        via: Via::Button,
        who: Some(job.button.clone()),
    };
    let status = handle.request(None, Op::Status, source).await;
    let held = match status.result {
        Some(Answer::Status(status)) => in_emergency(&status, zone.as_deref()),
        _ => false,
    };
    if held {
        tracing::info!(button = %job.button, "buttons: a repeat of the emergency; the room is in it already");
        return;
    }
    run(handle, job).await;
}

/// Whether the room (or `zone`) is held in an emergency, session or not.
fn in_emergency(status: &StatusReply, zone: Option<&str>) -> bool {
    let covered = |target: &Target| match zone {
        None => *target == Target::Room,
        Some(zone) => target.covers(zone),
    };
    let in_session = status.session.as_ref().is_some_and(|s| {
        s.overrides
            .iter()
            .any(|o| o.kind == OverrideKind::Emergency && covered(&o.target))
    });
    // With no session the daemon lists the zones it holds; the room is held when every zone
    // with a light is.
    let idle = &status.daemon.emergency_without_session;
    let idle_held = match zone {
        Some(zone) => idle.iter().any(|z| z == zone),
        None => {
            let zones = status
                .lights
                .iter()
                .flat_map(|l| l.lights.iter().map(|l| &l.zone));
            !idle.is_empty() && zones.into_iter().all(|z| idle.contains(z))
        }
    };
    in_session || idle_held
}

async fn run(handle: EngineHandle, job: Job) {
    let source = Source {
        via: Via::Button,
        who: Some(job.button.clone()),
    };
    let reply = handle.request(None, job.op, source).await;
    if let Some(error) = reply.error.filter(|_| !reply.ok) {
        tracing::warn!(button = %job.button, "buttons: the room refused the press: {}", error.message);
    }
}
