//! Which of a job's links only bolinho's rules make (`bolinho validate --portable`, and the
//! count in `run`'s portability note): the module side of what Bacalhau would do otherwise.
//!
//! bolinho resolves an import's module name (§5, `super`) to WASI, else the first declared
//! import module that answers to it (by Alias, path, file name, file name without `.wasm`, or
//! the Target of its input), else the name taken as a guest path. Bacalhau (v1.7+,
//! `pkg/executor/wasm/loader.go`) registers each `ImportModules` entry under the path the job
//! gives it and instantiates every one of them, and looks any other name up as a guest path,
//! for function imports only (a directory holding one `.wasm` file leads to that file). So a
//! link differs when the name bolinho matched does not lead, as a path, to the same module;
//! when only memories, tables or globals come from a module bolinho found by path; and when an
//! import module is imported by nobody.
//!
//! Owns: walking the modules as `resolve` would, from their imports alone (no compiling of
//! function bodies, no instantiating), and phrasing each difference. Must not read files: the
//! caller gives the modules' bytes, and `Files` answers for guest paths.

use std::collections::{HashSet, VecDeque};

use wasmparser::{Encoding, Parser, Payload, TypeRef};

use super::{ModuleName, declared_module};
use crate::net;
use crate::spec::quote;

/// What is known of a module's bytes.
pub enum Bytes {
    Read(Vec<u8>),
    /// Its source is remote (`s3`, `urlDownload`, `ipfs`): not downloaded for this.
    Remote,
    /// It could not be read; why.
    Unreadable(String),
}

/// A module of the job: the entry module or a declared import module.
pub struct Module {
    /// Its guest path.
    pub label: String,
    /// The names it answers to (`names_for`); none for the entry module.
    pub names: Vec<ModuleName>,
    pub bytes: Bytes,
}

/// What lies at a guest path, as far as is known without the network.
pub enum Lookup {
    /// A regular file, read.
    File(Vec<u8>),
    /// Nothing: no file, and no mount there.
    Missing,
    /// A directory: Bacalhau loads the single `.wasm` file in it (`Some`, its guest path);
    /// bolinho loads no directory by path.
    Dir(Option<String>),
    /// Below a remote source: not known here.
    Remote,
    /// Something else (an unreadable file, a device).
    Other,
}

/// Answers for the guest's filesystem.
pub trait Files {
    fn lookup(&self, guest_path: &str) -> Lookup;
}

/// The differences found, and what could not be checked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One line each, without the job file's name.
    pub notes: Vec<String>,
    /// Modules whose imports were not read, one line each: remote ones together, then each one
    /// that could not be read.
    pub unchecked: Vec<String>,
}

/// The modules met so far, and those whose imports are still to read.
struct Walk {
    /// Each declared module's bytes, taken when it is first met.
    declared: Vec<Option<Bytes>>,
    paths: HashSet<String>,
    queue: VecDeque<(String, Vec<u8>)>,
    remote: Vec<String>,
    unreadable: Vec<String>,
}

impl Walk {
    /// Queues a module met for the first time (a declared one by its index, else by its path).
    fn meet(&mut self, declared: Option<usize>, label: &str, bytes: Option<Bytes>) {
        let bytes = match declared {
            Some(i) => self.declared[i].take(),
            None => bytes.filter(|_| self.paths.insert(label.to_string())),
        };
        match bytes {
            None => {}
            Some(Bytes::Read(bytes)) => self.queue.push_back((label.to_string(), bytes)),
            Some(Bytes::Remote) => self.remote.push(label.to_string()),
            Some(Bytes::Unreadable(why)) => self
                .unreadable
                .push(format!("the imports of {label} were not checked: {why}")),
        }
    }
}

/// Walks the modules from `entry` as `resolve` links them and reports each link Bacalhau
/// would make otherwise.
pub fn check(entry: Module, declared: Vec<Module>, files: &dyn Files) -> Report {
    let (declared, bytes): (Vec<_>, Vec<_>) = declared
        .into_iter()
        .map(|m| ((m.label, m.names), Some(m.bytes)))
        .unzip();
    let mut walk = Walk {
        declared: bytes,
        paths: HashSet::new(),
        queue: VecDeque::new(),
        remote: Vec::new(),
        unreadable: Vec::new(),
    };
    let mut notes = Vec::new();
    // Names bolinho found by guest path that a module imports only non-functions from, and
    // the names some module imports a function from.
    let mut data_only: Vec<(String, String)> = Vec::new();
    let mut functions_from: HashSet<String> = HashSet::new();
    walk.meet(None, &entry.label, Some(entry.bytes));
    loop {
        let Some((importer, bytes)) = walk.queue.pop_front() else {
            // A module not read may import the declared modules not met yet: read them too,
            // so that what can be checked is. A complete walk has met all it links.
            let complete = walk.remote.is_empty() && walk.unreadable.is_empty();
            let unmet: Vec<usize> = (0..declared.len())
                .filter(|&i| walk.declared[i].is_some())
                .collect();
            if complete || unmet.is_empty() {
                break;
            }
            for i in unmet {
                walk.meet(Some(i), &declared[i].0, None);
            }
            continue;
        };
        let imports = match imports(&bytes) {
            Ok(imports) => imports,
            Err(why) => {
                walk.unreadable.push(format!(
                    "the imports of {importer} were not checked: it is not a module ({why})"
                ));
                continue;
            }
        };
        for (name, functions) in imports {
            if name == wasi_shim::MODULE || name == net::MODULE {
                // WASI is the same in both; the network is `Network`'s note.
                continue;
            }
            if functions {
                functions_from.insert(name.clone());
            }
            let path = guest_path(&name);
            let names = declared.iter().map(|(_, names)| names.as_slice());
            if let Some((i, rule)) = declared_module(&name, names) {
                let label = &declared[i].0;
                let lookup = (path != *label).then(|| files.lookup(&path));
                match lookup {
                    None => {}
                    Some(Lookup::Dir(Some(single))) if single == *label => {}
                    Some(lookup) => {
                        let rule = rule.describe();
                        notes.push(other_module(&importer, &name, label, rule, &path, &lookup));
                    }
                }
                walk.meet(Some(i), label, None);
                continue;
            }
            if !functions {
                data_only.push((importer.clone(), name.clone()));
            }
            let bytes = match files.lookup(&path) {
                Lookup::File(bytes) => Bytes::Read(bytes),
                Lookup::Remote => Bytes::Remote,
                // bolinho fails to link it, and says so when it runs.
                Lookup::Missing | Lookup::Dir(_) | Lookup::Other => continue,
            };
            walk.meet(None, &path, Some(bytes));
        }
    }
    for (importer, name) in data_only {
        if !functions_from.contains(&name) {
            notes.push(format!(
                "{importer} imports only memories, tables or globals from {}, which bolinho \
                 loads from the guest path {}; Bacalhau loads a module by path for function \
                 imports only, and fails (list {} in ImportModules)",
                quote(&name),
                quote(&guest_path(&name)),
                quote(&name),
            ));
        }
    }
    // Only a complete walk knows that nobody imports a module; it met them all otherwise.
    if walk.remote.is_empty() && walk.unreadable.is_empty() {
        for ((label, _), _) in declared
            .iter()
            .zip(&walk.declared)
            .filter(|(_, b)| b.is_some())
        {
            notes.push(format!(
                "no module imports from {label}: bolinho leaves it out; Bacalhau instantiates \
                 every import module (running its start function, and failing if it does not \
                 link)"
            ));
        }
    }
    let mut unchecked = Vec::new();
    if !walk.remote.is_empty() {
        let (s, were) = match walk.remote.len() {
            1 => ("", "was"),
            _ => ("s", "were"),
        };
        unchecked.push(format!(
            "the imports of {} {were} not checked: remote source{s} (bolinho reads only local \
             and inline modules for this)",
            list(&walk.remote)
        ));
    }
    unchecked.append(&mut walk.unreadable);
    Report { notes, unchecked }
}

/// The note for a name bolinho links to a declared module that Bacalhau, looking the name up
/// as the path `path`, would not find there.
fn other_module(
    importer: &str,
    name: &str,
    label: &str,
    rule: &str,
    path: &str,
    lookup: &Lookup,
) -> String {
    let (name, shown_path) = (quote(name), quote(path));
    let (found, fix) = match lookup {
        Lookup::Missing => (
            ", finds no file there and fails",
            format!("import from `{label}`, or mount the module at {shown_path} too"),
        ),
        _ => (" instead", format!("import from `{label}`")),
    };
    format!(
        "{importer} imports from {name}, which bolinho links to {label} by {rule}; Bacalhau \
         looks {name} up as the guest path {shown_path}{found} ({fix})"
    )
}

/// The module names a module imports from, each once in the order first named, and whether
/// any import from it is a function. Only the sections up to the imports are read: a module's
/// import section comes before its functions, so a module of megabytes costs microseconds.
/// WAT text is read as `resolve` reads it.
fn imports(bytes: &[u8]) -> Result<Vec<(String, bool)>, String> {
    let wasm = super::text::to_binary(bytes)?;
    let mut names: Vec<(String, bool)> = Vec::new();
    for payload in Parser::new(0).parse_all(&wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => return Err("a component, which wasmi does not run".to_string()),
            Payload::Version { .. } | Payload::TypeSection(_) | Payload::CustomSection(_) => {}
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(|e| e.to_string())?;
                    let function = matches!(import.ty, TypeRef::Func(_));
                    match names.iter_mut().find(|(n, _)| n == import.module) {
                        Some((_, any)) => *any |= function,
                        None => names.push((import.module.to_string(), function)),
                    }
                }
                break;
            }
            _ => break,
        }
    }
    Ok(names)
}

/// An import's module name taken as a guest path, as Bacalhau's `fs.FS` takes it: leading
/// slashes dropped, `.` segments and repeated slashes removed, `..` climbing no higher than `/`.
fn guest_path(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{Naming, names_for};
    use super::*;

    /// A guest filesystem of files by path; anything below `/remote` is remote.
    struct Guest(HashMap<&'static str, &'static str>);

    impl Files for Guest {
        fn lookup(&self, path: &str) -> Lookup {
            if path.starts_with("/remote/") {
                return Lookup::Remote;
            }
            match self.0.get(path) {
                Some(text) => Lookup::File(text.as_bytes().to_vec()),
                None => Lookup::Missing,
            }
        }
    }

    fn module(label: &str, alias: Option<&str>, bytes: Bytes) -> Module {
        let names = names_for(&Naming {
            alias,
            path: label,
            file_name: label.rsplit('/').next(),
            target: None,
        });
        Module {
            label: label.into(),
            names,
            bytes,
        }
    }

    fn wat(text: &str) -> Bytes {
        Bytes::Read(text.as_bytes().to_vec())
    }

    fn entry(imports: &str) -> Module {
        Module {
            label: "/app/main.wasm".into(),
            names: vec![],
            bytes: wat(&format!("(module {imports})")),
        }
    }

    const LIB: &str = "(module (func (export \"f\")))";

    fn check_with(entry: Module, declared: Vec<Module>) -> Report {
        check(entry, declared, &Guest(HashMap::from([("/lib.wasm", LIB)])))
    }

    #[test]
    fn a_name_that_is_the_modules_path_links_the_same_in_both() {
        for name in ["/app/lib.wasm", "app/lib.wasm"] {
            let report = check_with(
                entry(&format!("(import \"{name}\" \"f\" (func))")),
                vec![module("/app/lib.wasm", None, wat(LIB))],
            );
            assert_eq!(report, Report::default(), "{name}");
        }
    }

    #[test]
    fn each_bolinho_only_rule_is_named_with_what_bacalhau_looks_up() {
        let cases = [
            ("lib", Some("lib"), "its Alias"),
            ("lib.wasm", None, "its file name"),
            ("lib", None, "its file name without .wasm"),
        ];
        for (name, alias, rule) in cases {
            let report = check_with(
                entry(&format!("(import \"{name}\" \"f\" (func))")),
                vec![module("/app/lib.wasm", alias, wat(LIB))],
            );
            let found = if name == "lib.wasm" {
                // The guest has a file at /lib.wasm: Bacalhau links that one.
                " instead (import from `/app/lib.wasm`)".to_string()
            } else {
                format!(
                    ", finds no file there and fails (import from `/app/lib.wasm`, or mount \
                     the module at `/{name}` too)"
                )
            };
            assert_eq!(
                report.notes,
                [format!(
                    "/app/main.wasm imports from `{name}`, which bolinho links to \
                     /app/lib.wasm by {rule}; Bacalhau looks `{name}` up as the guest path \
                     `/{name}`{found}"
                )]
            );
            assert!(report.unchecked.is_empty());
        }
    }

    #[test]
    fn a_name_of_a_directory_holding_only_the_module_links_the_same_in_both() {
        struct Dirs;
        impl Files for Dirs {
            fn lookup(&self, path: &str) -> Lookup {
                match path {
                    "/app" => Lookup::Dir(Some("/app/lib.wasm".into())),
                    "/many" => Lookup::Dir(None),
                    _ => Lookup::Missing,
                }
            }
        }
        let lib = |target: &str| Module {
            label: "/app/lib.wasm".into(),
            names: names_for(&Naming {
                alias: None,
                path: "/app/lib.wasm",
                file_name: None,
                target: Some(target),
            }),
            bytes: wat(LIB),
        };
        let report = check(
            entry("(import \"app\" \"f\" (func))"),
            vec![lib("/app")],
            &Dirs,
        );
        assert_eq!(report, Report::default());
        let report = check(
            entry("(import \"many\" \"f\" (func))"),
            vec![lib("/many")],
            &Dirs,
        );
        assert_eq!(
            report.notes,
            [
                "/app/main.wasm imports from `many`, which bolinho links to /app/lib.wasm by the \
              Target of its input; Bacalhau looks `many` up as the guest path `/many` instead \
              (import from `/app/lib.wasm`)"
            ]
        );
    }

    #[test]
    fn modules_found_by_path_are_walked_too() {
        // /lib.wasm, found by path, imports `helper` by a name only bolinho resolves.
        let files = Guest(HashMap::from([(
            "/lib.wasm",
            "(module (import \"helper\" \"g\" (func)) (func (export \"f\")))",
        )]));
        let helper = module(
            "/app/helper.wasm",
            None,
            wat("(module (func (export \"g\")))"),
        );
        let report = check(
            entry("(import \"lib.wasm\" \"f\" (func))"),
            vec![helper],
            &files,
        );
        assert_eq!(report.notes.len(), 1, "{report:?}");
        assert!(report.notes[0].starts_with("/lib.wasm imports from `helper`, "));
    }

    #[test]
    fn data_imports_from_a_module_found_by_path_are_noted() {
        let files = Guest(HashMap::from([(
            "/mem.wasm",
            "(module (memory (export \"memory\") 1))",
        )]));
        let report = check(
            entry("(import \"mem.wasm\" \"memory\" (memory 1))"),
            vec![],
            &files,
        );
        assert_eq!(
            report.notes,
            [
                "/app/main.wasm imports only memories, tables or globals from `mem.wasm`, which \
              bolinho loads from the guest path `/mem.wasm`; Bacalhau loads a module by path \
              for function imports only, and fails (list `mem.wasm` in ImportModules)"
            ]
        );
        // A function import from the same module makes Bacalhau load it.
        let report = check(
            entry("(import \"mem.wasm\" \"memory\" (memory 1)) (import \"mem.wasm\" \"f\" (func))"),
            vec![],
            &files,
        );
        assert!(report.notes.is_empty(), "{report:?}");
    }

    #[test]
    fn an_import_module_nobody_imports_is_noted_once_the_walk_is_complete() {
        let unused = || module("/app/lib.wasm", None, wat(LIB));
        let report = check_with(entry(""), vec![unused()]);
        assert_eq!(
            report.notes,
            [
                "no module imports from /app/lib.wasm: bolinho leaves it out; Bacalhau \
              instantiates every import module (running its start function, and failing if it \
              does not link)"
            ]
        );
        let report = check_with(
            entry("(import \"/remote/x.wasm\" \"f\" (func))"),
            vec![unused()],
        );
        assert!(report.notes.is_empty(), "{report:?}");
    }

    #[test]
    fn declared_modules_are_read_even_when_what_imports_them_cannot_be() {
        let remote_entry = Module {
            label: "/app/main.wasm".into(),
            names: vec![],
            bytes: Bytes::Remote,
        };
        let lib = "(module (import \"helper\" \"g\" (func)) (func (export \"f\")))";
        let report = check_with(
            remote_entry,
            vec![
                module("/app/lib.wasm", None, wat(lib)),
                module("/app/helper.wasm", None, wat(LIB)),
                module("/app/other.wasm", None, Bytes::Remote),
            ],
        );
        assert_eq!(report.notes.len(), 1, "{report:?}");
        assert!(report.notes[0].starts_with("/app/lib.wasm imports from `helper`, "));
        assert_eq!(
            report.unchecked,
            [
                "the imports of /app/main.wasm and /app/other.wasm were not checked: remote \
              sources (bolinho reads only local and inline modules for this)"
            ]
        );
    }

    #[test]
    fn remote_modules_are_said_once_and_unreadable_ones_each() {
        let report = check_with(
            entry(
                "(import \"/app/a.wasm\" \"f\" (func)) (import \"/app/b.wasm\" \"f\" (func)) \
                 (import \"/app/c.wasm\" \"f\" (func))",
            ),
            vec![
                module("/app/a.wasm", None, Bytes::Remote),
                module("/app/b.wasm", None, Bytes::Remote),
                module(
                    "/app/c.wasm",
                    None,
                    Bytes::Unreadable("no such file".into()),
                ),
            ],
        );
        assert_eq!(report.notes, Vec::<String>::new());
        assert_eq!(
            report.unchecked,
            [
                "the imports of /app/a.wasm and /app/b.wasm were not checked: remote sources \
                 (bolinho reads only local and inline modules for this)",
                "the imports of /app/c.wasm were not checked: no such file",
            ]
        );
    }

    #[test]
    fn imports_are_read_from_the_import_section_alone() {
        let wasm = wat::parse_str(
            "(module (import \"env\" \"m\" (memory 1)) (import \"lib\" \"f\" (func)) \
             (import \"env\" \"g\" (func)) (func (export \"h\")))",
        )
        .unwrap();
        let expected = vec![("env".to_string(), true), ("lib".to_string(), true)];
        assert_eq!(imports(&wasm), Ok(expected.clone()));
        // What follows the imports is never read: a code section cut short changes nothing.
        assert_eq!(imports(&wasm[..wasm.len() - 2]), Ok(expected));
        assert_eq!(
            imports(b"\0asm\x01\0\0\0\x02\x05\x01"),
            Err("unexpected end-of-file (at offset 0xa)".to_string())
        );
        let garbage = imports(b"not a module").unwrap_err();
        assert!(
            garbage.starts_with("magic header not detected"),
            "{garbage}"
        );
    }

    #[test]
    fn names_become_guest_paths_as_bacalhau_reads_them() {
        assert_eq!(guest_path("textlib"), "/textlib");
        assert_eq!(guest_path("//app/./x.wasm"), "/app/x.wasm");
        assert_eq!(guest_path("../x"), "/x");
        assert_eq!(guest_path(""), "/");
    }
}
