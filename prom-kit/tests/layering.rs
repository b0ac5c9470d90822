//! The layering of `src/` stays as the crate docs state it: no module imports from a
//! layer above its own. The table is read from the architecture section of `lib.rs`, the
//! imports from every `crate::` path in the source files (test modules and doc comments
//! left out, where higher layers may be used freely).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module name → layer, from the `| n | `a`, `b` | … |` rows of `lib.rs`.
fn layer_table(lib: &str) -> BTreeMap<String, u32> {
    let mut layers = BTreeMap::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! | ") else {
            continue;
        };
        let mut cells = row.split('|').map(str::trim);
        let Some(Ok(layer)) = cells.next().map(str::parse::<u32>) else {
            continue;
        };
        for module in cells.next().unwrap_or_default().split(',') {
            layers.insert(module.trim().trim_matches('`').to_owned(), layer);
        }
    }
    layers
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`None` for `lib.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative
        .components()
        .next()?
        .as_os_str()
        .to_str()?
        .to_owned();
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

/// Whether a file holds tests only (a `tests.rs`, or a loom model file).
fn is_test_file(file: &Path) -> bool {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name == "tests.rs"
        || name.starts_with("loom_")
        || file.components().any(|c| c.as_os_str() == "tests")
}

/// The code lines of a file: doc and line comments dropped, and everything from an
/// inline `#[cfg(test)]` / `#[cfg(all(test, …))]` module on (test modules close a file).
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut code = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            let next = lines.get(i + 1).map_or("", |l| l.trim_start());
            if next.starts_with("mod ") && next.ends_with('{') {
                break;
            }
        }
        if trimmed.starts_with("//") {
            continue;
        }
        code.push((i + 1, *line));
    }
    code
}

/// The top-level modules a line names through `crate::…` paths (`use crate::{a, b}`
/// included).
fn crate_paths(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        } else {
            found.push(
                after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
        rest = after;
    }
    found
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let layers = layer_table(&lib);
    assert!(
        layers.len() >= 15,
        "the layer table of lib.rs was not found: {layers:?}"
    );
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in files.iter().filter(|f| !is_test_file(f)) {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let own = *layers
            .get(&module)
            .unwrap_or_else(|| panic!("module {module} is missing from the layer table of lib.rs"));
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in code_lines(&text) {
            for used in crate_paths(line) {
                // Root re-exports (`crate::Counter`) name types of their own modules; a
                // capitalised or unknown name is not a module.
                let Some(&layer) = layers.get(&used) else {
                    continue;
                };
                if layer > own {
                    violations.push(format!(
                        "{}:{number}: {module} (layer {own}) uses {used} (layer {layer})",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports from a higher layer:\n{}",
        violations.join("\n")
    );
}

/// Root re-export → the module it comes from, from the `pub use module::{…};` items of
/// `lib.rs` (so that `crate::Counter` counts as a use of `metrics`).
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let mut rest = lib;
    while let Some(at) = rest.find("\npub use ") {
        let item = &rest[at + "\npub use ".len()..];
        let end = item.find(';').unwrap_or(item.len());
        let (module, list) = item[..end].split_once("::").unwrap_or_default();
        for name in list.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = name.trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.trim().to_owned());
            }
        }
        rest = &item[end..];
    }
    names
}

/// Module → the other modules its code (tests left out) names through `crate::` paths.
fn module_dependencies(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    source_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| !is_test_file(f)) {
        let Some(module) = module_of(src, file) else {
            continue;
        };
        let imports = edges.entry(module.clone()).or_default();
        let text = std::fs::read_to_string(file).unwrap();
        for (_, line) in code_lines(&text) {
            for name in crate_paths(line) {
                let used = reexports.get(&name).cloned().unwrap_or(name);
                if used != module && modules.contains(&used) {
                    imports.insert(used);
                }
            }
        }
    }
    edges
}

/// Pairs of modules that import each other, directly.
fn mutual_imports(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (module, uses) in edges {
        for used in uses {
            if module < used && edges.get(used).is_some_and(|back| back.contains(module)) {
                pairs.push((module.clone(), used.clone()));
            }
        }
    }
    pairs
}

/// Prints the module dependency table (see it with `cargo test -p prom-kit --test
/// layering -- --nocapture module_dependency_table`) and fails on two modules that
/// import each other. The table reads only `src/`, so the same file run in an older
/// checkout prints that checkout's table.
#[test]
fn module_dependency_table() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = module_dependencies(&src);
    println!("| module | imports from |\n|---|---|");
    for (module, uses) in &edges {
        let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
        println!("| {module} | {} |", uses.join(", "));
    }
    let mutual = mutual_imports(&edges);
    assert!(
        mutual.is_empty(),
        "modules importing each other: {mutual:?}"
    );
}

#[test]
fn the_guard_sees_a_violation() {
    // The reader itself: a `use` of a higher layer is found, comments and tests are not.
    let text = "use crate::{error::Error, registry::Registry};\n// crate::server::x\n#[cfg(test)]\nmod tests {\n    use crate::server::Server;\n}\n";
    let used: Vec<String> = code_lines(text)
        .iter()
        .flat_map(|(_, l)| crate_paths(l))
        .collect();
    assert_eq!(used, ["error", "registry"]);

    let reexports = root_reexports(
        "//! doc\npub use error::{Error, Result};\npub use metrics::{\n    Counter,\n    Gauge,\n};\n",
    );
    assert_eq!(reexports["Result"], "error");
    assert_eq!(reexports["Gauge"], "metrics");
    let edges = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        (
            "b".to_owned(),
            BTreeSet::from(["a".to_owned(), "c".to_owned()]),
        ),
        ("c".to_owned(), BTreeSet::new()),
    ]);
    assert_eq!(mutual_imports(&edges), [("a".to_owned(), "b".to_owned())]);
}
