//! The rule that keeps the crate's layers readable: no top-level module depends on another that
//! depends back on it, directly or through others. A dependency is a `crate::MODULE` path (or a
//! `crate::{MODULE, ...}` group) anywhere in a module's files, its tests included, outside
//! comments; the binaries under `src/bin/` are not modules of the crate.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// For each module, the modules it refers to and where (`file:line`).
type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// How many places are named for one dependency in a failure; the rest are counted.
const PLACES_SHOWN: usize = 3;

#[test]
fn no_two_top_level_modules_depend_on_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph_of(&src);
    assert!(
        graph.len() > 5,
        "found only {} modules under {}",
        graph.len(),
        src.display()
    );
    let cycles = cycles(&graph);
    assert!(cycles.is_empty(), "{}", describe(&graph, &cycles));
}

#[test]
fn references_are_found_in_paths_and_groups_but_not_in_comments() {
    let source = "use crate::alpha::One;\n\
                  // use crate::commented::Out;\n\
                  /* crate::blocked::Out */ use crate::{\n    beta::Two,\n    gamma::{inner::Three, Four},\n    self,\n};\n\
                  fn f() { crate::delta::run(); mycrate::not_ours(); }\n\
                  macro_rules! m { () => { $crate::epsilon::x() } }\n";
    let found: Vec<(usize, String)> = references(source);
    assert_eq!(
        found,
        [
            (1, "alpha".to_string()),
            (4, "beta".to_string()),
            (5, "gamma".to_string()),
            (6, "self".to_string()),
            (8, "delta".to_string()),
            (9, "epsilon".to_string()),
        ]
    );
}

#[test]
fn a_cycle_through_three_modules_is_found_and_a_chain_is_not() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "d")] {
        graph
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string(), vec![format!("src/{from}.rs:1")]);
    }
    let found = cycles(&graph);
    assert_eq!(found, [BTreeSet::from(["a".to_string(), "b".into(), "c".into()])]);
    let text = describe(&graph, &found);
    for step in ["a -> b: src/a.rs:1", "b -> c: src/b.rs:1", "c -> a: src/c.rs:1"] {
        assert!(text.contains(step), "{text}");
    }
    assert!(!text.contains("c -> d"), "{text}");
}

#[test]
fn two_modules_that_refer_to_each_other_are_named_as_a_pair() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "a"), ("b", "c"), ("c", "a")] {
        graph
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string(), vec![format!("src/{from}.rs:1")]);
    }
    let text = describe(&graph, &cycles(&graph));
    assert!(
        text.contains("a -> b: src/a.rs:1\n    b -> a: src/b.rs:1"),
        "{text}"
    );
}

/// The top-level modules `lib.rs` declares, and what each refers to.
fn graph_of(src: &Path) -> Graph {
    let lib = fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let modules = declared_modules(&lib);
    let mut graph: Graph = modules.iter().map(|m| (m.clone(), BTreeMap::new())).collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    for file in files {
        let relative = file.strip_prefix(src).expect("under src");
        let Some(module) = top_module(relative).filter(|m| modules.contains(m)) else {
            continue;
        };
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (line, target) in references(&text) {
            if target != module && modules.contains(&target) {
                let place = format!("src/{}:{line}", relative.display());
                graph
                    .get_mut(&module)
                    .expect("declared")
                    .entry(target)
                    .or_default()
                    .push(place);
            }
        }
    }
    graph
}

/// `mod NAME;` lines, whatever their visibility or attributes.
fn declared_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub ")
                .or(line.strip_prefix("pub(crate) "))
                .unwrap_or(line);
            rest.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(|name| name.trim().to_string())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `config` for `config.rs`, `config/mod.rs` and `config/load.rs`; none for `lib.rs` and the
/// binaries.
fn top_module(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "bin").then(|| name.to_string())
}

/// The first name after each `crate::` (each name at the top of a `crate::{...}` group), with
/// its line.
fn references(source: &str) -> Vec<(usize, String)> {
    let code = without_comments(source);
    let bytes = code.as_bytes();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = code[from..].find("crate::") {
        let start = from + offset;
        from = start + "crate::".len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let mut at = skip_space(bytes, from);
        if bytes.get(at) != Some(&b'{') {
            if let Some(name) = ident_at(&code, at) {
                found.push((line_of(at), name.to_string()));
            }
            continue;
        }
        // A group: the names that start each item at its top level.
        let mut depth = 0;
        let mut item_start = true;
        while at < bytes.len() {
            match bytes[at] {
                b'{' => {
                    depth += 1;
                    item_start = depth == 1;
                }
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b',' if depth == 1 => item_start = true,
                b if b.is_ascii_whitespace() => {}
                _ if depth == 1 && item_start => {
                    if let Some(name) = ident_at(&code, at) {
                        found.push((line_of(at), name.to_string()));
                        at += name.len();
                        item_start = false;
                        continue;
                    }
                    item_start = false;
                }
                _ => {}
            }
            at += 1;
        }
        from = at.max(from);
    }
    found
}

/// The source with `//` and `/* */` comments blanked out, lines kept where they were.
fn without_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find('/') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if rest.starts_with("/*") {
            rest.find("*/").map_or(rest.len(), |e| e + 2)
        } else {
            out.push('/');
            rest = &rest[1..];
            continue;
        };
        out.extend(rest[..end].chars().filter(|c| *c == '\n'));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

fn ident_at(code: &str, at: usize) -> Option<&str> {
    let rest = code.get(at..)?;
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..len];
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        .then_some(name)
}

/// The groups of modules that each reach one another (strongly connected, more than one).
fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    let reach: BTreeMap<&String, BTreeSet<&String>> =
        graph.keys().map(|m| (m, reachable(graph, m))).collect();
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for (module, reached) in &reach {
        if groups.iter().any(|g| g.contains(*module)) {
            continue;
        }
        let group: BTreeSet<String> = reached
            .iter()
            .filter(|other| reach.get(*other).is_some_and(|back| back.contains(module)))
            .map(|m| m.to_string())
            .collect();
        if group.len() > 1 {
            groups.push(group);
        }
    }
    groups
}

/// Every module `from` leads to, itself only through a cycle.
fn reachable<'a>(graph: &'a Graph, from: &'a String) -> BTreeSet<&'a String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(module) = stack.pop() {
        for next in graph.get(module).into_iter().flat_map(|targets| targets.keys()) {
            if seen.insert(next) {
                stack.push(next);
            }
        }
    }
    seen
}

fn describe(graph: &Graph, cycles: &[BTreeSet<String>]) -> String {
    let mut text = String::from(
        "top-level modules depend on each other; move what both need into a module of its \
         own, or down into the one that does not depend on the other:\n",
    );
    for group in cycles {
        let names: Vec<&str> = group.iter().map(String::as_str).collect();
        text.push_str(&format!("  cycle among {}:\n", names.join(", ")));
        let mut pairs = 0;
        for (a, b) in group.iter().flat_map(|a| group.iter().map(move |b| (a, b))) {
            if a < b && depends(graph, a, b) && depends(graph, b, a) {
                pairs += 1;
                text.push_str(&edge(graph, a, b));
                text.push_str(&edge(graph, b, a));
            }
        }
        if pairs == 0 {
            // No two refer to each other directly: show the shortest way round instead.
            let first = group.first().expect("a group has members");
            let path = shortest_loop(graph, group, first);
            for step in path.windows(2) {
                text.push_str(&edge(graph, &step[0], &step[1]));
            }
        }
    }
    text
}

fn depends(graph: &Graph, from: &str, to: &str) -> bool {
    graph.get(from).is_some_and(|targets| targets.contains_key(to))
}

fn edge(graph: &Graph, from: &str, to: &str) -> String {
    let places = &graph[from][to];
    let shown = places
        .iter()
        .take(PLACES_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = places.len().saturating_sub(PLACES_SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("    {from} -> {to}: {shown}{more}\n")
}

/// The shortest path from `start` back to itself within `group`, both ends included.
fn shortest_loop(graph: &Graph, group: &BTreeSet<String>, start: &String) -> Vec<String> {
    let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for next in graph[module].keys().filter(|m| group.contains(*m)) {
            if next == start {
                let mut path = vec![start.clone(), module.clone()];
                let mut at = module;
                while at != start {
                    at = came_from[at];
                    path.push(at.clone());
                }
                path.reverse();
                return path;
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    vec![start.clone()]
}
