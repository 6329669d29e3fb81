//! Renders an SVG picture to PNG with resvg, using the system's fonts: how the README's
//! pictures are made from `setting plan --svg` and `setting report --svg`.
//!
//! `cargo run --example svg_to_png -- IN.svg OUT.png`

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: svg_to_png IN.svg OUT.png");
        return ExitCode::from(2);
    };
    match convert(input, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("svg_to_png: {why}");
            ExitCode::FAILURE
        }
    }
}

fn convert(input: &str, output: &str) -> Result<(), String> {
    let svg = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let mut options = resvg::usvg::Options::default();
    let fonts = options.fontdb_mut();
    fonts.load_system_fonts();
    // The pictures ask for the generic `sans-serif`, which fontdb takes for Arial; a Debian
    // machine has DejaVu instead.
    let has = |family: &str| {
        fonts
            .faces()
            .any(|f| f.families.iter().any(|(name, _)| name == family))
    };
    if !has("Arial") && has("DejaVu Sans") {
        fonts.set_sans_serif_family("DejaVu Sans");
    }
    let tree = resvg::usvg::Tree::from_data(&svg, &options).map_err(|e| format!("{input}: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| format!("{input}: an empty picture"))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .save_png(output)
        .map_err(|e| format!("cannot write {output}: {e}"))
}
