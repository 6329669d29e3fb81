//! Progress bars on stderr for the long local commands (check, analyze, render, dry-run), drawn
//! only for a person at a terminal: never into a pipe, a test's capture, or beside `--json`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::args::Cli;
use crate::playlist::clock;

/// A bar that may not be drawn at all; every method is then a no-op.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar counting `total` files: `checking 3/12 files`.
    pub fn files(cli: &Cli, verb: &str, total: usize) -> Progress {
        Progress(shown(cli).then(|| {
            let style = ProgressStyle::with_template(&format!(
                "{verb} {{bar:30}} {{pos}}/{{len}} files ({{elapsed}})"
            ))
            .expect("a fixed template");
            ProgressBar::new(total as u64).with_style(style)
        }))
    }

    /// A bar over audio time, in frames at `rate`; with no known length, a spinner showing
    /// how much audio is written.
    pub fn audio(cli: &Cli, verb: &str, total_frames: Option<u64>, rate: u32) -> Progress {
        Progress(shown(cli).then(|| {
            let (bar, template) = match total_frames {
                Some(total) => (
                    ProgressBar::new(total),
                    format!("{verb} {{bar:30}} {{msg}} ({{elapsed}})"),
                ),
                None => (
                    ProgressBar::new_spinner(),
                    format!("{verb} {{spinner}} {{msg}} ({{elapsed}})"),
                ),
            };
            let style = ProgressStyle::with_template(&template).expect("a fixed template");
            let rate = Rate {
                rate,
                total: total_frames,
            };
            bar.with_style(style).with_message(rate.label(0))
        }))
    }

    /// One more file done; safe from any thread.
    pub fn tick(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    /// Audio written up to `frames` at `rate`, of `total_frames` when known.
    pub fn frames(&self, frames: u64, rate: u32, total_frames: Option<u64>) {
        if let Some(bar) = &self.0 {
            bar.set_position(frames);
            bar.set_message(
                Rate {
                    rate,
                    total: total_frames,
                }
                .label(frames),
            );
        }
    }

    /// Removes the bar, so the command's own output follows on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error path returns early; the bar must not stay on the screen above the message.
        self.finish();
    }
}

/// Frames as audio time: `1:02.500 of 30:00.000`, or `1:02.500 of audio` with no known end.
struct Rate {
    rate: u32,
    total: Option<u64>,
}

impl Rate {
    fn label(&self, frames: u64) -> String {
        let seconds = |frames: u64| clock(frames as f64 / f64::from(self.rate));
        match self.total {
            Some(total) => format!("{} of {}", seconds(frames), seconds(total)),
            None => format!("{} of audio", seconds(frames)),
        }
    }
}

fn shown(cli: &Cli) -> bool {
    !cli.json && std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::Rate;

    #[test]
    fn labels_audio_time_with_and_without_an_end() {
        let known = Rate {
            rate: 8000,
            total: Some(8000 * 90),
        };
        assert_eq!(known.label(8000 * 62 + 4000), "1:02.500 of 1:30.000");
        let open = Rate {
            rate: 8000,
            total: None,
        };
        assert_eq!(open.label(4000), "0:00.500 of audio");
    }
}
