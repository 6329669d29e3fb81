//! `setting completions` and `setting man`: generated from the command line's own definition,
//! checked here for the commands people will look for.

use crate::support::setting;

#[test]
fn completions_cover_the_commands_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = setting(&["completions", shell]);
        let script = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(script.contains("setting"), "{shell}: {script}");
        assert!(script.contains("emergency"), "{shell}: {script}");
    }
}

#[test]
fn completions_refuse_an_unknown_shell() {
    assert_eq!(setting(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_writes_a_page_for_setting_and_each_command() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let out = setting(&["man", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for page in ["setting.1", "setting-emergency.1", "setting-lights-calibrate.1"] {
        let text = std::fs::read_to_string(out_dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{page} is not roff:\n{text}"
        );
    }
    let top = std::fs::read_to_string(out_dir.join("setting.1")).unwrap();
    assert!(top.contains("emergency"), "the top page lists the commands");
}
