//! The control socket server: one task per connection reads request lines, hands them to the
//! engine and writes the replies, so a slow or silent client only ever holds up itself; past
//! [`MAX_CONNECTIONS`], the quietest connection makes room for the new one.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::{AbortHandle, JoinSet};

use crate::protocol::{
    ErrorKind, MAX_LINE_BYTES, Op, ProtocolError, Reply, WatchingReply, decode_request, encode_line,
};
use crate::timeline::{Source, Via};

use super::line::{Line, read_line};
use crate::control::EngineHandle;

/// Open connections beyond this close the quietest one: a runaway script must never use up the
/// file descriptors (often 1024 under systemd) that an emergency needs to get in.
pub const MAX_CONNECTIONS: usize = 256;

/// When a connection last finished a request, and whether it is watching, so that the one to
/// close is a silent or trickling client before an active one, and a watcher last of all.
struct Activity {
    /// Shared by every connection: a count, not a time, so that no two moments tie.
    ticks: Arc<AtomicU64>,
    last: AtomicU64,
    watching: AtomicBool,
}

impl Activity {
    fn new(ticks: &Arc<AtomicU64>) -> Arc<Activity> {
        let activity = Arc::new(Activity {
            ticks: Arc::clone(ticks),
            last: AtomicU64::new(0),
            watching: AtomicBool::new(false),
        });
        activity.touch();
        activity
    }

    fn touch(&self) {
        self.last
            .store(self.ticks.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Lower closes first.
    fn rank(&self) -> (bool, u64) {
        (
            self.watching.load(Ordering::Relaxed),
            self.last.load(Ordering::Relaxed),
        )
    }
}

/// Accepts connections until the task is dropped; dropping it closes every connection too.
pub async fn serve(listener: UnixListener, handle: EngineHandle) {
    let ticks = Arc::new(AtomicU64::new(0));
    let mut connections = JoinSet::new();
    let mut open: HashMap<tokio::task::Id, (AbortHandle, Arc<Activity>)> = HashMap::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if open.len() >= MAX_CONNECTIONS {
                        close_quietest(&mut open);
                    }
                    let activity = Activity::new(&ticks);
                    let task = connections.spawn(serve_connection(stream, handle.clone(), Arc::clone(&activity)));
                    open.insert(task.id(), (task, activity));
                }
                Err(e) => {
                    // Out of file descriptors, typically: back off instead of spinning, and
                    // keep serving the connections already open.
                    tracing::error!(error = %e, "cannot accept a control connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(done) = connections.join_next_with_id(), if !connections.is_empty() => match done {
                Ok((id, ())) => {
                    open.remove(&id);
                }
                Err(e) => {
                    open.remove(&e.id());
                    if e.is_panic() {
                        tracing::error!(error = %e, "a control connection panicked");
                    }
                }
            },
        }
    }
}

fn close_quietest(open: &mut HashMap<tokio::task::Id, (AbortHandle, Arc<Activity>)>) {
    let quietest = open
        .iter()
        .min_by_key(|(_, (_, activity))| activity.rank())
        .map(|(id, _)| *id);
    if let Some((task, _)) = quietest.and_then(|id| open.remove(&id)) {
        tracing::warn!(
            limit = MAX_CONNECTIONS,
            "too many control connections; closing the quietest to make room"
        );
        task.abort();
    }
}

/// Who is at the other end, for the event log.
fn source_of(stream: &UnixStream) -> Source {
    let who = stream
        .peer_cred()
        .ok()
        .map(|cred| super::peer::account_name(cred.uid()));
    Source {
        via: Via::Socket,
        who,
    }
}

async fn serve_connection(stream: UnixStream, handle: EngineHandle, activity: Arc<Activity>) {
    let source = source_of(&stream);
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        match read_line(&mut reader, &mut line, MAX_LINE_BYTES).await {
            Ok(Line::Complete) => activity.touch(),
            Ok(Line::Eof) => return,
            Ok(Line::TooLong) => {
                // The rest of the line cannot be skipped without reading it all; close instead.
                let reply = Reply::error(None, ErrorKind::BadRequest, ProtocolError::TooLong.to_string());
                let _ = write.write_all(&encode_line(&reply)).await;
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "control connection read failed");
                return;
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reply = match decode_request(&line) {
            Err(e) => Reply::error(salvage_id(&line), ErrorKind::BadRequest, e.to_string()),
            Ok(envelope) if envelope.op == Op::Watch => {
                activity.watching.store(true, Ordering::Relaxed);
                watch(envelope.id, &handle, &mut reader, write).await;
                return;
            }
            Ok(envelope) => handle.request(envelope.id, envelope.op, source.clone()).await,
        };
        if write.write_all(&encode_line(&reply)).await.is_err() {
            return;
        }
    }
}

/// The `id` of a request that failed to decode, when it can be read, so a client matching
/// replies to requests can still tell which one was refused.
fn salvage_id(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(line)
        .ok()?
        .get("id")?
        .as_u64()
}

/// Streams log entries until the client hangs up. Subscribes before acknowledging, so nothing
/// that happens after the reply can be missed.
async fn watch(
    id: Option<u64>,
    handle: &EngineHandle,
    reader: &mut BufReader<OwnedReadHalf>,
    mut write: OwnedWriteHalf,
) {
    let mut entries = handle.watch();
    let ack = Reply::ok(id, WatchingReply { watching: true });
    if write.write_all(&encode_line(&ack)).await.is_err() {
        return;
    }
    let mut scratch = [0u8; 512];
    loop {
        tokio::select! {
            entry = entries.recv() => match entry {
                Ok(entry) => {
                    if write.write_all(&encode_line(&entry)).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // Better a watcher that knows it missed something than a silent gap.
                    let message = format!("watch fell {missed} entries behind and was closed; watch again");
                    let _ = write.write_all(&encode_line(&Reply::error(id, ErrorKind::Internal, message))).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            // Input is ignored while watching; only its end matters.
            read = reader.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
        }
    }
}
