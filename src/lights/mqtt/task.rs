//! The one task that meets the broker: it owns rumqttc's event loop and the traffic plan,
//! takes the engine's orders, publishes what the plan says is due, reads devices' reports,
//! and recovers from a lost broker (backoff, resubscribe, status, re-assert).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use crate::lights::direct_notice::{DirectNotice, NoticeSink};
use crate::lights::driver::Report;
use crate::lights::traffic::{PlannedKind, Planner};
use crate::protocol::{LightPace, Pace};
use crate::scene::Look;
use crate::time::Millis;
use crate::timeline::DeviceEvent;

use super::acks::{Acks, Sent};
use super::board::Board;
use super::link::{Events, Link, LinkError, LinkEvent, Refusal};
use super::options::{OFFLINE, ONLINE};
use super::routes::{DriverFor, Routes};
use crate::mqtt::Backoff;

/// How long a stopping daemon waits for its `offline` status to leave.
const GOODBYE: Duration = Duration::from_secs(1);
/// How long a direct emergency's notice holds its zones without the engine taking over. A
/// stuck engine is restarted by the watchdog well within it (and the new daemon honours the
/// marker); an engine that is not stuck but never heard of the emergency (the CLI could not
/// leave the marker) gets its lights back after it.
const HOLD_AT_MOST: Millis = Millis(60_000);
/// The direct path publishes its notice right after its lights; from a CLI whose notice does
/// not say when it began, a command this task sent a light within this span before the
/// notice may have reached the light after the direct path's look, and that light is sent
/// the look again.
const NOTICE_GAP: Millis = Millis(1000);
/// Broker events read at most before sending what fell due, so a flood cannot starve it.
const DRAIN_AT_MOST: usize = 64;
/// How long after a connection the lights wait for the broker to answer the subscriptions
/// (and so to deliver a retained direct emergency's notice) before anything is sent anyway.
const SETTLE_AT_MOST: Millis = Millis(500);
/// A denied command is reported once per light in this span, not once per fade segment.
const DENIAL_REPORT_EVERY: Millis = Millis(60_000);
/// The longest wait between connection attempts while an emergency's looks are unsent: the
/// backoff's own cap (30 s) would leave a room dark that long after its broker is back.
const URGENT_RETRY: Duration = Duration::from_secs(1);

/// The event loop's next poll, owning the loop until it completes.
type Polling = Pin<Box<dyn Future<Output = (Events, Result<LinkEvent, LinkError>)> + Send>>;

/// A technician's order waiting for its answer: where to send it, and the lights it covers,
/// each with whether it replaced a step still waiting for the budget.
pub type PaceAnswer = (SyncSender<Vec<LightPace>>, Vec<(usize, bool)>);

/// What the engine (through [`super::MqttLights`]) asks of the task.
#[derive(Debug)]
pub enum Order {
    Zone {
        zone: String,
        look: Look,
        fade: Millis,
        urgent: bool,
    },
    Light {
        name: String,
        look: Look,
        fade: Millis,
        /// Where to say when each light's command goes, once what goes at once has gone.
        answer: Option<SyncSender<Vec<LightPace>>>,
    },
    Calibrate {
        light: String,
        level: f32,
    },
    /// The engine took over the direct emergency `id`.
    HandedOver {
        id: String,
    },
}

pub struct Task {
    pub link: Link,
    pub plan: Planner,
    pub routes: Routes,
    pub driver_for: DriverFor,
    pub board: Board,
    pub device_events: mpsc::Sender<DeviceEvent>,
    pub status_topic: String,
    /// `127.0.0.1:1883`, for messages.
    pub broker: String,
    pub username: Option<String>,
    pub started: Instant,
    pub connected: bool,
    pub ever_connected: bool,
    /// The last connection failure said, so a broker that stays down is not reported again
    /// at every retry.
    pub last_failure: Option<String>,
    pub acks: Acks,
    pub backoff: Backoff,
    pub last_denial: HashMap<usize, Millis>,
    /// The filters of the last SUBSCRIBE, in order, to name the ones refused.
    pub subscribed: Vec<String>,
    /// Where the emergency's direct path leaves its [`DirectNotice`].
    pub notice_topic: String,
    /// Zones a direct emergency holds at its look, and until when: ordinary orders for them
    /// are dropped until the engine sends an emergency itself (it honours the marker once it
    /// runs), or [`HOLD_AT_MOST`] has passed.
    pub held: BTreeMap<String, Millis>,
    /// The latest order a hold kept from each zone, carried out when the hold runs out.
    pub kept_back: BTreeMap<String, Order>,
    /// Technicians' orders to answer after the next flush: where to, the lights they cover,
    /// and which of those had a step still waiting that the order replaced.
    pub to_answer: Vec<PaceAnswer>,
    /// Where a notice goes for the engine to take over.
    pub notice_sink: Option<NoticeSink>,
    /// Direct emergencies the engine took over: their notices are only cleared.
    pub handed_over: BTreeSet<String>,
    /// Connected, and until when nothing is sent while the broker answers the subscriptions:
    /// a retained notice must be seen before the scene's looks are re-asserted over it.
    pub settling: Option<Millis>,
    /// The subscriptions' answers still to come since the last connection.
    pub subacks_due: usize,
    /// Cuts the wait before the next connection attempt short: an emergency came while the
    /// broker was away.
    pub hurry: Arc<Notify>,
    /// An emergency was ordered since the last connection was made: connection attempts
    /// come at least every [`URGENT_RETRY`] until the next one is.
    pub urgent_unsent: bool,
}

impl Task {
    pub async fn run(mut self, events: Events, mut orders: mpsc::UnboundedReceiver<Order>) {
        let mut polling: Polling = Box::pin(events.next(None, Arc::clone(&self.hurry)));
        loop {
            // A deadline already passed is one the last flush could not meet (the budget's
            // rounding): look again a millisecond on rather than spin.
            let floor = self.now() + Millis(1);
            let sending = self.connected && self.settling.is_none();
            let deadline = self.plan.next_deadline().filter(|_| sending);
            // A hold or the wait for the subscriptions running out wakes the task too.
            let deadline = deadline
                .into_iter()
                .chain(self.held.values().copied())
                .chain(self.settling)
                .min();
            let wake = deadline.map(|d| self.started + d.max(floor).to_duration());
            // Biased: the engine's orders first, then whatever the broker already delivered,
            // and only then a deadline. A daemon resumed after being stuck (SIGSTOP, a frozen
            // disk) finds its fades overdue and a direct emergency's notice waiting on the
            // socket; the notice must reach the plan before the overdue step is sent, or the
            // old fade's next step would go out before the emergency.
            tokio::select! {
                biased;
                order = orders.recv() => {
                    let Some(order) = order else { break };
                    // What the broker already delivered first: a daemon resumed after being
                    // stuck takes the direct path's notice over (its engine's heartbeat sends
                    // the emergency at once); read after that order, the notice would come too
                    // late to spare the lights the direct path lit their stop and set again.
                    self.drain_delivered(&mut polling).await;
                    self.apply(order);
                    // Everything already waiting goes into the plan before anything is sent,
                    // so an emergency never waits behind older orders' publishes and a later
                    // order is never overtaken by an earlier one.
                    while let Ok(order) = orders.try_recv() {
                        self.apply(order);
                    }
                    self.flush();
                    self.answer_paces();
                }
                (events, result) = &mut polling => {
                    let wait = self.on_link(result);
                    polling = Box::pin(events.next(wait, Arc::clone(&self.hurry)));
                }
                _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                    self.drain_delivered(&mut polling).await;
                    self.end_holds_run_out();
                    self.flush();
                }
            }
        }
        self.goodbye(polling).await;
    }

    /// Reads whatever the broker already delivered, all of it, without waiting: after being
    /// stopped the event loop's first event is rarely the direct emergency's notice (a
    /// keep-alive ping is overdue too), and one event per turn would let the old fade's
    /// overdue step go out before it.
    async fn drain_delivered(&mut self, polling: &mut Polling) {
        for _ in 0..DRAIN_AT_MOST {
            match tokio::time::timeout(Duration::ZERO, &mut *polling).await {
                Ok((events, result)) => {
                    let wait = self.on_link(result);
                    *polling = Box::pin(events.next(wait, Arc::clone(&self.hurry)));
                }
                Err(_) => break,
            }
        }
    }

    fn now(&self) -> Millis {
        Millis(self.started.elapsed().as_millis() as u64)
    }

    fn apply(&mut self, mut order: Order) {
        let now = self.now();
        if let Order::HandedOver { id } = order {
            self.handed_over.insert(id);
            // Taken over: the notice has done its work, and must not light the room again
            // at a later start. (Disconnected, it is cleared when it comes back retained.)
            if self.connected {
                self.clear_notice();
            }
            return;
        }
        if let Order::Light { name, answer, .. } = &mut order
            && let Some(answer) = answer.take()
        {
            let members = self.members(name);
            if self.held_zone_of(&order).is_some() {
                let paces = members
                    .iter()
                    .map(|&(i, _)| LightPace {
                        light: self.plan.lights()[i].name.clone(),
                        pace: Pace::Held,
                        replaced_waiting: false,
                    })
                    .collect();
                let _ = answer.try_send(paces);
            } else {
                self.to_answer.push((answer, members));
            }
        }
        if let Some(zone) = self.held_zone_of(&order) {
            tracing::warn!(
                zone,
                ?order,
                "lights: not sent: a direct emergency holds this zone"
            );
            self.kept_back.insert(zone, order);
            return;
        }
        let result = match order {
            Order::Zone {
                zone,
                look,
                fade,
                urgent,
            } => {
                // Until the next connection, even one that seems up now: a broker that died
                // unnoticed takes the emergency's publishes with it.
                if urgent && !self.urgent_unsent {
                    self.urgent_unsent = true;
                    if !self.connected {
                        self.hurry.notify_one();
                        tracing::info!(
                            zone,
                            "lights: an emergency waits for the broker; retrying at once"
                        );
                    }
                }
                if urgent && self.held.remove(&zone).is_some() {
                    self.kept_back.remove(&zone);
                    tracing::info!(zone, "lights: the daemon's own emergency takes over the zone");
                }
                if self.plan.set_zone(now, &zone, look, fade, urgent) == 0 {
                    tracing::debug!(zone, "lights: no lights in this zone");
                }
                Ok(())
            }
            Order::Light { name, look, fade, .. } => self.plan.set_light(now, &name, look, fade, false),
            Order::Calibrate { light, level } => self.plan.calibrate(now, &light, level),
            Order::HandedOver { .. } => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!("lights: {e}");
        }
        self.show_looks(now);
    }

    /// The lights `name` covers (the light, or a zone's lights), each with whether it has a
    /// step waiting for the budget now, which an order for it replaces.
    fn members(&self, name: &str) -> Vec<(usize, bool)> {
        let now = self.now();
        let lights = self.plan.lights();
        let exact = lights.iter().position(|l| l.name == name);
        (0..lights.len())
            .filter(|&i| match exact {
                Some(e) => i == e,
                None => lights[i].zone == name,
            })
            .map(|i| (i, self.plan.budget_wait(i, now).is_some()))
            .collect()
    }

    /// Tells each technician's order, now that what could go has gone, when each of its lights'
    /// commands goes.
    fn answer_paces(&mut self) {
        let now = self.now();
        for (answer, members) in std::mem::take(&mut self.to_answer) {
            let paces = members
                .into_iter()
                .map(|(i, replaced_waiting)| {
                    let pace = match self.plan.budget_wait(i, now) {
                        _ if !self.connected => Pace::NotConnected,
                        None => Pace::AtOnce,
                        Some(wait) => Pace::Waits { ms: wait.0 },
                    };
                    if let Pace::Waits { ms } = pace {
                        tracing::info!(
                            light = %self.plan.lights()[i].name,
                            ms,
                            "lights: a technician's step waits for the network's budget"
                        );
                    }
                    LightPace {
                        light: self.plan.lights()[i].name.clone(),
                        pace,
                        replaced_waiting,
                    }
                })
                .collect();
            // The engine may have given up waiting; the pace is then only in the log.
            let _ = answer.try_send(paces);
        }
    }

    /// The held zone an order would change, when it is not the engine's own emergency.
    fn held_zone_of(&self, order: &Order) -> Option<String> {
        if self.held.is_empty() {
            return None;
        }
        let zone_of = |name: &str| {
            self.plan
                .lights()
                .iter()
                .find(|l| l.name == name)
                .map(|l| l.zone.clone())
        };
        let zone = match order {
            Order::Zone { urgent: true, .. } => None,
            Order::Zone { zone, .. } => Some(zone.clone()),
            Order::Light { name, .. } => zone_of(name),
            Order::Calibrate { light, .. } => zone_of(light),
            Order::HandedOver { .. } => None,
        }?;
        let now = self.now();
        self.held
            .get(&zone)
            .is_some_and(|until| *until > now)
            .then_some(zone)
    }

    /// Holds that ran out without the engine taking over give their zones back to the orders
    /// they kept back (the scene's look, most likely).
    fn end_holds_run_out(&mut self) {
        let now = self.now();
        let ended: Vec<String> = self
            .held
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(zone, _)| zone.clone())
            .collect();
        for zone in ended {
            self.held.remove(&zone);
            tracing::warn!(
                zone,
                "lights: the direct emergency's hold ran out without the daemon taking over"
            );
            if let Some(order) = self.kept_back.remove(&zone) {
                self.apply(order);
            }
        }
    }

    /// The direct path lit `notice.zones` around a daemon that did not answer: whatever this
    /// task still has planned for them (a fade's next steps) would dim them again.
    ///
    /// The notice then goes to the engine (through the sink, as a marker in the spool), and
    /// leaves the broker once that is on disk.
    fn on_direct_notice(&mut self, payload: &[u8]) {
        // A notice cleared (by this task or another daemon's).
        if payload.is_empty() {
            return;
        }
        let notice = match DirectNotice::from_json(payload) {
            Ok(notice) => notice,
            Err(e) => {
                tracing::warn!("lights: an unreadable direct emergency notice ignored: {e}");
                return;
            }
        };
        if notice.id.as_ref().is_some_and(|id| self.handed_over.contains(id)) {
            tracing::info!(id = ?notice.id, "lights: a direct emergency already taken over; its notice goes");
            self.clear_notice();
            return;
        }
        if let Some(sink) = &self.notice_sink {
            match (sink.0)(&notice) {
                Ok(marker) => {
                    tracing::warn!(
                        marker,
                        "lights: a direct emergency's notice, left for the daemon as a marker"
                    );
                    self.clear_notice();
                }
                Err(e) => tracing::error!(
                    "lights: a direct emergency's notice could not be left as a marker (it stays on the broker): {e}"
                ),
            }
        }
        let now = self.now();
        let unix_now = crate::lights::direct_notice::unix_now_ms();
        // A notice older than this task (retained while no daemon ran, or from a CLI that
        // does not say when it began): who knows what the lights did since (a wall switch, a
        // power cut). They are sent the look once more, as an emergency, and the engine's
        // own emergency when it takes over then finds them sent.
        let started_unix = unix_now.saturating_sub(now.0);
        if notice.lights_from_unix_ms.is_none_or(|from| from < started_unix) {
            for zone in notice.zones {
                if self.plan.set_zone(now, &zone, notice.look, Millis::ZERO, true) > 0 {
                    tracing::warn!(
                        zone,
                        "lights: EMERGENCY sent around the daemon before it started; lighting the zone again and holding it"
                    );
                    self.held.insert(zone, now + HOLD_AT_MOST);
                }
            }
            self.show_looks(now);
            self.flush();
            return;
        }
        // The instant the direct path began on this task's clock.
        let since = match notice.lights_from_unix_ms {
            Some(from) => now.saturating_sub(Millis(unix_now.saturating_sub(from))),
            None => now.saturating_sub(NOTICE_GAP),
        };
        for zone in notice.zones {
            // The direct path has stopped and set every light of the zone already: the plan
            // takes that as sent, so neither this notice nor the engine's own emergency when
            // it takes over sends each light its stop and set again.
            if self.plan.sent_elsewhere(now, &zone, notice.look, since) > 0 {
                tracing::warn!(
                    zone,
                    "lights: EMERGENCY sent around the daemon; holding the zone at its look"
                );
                self.held.insert(zone, now + HOLD_AT_MOST);
            }
        }
        self.show_looks(now);
        self.flush();
    }

    /// Publishes whatever the plan says is due. Nothing goes while disconnected: rumqttc would
    /// queue it and flush stale steps in a burst on reconnect; the plan keeps the desired
    /// state instead and it is re-asserted after the ConnAck.
    fn flush(&mut self) {
        if !self.connected {
            return;
        }
        let now = self.now();
        if let Some(until) = self.settling {
            if now < until {
                return;
            }
            tracing::warn!("lights: the broker did not answer the subscriptions in time; sending anyway");
            self.settling = None;
        }
        for planned in self.plan.poll(now) {
            let light = &self.plan.lights()[planned.light];
            let driver = (self.driver_for)(light.family);
            let messages = match &planned.kind {
                PlannedKind::Set(command) => driver.encode(light, command),
                PlannedKind::Stop => driver.stop(light),
            };
            let name = light.name.clone();
            for message in messages {
                self.publish(Some(&name), message.topic, message.payload, false);
            }
            if let PlannedKind::Set(_) = planned.kind {
                self.board.sent(planned.light);
            }
        }
        self.show_looks(now);
    }

    fn show_looks(&self, now: Millis) {
        let count = self.plan.lights().len();
        self.board
            .looks((0..count).map(|i| (self.plan.desired(i), self.plan.estimated(i, now))));
        self.board.merged(self.plan.merged());
    }

    fn publish(&mut self, light: Option<&str>, topic: String, payload: Vec<u8>, retain: bool) {
        match self.link.publish(&topic, payload, retain) {
            Ok(()) => self.acks.queued(Sent {
                light: light.map(str::to_string),
                topic,
            }),
            // The plan re-sends the latest state on the next change or reconnect; a stale
            // step is worth less than a clear queue.
            Err(e) => tracing::warn!(topic, "lights: command dropped: {e}"),
        }
    }

    /// Handles what the connection said; returns how long to wait before polling again.
    fn on_link(&mut self, result: Result<LinkEvent, LinkError>) -> Option<Duration> {
        match result {
            Ok(LinkEvent::Connected) => self.on_connected(),
            Ok(LinkEvent::Message { topic, payload }) => self.on_message(&topic, &payload),
            Ok(LinkEvent::Sent { pkid }) => self.acks.left(pkid),
            Ok(LinkEvent::Acked { pkid, refused }) => {
                if let (Some(sent), Some(refusal)) = (self.acks.acked(pkid), refused) {
                    self.on_refused(sent, refusal);
                }
            }
            Ok(LinkEvent::Subscribed { refused }) => self.on_subscribed(&refused),
            Ok(LinkEvent::Other) => {}
            Err(error) => return Some(self.on_link_error(error)),
        }
        None
    }

    fn on_connected(&mut self) {
        let again = self.ever_connected;
        self.connected = true;
        self.ever_connected = true;
        self.last_failure = None;
        self.backoff.reset();
        self.urgent_unsent = false;
        self.board.connected(true);
        tracing::info!(broker = %self.broker, "lights: connected to the broker");
        // A clean session has no subscriptions: make them on every ConnAck. The notice's
        // first and alone: the broker delivers a retained one before it answers the next
        // subscription, so once that answer is in, a notice left there has been seen, and
        // nothing is sent before (the scene's looks re-asserted would dim a lit room).
        let now = self.now();
        self.settling = Some(now + SETTLE_AT_MOST);
        self.subacks_due = 0;
        match self.link.subscribe(std::slice::from_ref(&self.notice_topic)) {
            Ok(()) => self.subacks_due += 1,
            Err(e) => tracing::warn!("lights: cannot subscribe to the direct emergency's notice: {e}"),
        }
        self.subscribed = self.routes.topics();
        if !self.subscribed.is_empty() {
            match self.link.subscribe(&self.subscribed) {
                Ok(()) => self.subacks_due += 1,
                Err(e) => tracing::warn!("lights: cannot subscribe to the lights' state: {e}"),
            }
        }
        if self.subacks_due == 0 {
            self.settling = None;
        }
        let status = self.status_topic.clone();
        self.publish(None, status, ONLINE.into(), true);
        let now = self.now();
        // The broker (or the devices behind it) may have restarted and lost what they were
        // told; the plan's latest state goes out again, never the steps missed meanwhile.
        self.plan.reassert_all(now);
        if again {
            self.report(format!(
                "lights: reconnected to the broker {}; every light's look re-asserted",
                self.broker
            ));
        }
        self.flush();
    }

    /// Clears the retained notice from the broker.
    fn clear_notice(&mut self) {
        let topic = self.notice_topic.clone();
        self.publish(None, topic, Vec::new(), true);
    }

    fn on_message(&mut self, topic: &str, payload: &[u8]) {
        if topic == self.notice_topic {
            self.on_direct_notice(payload);
            return;
        }
        let now = self.now();
        let reports = self
            .routes
            .decode(self.plan.lights(), self.driver_for, now, topic, payload);
        let mut back_online = Vec::new();
        for (index, report) in reports {
            let before = self.board.heard(index, report);
            if let Report::State(state) = &report {
                self.plan.observe(now, index, state);
            }
            let name = &self.plan.lights()[index].name;
            if report == Report::Availability(true) && before == Some(false) {
                tracing::info!(light = %name, "lights: light back online; re-asserting its look");
                back_online.push(index);
            } else if report == Report::Availability(false) && before != Some(false) {
                tracing::warn!(light = %name, "lights: light offline");
            }
        }
        for &index in &back_online {
            self.plan.reassert(now, index);
        }
        if !back_online.is_empty() {
            self.flush();
        }
    }

    /// Without its subscriptions the adapter is blind to availability and state: re-asserting
    /// a light that comes back depends on them.
    fn on_subscribed(&mut self, refused: &[usize]) {
        let notices = self.subacks_due == 2 || self.subscribed.is_empty();
        self.subacks_due = self.subacks_due.saturating_sub(1);
        if self.subacks_due == 0 && self.settling.take().is_some() {
            self.flush();
        }
        if refused.is_empty() {
            return;
        }
        if notices {
            tracing::warn!(
                topic = %self.notice_topic,
                "lights: the broker refused the subscription to the direct emergency's notice; a daemon restarted after one does not hear of it"
            );
            return;
        }
        let topics: Vec<&str> = refused
            .iter()
            .filter_map(|&i| self.subscribed.get(i).map(String::as_str))
            .collect();
        let message = format!(
            "lights: the broker refused the subscriptions to {}; those lights' state and availability are not seen",
            topics.join(", ")
        );
        tracing::warn!("{message}");
        self.board.trouble(message.clone());
        self.report(message);
    }

    fn on_refused(&mut self, sent: Sent, refusal: Refusal) {
        let Refusal { code, name } = refusal;
        let topic = &sent.topic;
        let Some(light) = sent.light else {
            tracing::warn!(
                topic,
                code,
                "lights: the broker refused the daemon's status ({name})"
            );
            return;
        };
        let message = format!(
            "lights: the broker refused the command to light `{light}` on {topic}: reason {code} {name}"
        );
        tracing::warn!("{message}");
        self.board.trouble(message.clone());
        let index = self.plan.lights().iter().position(|l| l.name == light);
        let now = self.now();
        if let Some(index) = index {
            let last = self.last_denial.get(&index).copied();
            if last.is_some_and(|at| now.saturating_sub(at) < DENIAL_REPORT_EVERY) {
                return;
            }
            self.last_denial.insert(index, now);
        }
        self.report(message);
    }

    fn on_link_error(&mut self, error: LinkError) -> Duration {
        let wait = self.backoff.next_wait();
        let wait = if self.urgent_unsent {
            wait.min(URGENT_RETRY)
        } else {
            wait
        };
        self.acks.clear();
        let (message, report) = match &error {
            LinkError::Refused {
                bad_credentials: true,
                reason,
            } => {
                let user = self.username.as_deref().unwrap_or("(none)");
                (
                    format!(
                        "lights: the broker {} refused user `{user}`: bad username or password ({reason}); retrying",
                        self.broker
                    ),
                    true,
                )
            }
            _ if self.connected => (
                format!(
                    "lights: lost the connection to the broker {}: {}; retrying",
                    self.broker,
                    crate::error_text::error_chain(&error)
                ),
                true,
            ),
            _ => (
                format!(
                    "lights: cannot reach the broker {}: {}; retrying",
                    self.broker,
                    crate::error_text::error_chain(&error)
                ),
                !self.ever_connected,
            ),
        };
        self.connected = false;
        self.board.connected(false);
        self.board.trouble(message.clone());
        if self.last_failure.as_deref() == Some(message.as_str()) {
            tracing::debug!(retry_in = ?wait, "{message}");
        } else {
            tracing::warn!(retry_in = ?wait, "{message}");
            if report {
                self.report(message.clone());
            }
            self.last_failure = Some(message);
        }
        wait
    }

    fn report(&self, message: String) {
        if let Err(e) = self.device_events.try_send(DeviceEvent::Error { message }) {
            tracing::debug!("lights: event for the engine dropped: {e}");
        }
    }

    /// The daemon is stopping: say `offline` (a clean disconnect suppresses the last will),
    /// then disconnect, waiting only briefly for both to leave.
    async fn goodbye(mut self, mut polling: Polling) {
        if !self.connected {
            return;
        }
        let status = self.status_topic.clone();
        self.publish(None, status, OFFLINE.into(), true);
        self.link.disconnect();
        let _ = tokio::time::timeout(GOODBYE, async {
            loop {
                let (events, result) = (&mut polling).await;
                if result.is_err() {
                    break;
                }
                polling = Box::pin(events.next(None, Arc::clone(&self.hurry)));
            }
        })
        .await;
    }
}
