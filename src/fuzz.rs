//! Entry points for the fuzz targets in `fuzz/` (docs/FUZZING.md): one function per parser of
//! untrusted bytes, each feeding it one input and checking what must hold of the answer. A
//! failed check panics, which the fuzzer reports as a crash.
//!
//! Compiled only under `--cfg fuzzing`, which `cargo fuzz` sets (`lib.rs`): the crate's API is
//! unchanged in any other build.

pub use targets::*;

mod targets {
    use std::fs;
    use std::path::{Component, Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::link::start_section as start;
    use crate::receipt::Recorded;
    use crate::spec::{ParseOptions, Plan, parse_job};

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use crate::fetch::tarball;
    use crate::remote::s3::xml as s3_xml;
    use crate::spec::{cid as cid_parser, data_url as data_url_parser};

    /// A job document, YAML or JSON. A plan it yields survives the trip through a receipt's
    /// JSON unchanged, since `verify` reads plans back from receipts.
    pub fn job_document(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let job = Path::new("/fuzz/job.yaml");
        for strict in [false, true] {
            let Ok(parsed) = parse_job(
                text,
                job,
                &ParseOptions {
                    strict,
                    ..Default::default()
                },
            ) else {
                continue;
            };
            let json = serde_json::to_string(&parsed.plan).expect("a plan serialises");
            let back: Plan = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("a plan's JSON does not read back: {e}\n{json}"));
            assert_eq!(back, parsed.plan, "a plan changed through JSON: {json}");
        }
    }

    /// A receipt (`verify` reads one it is handed).
    pub fn receipt(data: &[u8]) {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = Recorded::parse(text);
        }
    }

    /// An RFC 2397 `data:` URL. Whatever it decodes to, encoding that again (base64, or one
    /// percent-escape per byte) and decoding gives the same bytes.
    pub fn data_url(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let Ok(url) = data_url_parser::parse(text) else {
            return;
        };
        assert!(
            !url.media_type.bytes().any(|b| b.is_ascii_uppercase()),
            "media type not lower-cased: {:?}",
            url.media_type
        );
        let again = data_url_parser::parse(&format!(
            "data:;base64,{}",
            data_url_parser::encode_base64(&url.data)
        ))
        .expect("standard base64 decodes");
        assert_eq!(again.data, url.data, "base64 does not round-trip");
        let escaped: String = url.data.iter().map(|b| format!("%{b:02X}")).collect();
        let again = data_url_parser::decode_percent(escaped.as_bytes()).expect("escapes decode");
        assert_eq!(again, url.data, "percent-escapes do not round-trip");
    }

    /// A tar archive (plain, as IPFS gateways send; or gzipped, as inline sources hold, when it
    /// starts with gzip's magic), expanded into a fresh directory. Whether or not it is
    /// refused, nothing appears beside that directory, no symlink in it leads out of it, and
    /// the whole can be removed. Header checksums are recomputed first, so that mutated headers
    /// reach the parser instead of failing their checksum.
    pub fn tar(data: &[u8]) {
        let scratch = Scratch::new("tar");
        let gzipped = data.starts_with(&[0x1f, 0x8b]);
        let data = if gzipped {
            data.to_vec()
        } else {
            fix_checksums(data)
        };
        let dest = scratch.path.join("out");
        let result = if gzipped {
            tarball::expand(&data, &dest, tarball::MAX_EXPANDED)
        } else {
            tarball::expand_tar(&data[..], &dest, tarball::MAX_EXPANDED)
        };
        let beside: Vec<_> = fs::read_dir(&scratch.path)
            .expect("read the scratch directory")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(
            beside,
            ["out"],
            "written beside the destination ({result:?})"
        );
        let root = fs::canonicalize(&dest).expect("the destination resolves");
        assert_inside(&root, &root);
        scratch.remove();
    }

    /// Every symlink below `dir` resolves inside `root` (lexically when it dangles).
    fn assert_inside(root: &Path, dir: &Path) {
        for entry in fs::read_dir(dir).expect("read an expanded directory") {
            let path = entry.expect("an entry").path();
            let meta = fs::symlink_metadata(&path).expect("stat an expanded entry");
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).expect("read a link");
                let resolved = match fs::canonicalize(&path) {
                    Ok(real) => real,
                    Err(_) => normalise(&dir.join(&target)),
                };
                assert!(
                    resolved.starts_with(root),
                    "{} -> {} leads out of the destination",
                    path.display(),
                    target.display()
                );
            } else if meta.is_dir() {
                assert_inside(root, &path);
            }
        }
    }

    /// `path` with `.` and `..` applied lexically.
    fn normalise(path: &Path) -> PathBuf {
        let mut out = PathBuf::new();
        for part in path.components() {
            match part {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    }

    /// `tar` with the checksum of each header it walks through set right: a header, then its
    /// data rounded up to 512-byte blocks, and so on.
    fn fix_checksums(tar: &[u8]) -> Vec<u8> {
        let mut out = tar.to_vec();
        let mut at = 0usize;
        while let Some(end) = at.checked_add(512) {
            let Some(block) = out.get_mut(at..end) else {
                break;
            };
            let mut header = ::tar::Header::new_old();
            header.as_mut_bytes().copy_from_slice(block);
            header.set_cksum();
            block.copy_from_slice(header.as_bytes());
            let size = header.entry_size().unwrap_or(0);
            let blocks = usize::try_from(size.div_ceil(512)).unwrap_or(usize::MAX);
            match blocks
                .checked_mul(512)
                .and_then(|data| data.checked_add(end))
            {
                Some(next) => at = next,
                None => break,
            }
        }
        out
    }

    /// A job file as a Go template (`bacalhau job run` renders every file): whatever it holds,
    /// rendering ends, in bounded output or an error that points inside the file, and every
    /// rendered line maps back to one of the file's lines.
    pub fn template(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let vars = crate::spec::template::Vars::from([
            ("count".to_string(), "3".to_string()),
            ("dir".to_string(), "/app".to_string()),
        ]);
        let file_lines = text.matches('\n').count() as u32 + 1;
        match crate::spec::template::render(text, &vars) {
            Ok(rendered) => {
                assert!(rendered.text.len() <= crate::spec::MAX_DOCUMENT_BYTES);
                if !rendered.lines.is_empty() {
                    assert!(
                        rendered
                            .lines
                            .iter()
                            .all(|&l| (1..=file_lines).contains(&l))
                    );
                }
                assert!(rendered.used.keys().all(|k| vars.contains_key(k)));
            }
            Err(e) => assert!((1..=file_lines).contains(&e.line), "{e}"),
        }
    }

    /// A tape (`wasi_shim::Tape`): untrusted, it comes with a receipt someone handed over. One
    /// that parses yields exactly the events it counts, and replaying it answers any call
    /// without panicking, a divergence at worst.
    pub fn tape(data: &[u8]) {
        let Ok(tape) = wasi_shim::Tape::parse(data.to_vec()) else {
            return;
        };
        assert_eq!(tape.events().count() as u64, tape.calls());
        assert_eq!(tape.as_bytes(), data);
        let interrupt = std::sync::Arc::new(wasi_shim::Interrupt::new());
        let Ok(replay) = wasi_shim::Replay::new(tape, interrupt) else {
            return;
        };
        let mut random = wasi_shim::ReplayRandom::new(&replay);
        let clock = wasi_shim::ReplayClock::new(&replay);
        for i in 0..data.len().min(64) {
            use wasi_shim::{Clock, RandomSource};
            match data[i] % 3 {
                0 => random.fill(&mut [0u8; 16]),
                1 => drop(clock.now(wasi_shim::ClockId::Realtime)),
                _ => drop(replay.host_call("wasi:http/requests", &data[..i])),
            }
        }
        let _ = replay.finish();
    }

    /// A bundle (`verify FILE` reads one someone handed over), read and, if it is one, its
    /// inputs and modules rebuilt: whatever it holds, nothing appears beside the directory
    /// they are made in, and the whole can be removed. Input not starting with gzip's magic
    /// is taken for the tar inside, its header checksums recomputed, and compressed, so that
    /// mutations reach the archive rather than the compressed stream's checksum.
    pub fn bundle(data: &[u8]) {
        use std::io::Write;
        let scratch = Scratch::new("bundle");
        let data = if data.starts_with(&[0x1f, 0x8b]) {
            data.to_vec()
        } else {
            let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
            gz.write_all(&fix_checksums(data))
                .expect("compress in memory");
            gz.finish().expect("compress in memory")
        };
        let file = scratch.path.join("in.bundle");
        fs::write(&file, data).expect("write the bundle");
        let work = scratch.path.join("work");
        fs::create_dir(&work).expect("create the work directory");
        if let Ok(opened) = crate::bundle::open(&file, &work) {
            let _ = crate::bundle::rebuild(&opened, &work);
        }
        let mut beside: Vec<_> = fs::read_dir(&scratch.path)
            .expect("read the scratch directory")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        beside.sort();
        assert_eq!(
            beside,
            ["in.bundle", "work"],
            "written beside the work directory"
        );
        scratch.remove();
    }

    /// `bacalhau wasm run`'s flags, as a command line gives them (one per line: the entry
    /// module, then `-i`, `-I`, `-e`, `-o`, `-p` values by their first character). A job they
    /// build is one `spec` reads, with every error told against a flag or the job.
    pub fn wasm_run_flags(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let mut lines = text.lines();
        let entry = lines.next().unwrap_or_default();
        let (mut inputs, mut imports, mut env, mut outputs, mut publisher) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), None);
        for line in lines {
            let mut chars = line.chars();
            let flag = chars.next();
            let value = chars.as_str();
            match flag {
                Some('i') => inputs.push(value.to_string()),
                Some('I') => imports.push(value.to_string()),
                Some('e') => env.push(value.to_string()),
                Some('o') => outputs.push(value.to_string()),
                _ => publisher = Some(value),
            }
        }
        let flags = crate::spec::WasmRunFlags {
            entry,
            inputs: &inputs,
            import_modules: &imports,
            env: &env,
            outputs: &outputs,
            publisher,
            ..Default::default()
        };
        let probe = |path: &str| match path {
            "main.wasm" => crate::spec::LocalPath::File,
            _ => crate::spec::LocalPath::Missing,
        };
        if let Ok(run) = crate::spec::WasmRun::build(&flags, probe) {
            let options = ParseOptions {
                strict: true,
                ..ParseOptions::default()
            };
            if let Err(e) = parse_job(&run.json(), Path::new(crate::spec::STDIN), &options) {
                assert!(!run.flag_error(&e).is_empty());
            }
        }
    }

    /// A CID from a job. One that parses is letters and digits only: it goes into a gateway
    /// URL and names a directory.
    pub fn cid(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let Ok(cid) = cid_parser::parse(text) else {
            return;
        };
        assert!(
            text.bytes().all(|b| b.is_ascii_alphanumeric()),
            "accepted a CID that is not alphanumeric: {text:?}"
        );
        if cid.version == 0 {
            assert_eq!(cid.digest.len(), 32, "{text}");
        }
        let _ = cid.raw_sha256();
    }

    /// An S3 ListObjectsV2 response, read by rusty-s3 as `s3::Client::list_page` does.
    pub fn s3_listing(data: &[u8]) {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = rusty_s3::actions::ListObjectsV2::parse_response(text);
        }
    }

    /// An S3 error body. A code found is non-empty and trimmed; text without `&` unescapes to
    /// itself.
    pub fn s3_error_body(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Some((code, message)) = s3_xml::error(text) {
            assert!(!code.is_empty() && code.trim() == code, "code {code:?}");
            assert_eq!(message.trim(), message);
        }
        let _ = s3_xml::leaf(text, "Region");
        let unescaped = s3_xml::unescape(text);
        if !text.contains('&') {
            assert_eq!(unescaped, text);
        }
    }

    /// A module, through the validation that lets wasmi build it unchecked
    /// (crate `bolinho-validate`): it must accept exactly what wasmi's own validation accepts, report
    /// the same fault, and every module it accepts must build.
    pub fn validate(wasm: &[u8]) {
        let engine = crate::engine::new();
        let ours_from = |parallel_from| {
            bolinho_validate::validate_from(wasm, parallel_from)
                .map_err(|e| wasmi::Error::from(e).to_string())
        };
        let wasmi = wasmi::Module::validate(&engine, wasm).map_err(|e| e.to_string());
        let ours = ours_from(usize::MAX);
        assert_eq!(ours, wasmi, "bolinho's validation and wasmi's disagree");
        // The same verdict with every body on threads, as a large module's are.
        assert_eq!(
            ours_from(0),
            ours,
            "validating on threads changes the verdict"
        );
        if ours.is_ok() {
            // SAFETY: validated above with the features of `engine::new()`, wasmi agreeing.
            if let Err(e) = unsafe { wasmi::Module::new_unchecked(&engine, wasm) } {
                panic!("a valid module failed to build: {e}");
            }
        }
    }

    /// A module, through the start-section rewrite. A module wasmi refuses is left alone, so
    /// that wasmi reports its fault on the bytes as given. A valid one is rewritten exactly when
    /// it has a start section (and does not already export [`start::EXPORT`]), into a valid
    /// module with the same exports plus [`start::EXPORT`], a `() -> ()` function, and nothing
    /// left to rewrite. `has_start` says whether the module has a start section (the fuzz target
    /// asks wasmparser).
    pub fn start_section(wasm: &[u8], has_start: bool) {
        let engine = crate::engine::new();
        let rewritten = start::defer(wasm);
        let module = match wasmi::Module::new(&engine, wasm) {
            Ok(module) => module,
            Err(e) => {
                assert!(rewritten.is_none(), "rewrote an invalid module ({e})");
                return;
            }
        };
        let taken = module.exports().any(|e| e.name() == start::EXPORT);
        let Some(new) = rewritten else {
            assert!(!has_start || taken, "a start section was not deferred");
            return;
        };
        assert!(has_start, "rewrote a module with no start section");
        let new_module = wasmi::Module::new(&engine, &new[..])
            .unwrap_or_else(|e| panic!("the rewrite made a valid module invalid: {e}"));
        let exports = |m: &wasmi::Module| {
            let mut all: Vec<_> = m
                .exports()
                .map(|e| (e.name().to_string(), format!("{:?}", e.ty())))
                .collect();
            all.sort();
            all
        };
        let mut got = exports(&new_module);
        let ours = got.iter().position(|(name, _)| name == start::EXPORT);
        got.remove(ours.expect("the rewrite exports the start function"));
        assert_eq!(
            got,
            exports(&module),
            "the rewrite changed the other exports"
        );
        match new_module.get_export(start::EXPORT) {
            Some(wasmi::ExternType::Func(ty)) => {
                assert!(ty.params().is_empty() && ty.results().is_empty(), "{ty:?}")
            }
            other => panic!("the start export is {other:?}"),
        }
        assert_eq!(
            start::defer(&new),
            None,
            "a rewritten module was rewritten again"
        );
    }

    /// A fresh directory for one input, under the temporary directory.
    struct Scratch {
        path: PathBuf,
    }

    impl Scratch {
        fn new(what: &str) -> Scratch {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("bolinho-fuzz-{what}-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir(&path).expect("create a scratch directory");
            Scratch { path }
        }

        /// Removes the directory, which must succeed: the runner removes expanded archives.
        fn remove(self) {
            fs::remove_dir_all(&self.path)
                .unwrap_or_else(|e| panic!("cannot remove {}: {e}", self.path.display()));
        }
    }
}
