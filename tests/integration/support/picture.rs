//! An arc picture read as a viewer would see it: laid out by a real SVG renderer (resvg's usvg,
//! with the machine's fonts) and checked for what makes a picture mislead: words off the
//! edge, words on top of each other, and words drawn over the data lines.

use resvg::usvg::{self, Node, Rect};

/// The data lines are drawn 2 px wide; legends' samples 3 px and axes 1 px.
const DATA_LINE: f32 = 2.0;

struct Seen {
    size: (f32, f32),
    words: Vec<Rect>,
    lines: Vec<Rect>,
}

fn options() -> usvg::Options<'static> {
    let mut options = usvg::Options::default();
    let fonts = options.fontdb_mut();
    fonts.load_system_fonts();
    let has = |family: &str| fonts.faces().any(|f| f.families.iter().any(|(n, _)| n == family));
    if !has("Arial") && has("DejaVu Sans") {
        fonts.set_sans_serif_family("DejaVu Sans");
    }
    assert!(
        !fonts.is_empty(),
        "no fonts on this machine: scripts/deps.sh installs fonts-dejavu-core"
    );
    options
}

fn look(svg: &str) -> Seen {
    let tree = usvg::Tree::from_str(svg, &options()).expect("a real SVG renderer reads the picture");
    let mut seen = Seen {
        size: (tree.size().width(), tree.size().height()),
        words: Vec::new(),
        lines: Vec::new(),
    };
    walk(tree.root().children(), &mut seen);
    seen
}

fn walk(nodes: &[Node], seen: &mut Seen) {
    for node in nodes {
        match node {
            Node::Group(group) => walk(group.children(), seen),
            Node::Text(text) => seen.words.push(text.abs_bounding_box()),
            Node::Path(path) => {
                let data = path.stroke().is_some_and(|s| s.width().get() == DATA_LINE);
                let long = path.data().len() > 3;
                if data && long {
                    seen.lines.push(path.abs_bounding_box());
                }
            }
            Node::Image(_) => {}
        }
    }
}

/// Overlap of more than a pixel each way; words that merely touch are fine.
fn overlap(a: &Rect, b: &Rect) -> bool {
    a.left() + 1.0 < b.right()
        && b.left() + 1.0 < a.right()
        && a.top() + 1.0 < b.bottom()
        && b.top() + 1.0 < a.bottom()
}

/// Renders `svg` and checks that every word is inside the picture, that no two words cover each
/// other, and that none is drawn over a data line's area; returns how many words and data lines
/// were laid out.
pub fn assert_reads_well(svg: &str, what: &str) -> (usize, usize) {
    let seen = look(svg);
    assert!(!seen.words.is_empty(), "{what}: no words were laid out");
    let (width, height) = seen.size;
    for word in &seen.words {
        assert!(
            word.left() >= 0.0 && word.top() >= 0.0 && word.right() <= width && word.bottom() <= height,
            "{what}: a word at {word:?} falls off the {width}x{height} picture"
        );
        for line in &seen.lines {
            assert!(
                !overlap(word, line),
                "{what}: a word at {word:?} is drawn over the data at {line:?}"
            );
        }
    }
    for (i, a) in seen.words.iter().enumerate() {
        for b in &seen.words[i + 1..] {
            assert!(
                !overlap(a, b),
                "{what}: words at {a:?} and {b:?} cover each other"
            );
        }
    }
    // A picture that renders to nothing is broken however well its words sit.
    let tree = usvg::Tree::from_str(svg, &options()).expect("read again");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("a size");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let inked = pixmap.pixels().iter().filter(|p| p.red() < 128).count();
    assert!(
        inked > 1000,
        "{what}: the rendered picture is nearly blank ({inked} dark pixels)"
    );
    (seen.words.len(), seen.lines.len())
}
