//! A TCP gate between a client under test and a real broker: a loopback port that forwards
//! to the broker while open and drops new connections while closed, so a test can decide
//! when a reconnecting client gets back in (after the test's own subscriber, say), or cut the
//! client off a broker that others still reach.
//!
//! ```ignore
//! let gate = Gate::to(broker.port());
//! gate.close();
//! broker.restart();
//! let spy = Spy::connect(&broker, "#");
//! gate.open(); // the client under test reconnects only now
//! ```

use std::io;
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct Gate {
    port: u16,
    open: Arc<AtomicBool>,
    ended: Arc<AtomicBool>,
    /// The client side of every connection let through, to cut them.
    through: Arc<Mutex<Vec<TcpStream>>>,
}

impl Gate {
    /// An open gate on a free loopback port, forwarding to `target` on loopback.
    pub fn to(target: u16) -> Gate {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the gate");
        let port = listener.local_addr().expect("gate address").port();
        let open = Arc::new(AtomicBool::new(true));
        let ended = Arc::new(AtomicBool::new(false));
        let (is_open, is_ended) = (open.clone(), ended.clone());
        let through = Arc::new(Mutex::new(Vec::new()));
        let passed = through.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if is_ended.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                if !is_open.load(Ordering::SeqCst) {
                    // As a broker that is not up yet: the connection ends at once.
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                match TcpStream::connect((Ipv4Addr::LOCALHOST, target)) {
                    Ok(upstream) => {
                        if let Ok(kept) = client.try_clone() {
                            passed.lock().expect("gate connections").push(kept);
                        }
                        forward(client, upstream)
                    }
                    Err(_) => {
                        let _ = client.shutdown(Shutdown::Both);
                    }
                }
            }
        });
        Gate {
            port,
            open,
            ended,
            through,
        }
    }

    /// The port clients under test connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// New connections are dropped; those already through stay until either side ends.
    pub fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
    }

    pub fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }

    /// Closes the gate and ends every connection through it, as a network cut would.
    pub fn cut(&self) {
        self.close();
        for stream in self.through.lock().expect("gate connections").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.ended.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the end.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
    }
}

/// Copies both ways; when either side ends, both are shut so the other notices at once, as
/// it would if the broker itself had gone.
fn forward(client: TcpStream, upstream: TcpStream) {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let pipe = |mut from: TcpStream, mut to: TcpStream| {
        thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
        });
    };
    match (client.try_clone(), upstream.try_clone()) {
        (Ok(client_reader), Ok(upstream_reader)) => {
            pipe(client_reader, upstream);
            pipe(upstream_reader, client);
        }
        _ => {
            let _ = client.shutdown(Shutdown::Both);
        }
    }
}
