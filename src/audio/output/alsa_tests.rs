//! The device output through the real ALSA path: ALSA's `file` plugin over its `null` device
//! stands in for a sound card and keeps what it was sent. The check runs in a child process,
//! because ALSA reads `~/.asoundrc` from `HOME` and the environment is shared by every test.

use std::process::Command;

use super::*;

pub(super) const CHILD: &str = "SETTING_ALSA_TEST_CHILD";

/// Runs the child test `name` with `asoundrc` as its ALSA config; returns its stdout.
pub(super) fn run_child(name: &str, asoundrc: &str, home: &std::path::Path) -> String {
    run_child_with(name, asoundrc, home, &[])
}

/// [`run_child`], with more variables in the child's environment.
pub(super) fn run_child_with(
    name: &str,
    asoundrc: &str,
    home: &std::path::Path,
    env: &[(&str, &std::ffi::OsStr)],
) -> String {
    child_output(name, asoundrc, home, env).0
}

/// [`run_child_with`], returning the child's stdout and stderr.
fn child_output(
    name: &str,
    asoundrc: &str,
    home: &std::path::Path,
    env: &[(&str, &std::ffi::OsStr)],
) -> (String, String) {
    std::fs::write(home.join(".asoundrc"), asoundrc).unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture"])
        .env("HOME", home)
        .env(CHILD, "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn the_default_device_plays_through_alsa() {
    let home = tempfile::tempdir().unwrap();
    let raw = home.path().join("out.raw");
    let asoundrc = format!(
        "pcm.!default {{ type file; slave.pcm \"null\"; file \"{}\"; format \"raw\" }}\n",
        raw.display()
    );
    let child = "audio::output::alsa_tests::child_plays_a_tone";
    let stdout = run_child(child, &asoundrc, home.path());
    if let Some(reason) = stdout.lines().find_map(|l| l.strip_prefix("SKIP: ")) {
        println!("skipped: ALSA's null device is unavailable here: {reason}");
        return;
    }
    assert!(stdout.contains("PLAYED"), "the child did not play:\n{stdout}");
    let bytes = std::fs::read(&raw).unwrap();
    let nonzero = bytes.iter().filter(|&&b| b != 0).count();
    // The null device is not paced, so the callback pads the file with silence between the
    // blocks; the tone must be all there, whatever the sample format: at least one non-zero
    // byte for each of its 40 * 1024 stereo frames.
    assert!(
        nonzero >= 40 * 1024,
        "{nonzero} of {} bytes are not zero",
        bytes.len()
    );
}

/// Runs only as the child of the test above.
#[test]
fn child_plays_a_tone() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let options = OutputOptions {
        rate: 48_000,
        pace: Pace::RealTime,
        events: DeviceEvents::none(),
    };
    let mut output = match DeviceOutput::open(None, &options) {
        Ok(output) => output,
        Err(e @ (device::DeviceError::NoDefault | device::DeviceError::NotFound { .. })) => {
            println!("SKIP: {}", error_chain(&e));
            return;
        }
        Err(e) => panic!("the ALSA default device would not open: {}", error_chain(&e)),
    };
    assert!(output.describe().starts_with("device: "), "{}", output.describe());
    let tone = crate::audio::test_media::sine(1024, 48_000, 440.0, 0.5);
    let block: Vec<f32> = tone.iter().flat_map(|&s| [s, s]).collect();
    for _ in 0..40 {
        output.write(&block).unwrap();
    }
    // Wait for the callback to take every block before the stream closes.
    std::thread::sleep(std::time::Duration::from_millis(100));
    output.finish().unwrap();
    drop(output);
    println!("PLAYED");
}

#[test]
fn no_sound_card_falls_back_to_the_null_output() {
    let home = tempfile::tempdir().unwrap();
    let asoundrc = "pcm.!default { type hw; card 97 }\n";
    let stdout = run_child(
        "audio::output::alsa_tests::child_opens_the_default",
        asoundrc,
        home.path(),
    );
    let status = stdout
        .lines()
        .find_map(|l| l.strip_prefix("STATUS: "))
        .unwrap_or_else(|| panic!("no status from the child:\n{stdout}"));
    assert!(status.starts_with("null: no sound card"), "{status}");
}

/// Runs only as the child of the test above.
#[test]
fn child_opens_the_default() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let options = OutputOptions {
        rate: 48_000,
        pace: Pace::Unpaced,
        events: DeviceEvents::none(),
    };
    let mut output = open_output(&OutputSpec::Default, &options).unwrap();
    output.write(&[0.0; 64]).unwrap();
    println!("STATUS: {}", output.describe());
}

#[test]
fn alsa_s_own_messages_about_a_missing_card_stay_off_stderr() {
    let home = tempfile::tempdir().unwrap();
    // A card named, not numbered: ALSA complains of a name it cannot find on any machine.
    let asoundrc = "pcm.!default { type hw; card \"nosuchcard\" }\n";
    // Asked without the handler, this ALSA prints its complaint to stderr; else the test
    // below could not tell.
    let (_, raw) = child_output(
        "audio::output::alsa_tests::child_asks_alsa_directly",
        asoundrc,
        home.path(),
        &[],
    );
    assert!(
        raw.contains("ALSA lib"),
        "ALSA said nothing of the missing card:\n{raw}"
    );
    let (stdout, stderr) = child_output(
        "audio::output::alsa_tests::child_opens_the_default",
        asoundrc,
        home.path(),
        &[],
    );
    assert!(stdout.contains("STATUS: null: no sound card"), "{stdout}");
    assert!(!stderr.contains("ALSA lib"), "{stderr}");
}

/// Runs only as the child of the test above: the default device through cpal alone.
#[test]
fn child_asks_alsa_directly() {
    use rodio::cpal::traits::{DeviceTrait, HostTrait};
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let device = rodio::cpal::default_host().default_output_device();
    let config = device.map(|d| d.default_output_config().is_ok());
    println!("OPENED: {config:?}");
}
