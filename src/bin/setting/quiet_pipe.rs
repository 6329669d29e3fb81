//! A reader that stops early (`setting report | head`, `setting completions bash | head`) ends
//! the output quietly and successfully: everything the reader wanted was written. Rust ignores
//! SIGPIPE, so a closed stdout shows up as an error from an explicit write, or as a panic from
//! `println!`; both are recognised here, and nothing else is.

use std::any::Any;
use std::io;

/// Keeps the panic message of a `println!` into a closed pipe off stderr; every other panic
/// is reported as before.
pub fn install() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_stdout_closed(info.payload()) {
            report(info);
        }
    }));
}

/// Whether a panic is `println!` finding stdout's reader gone.
pub fn is_stdout_closed(payload: &(dyn Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    message.is_some_and(|m| m.starts_with("failed printing to stdout") && m.contains(&broken_pipe_text()))
}

/// Whether an error came of writing to stdout after its reader had gone. A broken pipe
/// elsewhere (the daemon's socket closing mid-request) is a real failure and is not one.
pub fn is_broken_stdout(e: &anyhow::Error) -> bool {
    is_broken_pipe(e) && stdout_reader_gone()
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The write end of a pipe whose reader has closed polls as an error.
fn stdout_reader_gone() -> bool {
    let mut stdout = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, polled without waiting.
    let ready = unsafe { libc::poll(&mut stdout, 1, 0) };
    ready == 1 && stdout.revents & libc::POLLERR != 0
}

/// How the system words EPIPE, as `println!`'s panic quotes it.
fn broken_pipe_text() -> String {
    io::Error::from_raw_os_error(libc::EPIPE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_stdout_is_taken_for_one() {
        let closed = format!("failed printing to stdout: {}", broken_pipe_text());
        assert!(is_stdout_closed(&closed));
        let full = format!(
            "failed printing to stdout: {}",
            io::Error::from_raw_os_error(libc::ENOSPC)
        );
        assert!(!is_stdout_closed(&full));
        let stderr = format!("failed printing to stderr: {}", broken_pipe_text());
        assert!(!is_stdout_closed(&stderr));
        assert!(!is_stdout_closed(&"index out of bounds"));

        let pipe = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe)).context("cannot write");
        assert!(is_broken_pipe(&pipe));
        assert!(!is_broken_pipe(&anyhow::anyhow!("cannot write")));
    }
}
