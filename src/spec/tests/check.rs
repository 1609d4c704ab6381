//! `check_plan`: every plan the parser or the flags make passes, read back from JSON as a
//! receipt holds it; each field tampered with is refused with its own message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::spec::flags::{DomainFlag, ModuleFlags, module_plan};

/// A job that sets a little of everything a plan holds.
const RICH: &str = r#"Name: rich
Type: batch
Count: 2
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: /app/main.wasm
        ImportModules: [/lib]
        Parameters: [a]
    InputSources:
      - Target: /app
        Source: {Type: local, Params: {SourcePath: ./app}}
      - Target: /lib
        Alias: math
        Source: {Type: inline, Params: {URL: "data:,x"}}
      - Target: /web
        Source: {Type: urlDownload, Params: {URL: "https://example.org/x"}}
      - Target: /s3
        Source: {Type: s3, Params: {Bucket: b, Key: k/, Filter: '\.csv$', Region: eu}}
      - Target: /ipfs
        Source: {Type: ipfs, Params: {CID: bafkqaaa}}
    ResultPaths:
      - {Name: outputs, Path: /outputs}
    Env: {GREETING: hi, HOME_DIR: "env:HOME"}
    Publisher: {Type: s3, Params: {Bucket: out, Key: results/}}
    Network: {Type: HTTP, Domains: ["*.example.org"]}
    Resources: {Memory: 64MiB}
    Timeouts: {ExecutionTimeout: 30}
    Meta: {bolinho.fuel: "1000", bolinho.epoch: "2554-07-21T23:34:33.709551615Z", bolinho.seed: "7"}
"#;

const RECEIPT: &str = "out/receipt.json";

fn rich() -> Plan {
    ok(RICH).plan
}

/// The plan as `verify` gets it: written to JSON and read back.
fn through_json(plan: &Plan) -> Plan {
    serde_json::from_str(&serde_json::to_string(plan).unwrap()).unwrap()
}

fn check(plan: &Plan) -> Result<(), String> {
    check_plan(plan, Path::new(RECEIPT)).map_err(|e| e.to_string())
}

/// The error `tamper` makes `check_plan` report on `plan`.
fn refused(mut plan: Plan, tamper: impl FnOnce(&mut Plan)) -> String {
    tamper(&mut plan);
    check(&plan).expect_err("a tampered plan")
}

fn module() -> Plan {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (dirs, envs, imports, domains) = (
        strings(&["in::/data", "./out/", "x::."]),
        strings(&["A=1", "HOME", "B=c=d", "E="]),
        strings(&["math=lib/m.wasm"]),
        ["*.example.org", ".a.com:8080"].map(DomainFlag::allow_domain),
    );
    module_plan(&ModuleFlags {
        module: Path::new("dir/app.wasm"),
        dirs: &dirs,
        envs: &envs,
        imports: &imports,
        entrypoint: Some("run"),
        network: Some("http"),
        allow_domains: &domains,
        ..Default::default()
    })
    .unwrap()
}

fn guest(path: &str) -> ModuleLocation {
    ModuleLocation::Guest(path.into())
}

#[test]
fn every_job_in_testdata_makes_a_plan_that_passes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for dir in ["testdata/jobs", "examples"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .flat_map(|case| ["job.yaml", "job.json"].map(|n| case.join(n)))
            .filter(|file| file.exists())
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // Cases of invalid jobs fail before there is a plan to check.
            let Ok(parsed) = parse_job(&text, &file, &ParseOptions::default()) else {
                continue;
            };
            let plan = through_json(&parsed.plan);
            assert_eq!(check(&plan), Ok(()), "{}", file.display());
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} jobs were checked");
}

#[test]
fn plans_of_every_shape_pass() {
    for plan in [rich(), ok(HELLO).plan, module()] {
        assert_eq!(check(&through_json(&plan)), Ok(()), "{plan:#?}");
    }
    let legacy = "Engine:\n  Type: wasm\n  Params:\n    EntryModule:\n      Source: {Type: local, Params: {Path: m.wasm}}\n    ImportModules:\n      - Alias: lib\n        Source: {Type: local, Params: {Path: l.wasm}}\n    EnvironmentVariables: {A: \"env:not-a-name\"}\n";
    assert_eq!(check(&through_json(&ok(legacy).plan)), Ok(()));
    let flat =
        "Type: wasm\nParams:\n  EntryModule:\n    Source: {Type: local, Params: {Path: m.wasm}}\n";
    assert_eq!(check(&through_json(&ok(flat).plan)), Ok(()));
    // The longest timeout a job can ask for reads back exactly.
    let longest = ok(
        "Engine: {Type: wasm, Params: {EntryModule: /m}}\nInputSources: [{Target: /m, Source: {Type: local, Params: {Path: m}}}]\nTimeouts: {ExecutionTimeout: 9223372036}\n",
    );
    let read_back = through_json(&longest.plan);
    assert_eq!(read_back, longest.plan);
    assert_eq!(check(&read_back), Ok(()));
    let mut plan = module();
    plan.limits.timeout = Some(Duration::from_nanos(1));
    plan.limits.memory_bytes = Some(1 << 32);
    assert_eq!(check(&through_json(&plan)), Ok(()));
}

#[test]
fn tampered_outputs_are_refused() {
    let plan = rich();
    let err = |tamper: fn(&mut Plan)| refused(plan.clone(), tamper);
    assert_eq!(
        err(|p| p.outputs[0].name = "../../../victim/.ssh".into()),
        "out/receipt.json: plan.outputs[0].name: invalid name `../../../victim/.ssh`: it must be a plain directory name"
    );
    assert_eq!(
        err(|p| p.outputs[0].name = "Receipt.JSON".into()),
        "out/receipt.json: plan.outputs[0].name: invalid name `Receipt.JSON`: stdout, stderr, exitCode, stdout.truncated, stderr.truncated, receipt.json and tape are the names of files bolinho writes beside the outputs"
    );
    assert_eq!(
        err(|p| p.outputs[0].name = ".ssh".into()),
        "out/receipt.json: plan.outputs[0].name: invalid name `.ssh`: names starting with `.` are bolinho's own (its staging directory)"
    );
    assert_eq!(
        err(|p| p.outputs.push(Output {
            name: "OUTPUTS".into(),
            path: "/o2".into()
        })),
        "out/receipt.json: plan.outputs[1].name: invalid name `OUTPUTS`: already used by plan.outputs[0]"
    );
    assert_eq!(
        err(|p| p.outputs[0].path = "/outputs/../../etc".into()),
        "out/receipt.json: plan.outputs[0].path: invalid path `/outputs/../../etc`: `..` is not allowed"
    );
    assert_eq!(
        err(|p| p.outputs[0].path = "outputs/".into()),
        "out/receipt.json: plan.outputs[0].path: `outputs/` is not as bolinho writes it (`/outputs`)"
    );
    assert_eq!(
        err(|p| p.outputs[0].path = "/app".into()),
        "out/receipt.json: plan.outputs[0].path: `/app` is already used by plan.inputs[0]"
    );
}

#[test]
fn tampered_inputs_are_refused() {
    let plan = rich();
    let err = |tamper: fn(&mut Plan)| refused(plan.clone(), tamper);
    assert_eq!(
        err(|p| p.inputs[1].target = "/app".into()),
        "out/receipt.json: plan.inputs[1].target: `/app` is already used by plan.inputs[0]"
    );
    assert_eq!(
        err(|p| p.inputs[0].target = "/".into()),
        "out/receipt.json: plan.inputs[0].target: invalid path `/`: it must name a directory below `/`"
    );
    assert_eq!(
        err(|p| p.inputs[0].target = "/app/./".into()),
        "out/receipt.json: plan.inputs[0].target: `/app/./` is not as bolinho writes it (`/app`)"
    );
    assert_eq!(
        err(|p| p.inputs[0].alias = Some("math".into())),
        "out/receipt.json: plan.inputs[1].alias: alias `math` is already used by plan.inputs[0]"
    );
    assert_eq!(
        err(|p| p.inputs[1].alias = Some(String::new())),
        "out/receipt.json: plan.inputs[1].alias: must not be empty (an absent value is left out)"
    );
    assert_eq!(
        err(|p| p.inputs[0].field = "\u{1b}[2J".into()),
        "out/receipt.json: plan.inputs[0].field: `\\u{1b}[2J` is not the field path of an InputSource"
    );
    assert_eq!(
        err(|p| p.inputs[0].source = Source::Local {
            path: "".into(),
            read_write: false,
            create_as: CreateAs::NoCreate
        }),
        "out/receipt.json: plan.inputs[0].source.path: required"
    );
    assert_eq!(
        err(|p| p.inputs[0].source = Source::Local {
            path: "./app".into(),
            read_write: false,
            create_as: CreateAs::NoCreate
        }),
        "out/receipt.json: plan.inputs[0].source.path: `./app` is not as bolinho writes it"
    );
    assert_eq!(
        err(|p| p.inputs[2].source = Source::Url {
            url: "file:///etc/passwd".into()
        }),
        "out/receipt.json: plan.inputs[2].source.url: expected an http:// or https:// URL"
    );
}

#[test]
fn tampered_s3_parameters_are_refused() {
    let s3 = |tamper: fn(&mut S3Source)| {
        refused(rich(), |p| {
            let Source::S3(s3) = &mut p.inputs[3].source else {
                unreachable!()
            };
            tamper(s3);
        })
    };
    assert_eq!(
        s3(|s| s.bucket.clear()),
        "out/receipt.json: plan.inputs[3].source.bucket: required"
    );
    for (tamper, key) in [
        (
            (|s| s.region = Some(String::new())) as fn(&mut S3Source),
            "region",
        ),
        (|s| s.endpoint = Some(String::new()), "endpoint"),
        (|s| s.version_id = Some(String::new()), "versionId"),
    ] {
        assert_eq!(
            s3(tamper),
            format!(
                "out/receipt.json: plan.inputs[3].source.{key}: must not be empty (an absent value is left out)"
            )
        );
    }
    assert_eq!(
        s3(|s| s.bucket = "..".into()),
        "out/receipt.json: plan.inputs[3].source.bucket: `..` cannot be a bucket name: a URL resolves it away"
    );
    assert_eq!(
        s3(|s| s.key = "../x/".into()),
        "out/receipt.json: plan.inputs[3].source.key: `../x/` has a `.` or `..` segment, which an S3 URL cannot address"
    );
    assert_eq!(
        s3(|s| s.region = Some("a/b".into())),
        "out/receipt.json: plan.inputs[3].source.region: `a/b` is not a region: use letters, digits and `-` (at most 63), not starting or ending with `-`, e.g. eu-west-1"
    );
    assert_eq!(
        s3(|s| s.endpoint = Some("file:///etc".into())),
        "out/receipt.json: plan.inputs[3].source.endpoint: `file:///etc` must be an http:// or https:// URL, e.g. http://127.0.0.1:9000"
    );
    // The rich job's S3 source is a prefix with a Filter.
    assert_eq!(
        s3(|s| s.key = "k".into()),
        "out/receipt.json: plan.inputs[3].source.filter: Filter applies to a prefix (a Key ending in `/` or `*`, or no Key); Key `k` names one object"
    );
    assert_eq!(
        s3(|s| s.version_id = Some("v".into())),
        "out/receipt.json: plan.inputs[3].source.versionId: VersionID applies to one object; Key `k/` is a prefix"
    );
}

#[test]
fn tampered_modules_are_refused() {
    let plan = rich();
    let err = |tamper: fn(&mut Plan)| refused(plan.clone(), tamper);
    assert_eq!(
        err(|p| p.entry_module = guest("/etc/passwd")),
        "out/receipt.json: plan.entryModule: no input source is mounted at `/etc/passwd` (targets: /app, /lib, /web, /s3, /ipfs)"
    );
    assert_eq!(
        err(|p| p.entry_module = guest("/app/../etc/passwd")),
        "out/receipt.json: plan.entryModule: invalid path `/app/../etc/passwd`: `..` is not allowed"
    );
    assert_eq!(
        err(|p| p.entry_module = ModuleLocation::Host("/tmp/evil.wasm".into())),
        "out/receipt.json: plan.entryModule: a job's modules are guest paths, not host files"
    );
    assert_eq!(
        err(|p| p.import_modules[0].location = guest("/app/main.wasm")),
        "out/receipt.json: plan.importModules[0].location: `/app/main.wasm` is already named by plan.entryModule"
    );
    assert_eq!(
        err(|p| p.import_modules[0].alias = Some("env".into())),
        "out/receipt.json: plan.importModules[0].alias: expected `math`, the Alias of the input at `/lib`"
    );
    assert_eq!(
        err(|p| p.entry_module = guest("/lib")),
        "out/receipt.json: plan.importModules[0].location: `/lib` is already named by plan.entryModule"
    );
    assert_eq!(
        err(|p| p.entrypoint.clear()),
        "out/receipt.json: plan.entrypoint: must not be empty (leave it out to call `_start`)"
    );
}

#[test]
fn tampered_environments_are_refused() {
    let plan = rich();
    let nul = "holds a NUL byte, which WASI cannot pass to the guest (its arguments and \
               variables are C strings)";
    assert_eq!(
        refused(plan.clone(), |p| p.args.push("a\0b".into())),
        format!("out/receipt.json: plan.args[1]: {nul}")
    );
    assert_eq!(
        refused(module(), |p| p.env[0].value =
            EnvValue::Literal("\0".into())),
        format!("out/receipt.json: plan.env[0].value: {nul}")
    );
    let position = |p: &Plan, name: &str| p.env.iter().position(|v| v.name == name).unwrap();
    let set = |name: &'static str, value: &'static str| {
        refused(plan.clone(), move |p| {
            let i = position(p, name);
            p.env[i].value = EnvValue::Literal(value.into());
        })
    };
    assert_eq!(
        set("BACALHAU_JOB_TYPE", "service"),
        "out/receipt.json: plan.env[0].value: expected `batch` or `ops`, found `service`"
    );
    assert_eq!(
        set("BACALHAU_PARTITION_COUNT", "0"),
        "out/receipt.json: plan.env[1].value: expected a count of at least 1, found `0`"
    );
    assert_eq!(
        set("BACALHAU_PARTITION_COUNT", "02"),
        "out/receipt.json: plan.env[1].value: expected a count of at least 1, found `02`"
    );
    // The plan's job has Count: 2, so partitions 0 and 1.
    assert!(
        check(&through_json(&{
            let mut p = plan.clone();
            let i = position(&p, "BACALHAU_PARTITION_INDEX");
            p.env[i].value = EnvValue::Literal("1".into());
            p
        }))
        .is_ok()
    );
    assert_eq!(
        set("BACALHAU_PARTITION_INDEX", "2"),
        "out/receipt.json: plan.env: BACALHAU_PARTITION_INDEX is 2, but \
         BACALHAU_PARTITION_COUNT is 2: partitions count from 0"
    );
    assert_eq!(
        set("BACALHAU_PARTITION_INDEX", "01"),
        "out/receipt.json: plan.env[2].value: expected a partition number, found `01`"
    );
    // The ids follow what the guest is given: a plan holding one is an older bolinho's.
    assert_eq!(
        refused(plan.clone(), |p| {
            p.env.insert(
                0,
                literal("BACALHAU_JOB_ID", "j-00000000-0000-8000-8000-000000000000"),
            );
        }),
        "out/receipt.json: plan.env[0].name: bolinho derives it from what the guest is given \
         when the job runs; a receipt holding it is from an older bolinho, whose ids came from \
         the job file: run the job again for a receipt this bolinho verifies"
    );
    assert_eq!(
        refused(plan.clone(), |p| {
            p.env[0].value = EnvValue::FromHost("HOME".into());
        }),
        "out/receipt.json: plan.env[0].value: bolinho sets this variable itself, to a value"
    );
    assert_eq!(
        refused(plan.clone(), |p| {
            p.env.remove(0);
        }),
        "out/receipt.json: plan.env: `BACALHAU_JOB_TYPE` is missing: bolinho sets it for every job"
    );
    assert_eq!(
        refused(plan.clone(), |p| {
            p.env.insert(0, literal("BACALHAU_AUTH", "x"));
        }),
        "out/receipt.json: plan.env[0].name: the `BACALHAU_` prefix is reserved for the variables bolinho sets"
    );
    assert_eq!(
        refused(plan.clone(), |p| {
            p.env.insert(0, literal("A-B", "x"));
        }),
        "out/receipt.json: plan.env[0].name: invalid name `A-B`: use letters, digits and `_`, not starting with a digit"
    );
    assert_eq!(
        refused(plan.clone(), |p| p.env.swap(0, 1)),
        "out/receipt.json: plan.env[1].name: the variables are not sorted by name"
    );
    assert_eq!(
        refused(plan.clone(), |p| {
            let last = p.env.last().unwrap().clone();
            p.env.push(last);
        }),
        "out/receipt.json: plan.env[5].name: `HOME_DIR` is set twice"
    );
}

#[test]
fn tampered_settings_are_refused() {
    let plan = rich();
    let err = |tamper: fn(&mut Plan)| refused(plan.clone(), tamper);
    assert_eq!(
        err(|p| p.name.clear()),
        "out/receipt.json: plan.name: required"
    );
    assert_eq!(
        err(|p| p.preopen_root = false),
        "out/receipt.json: plan.preopenRoot: a job's guest always has `/`: expected true"
    );
    assert_eq!(
        err(|p| p.publisher = Publisher::S3 {
            bucket: String::new(),
            key: "k".into(),
            region: None,
            endpoint: None
        }),
        "out/receipt.json: plan.publisher.bucket: required"
    );
    assert_eq!(
        err(|p| p.publisher = Publisher::S3 {
            bucket: "b".into(),
            key: "k".into(),
            region: None,
            endpoint: Some(String::new())
        }),
        "out/receipt.json: plan.publisher.endpoint: must not be empty (an absent value is left out)"
    );
    assert_eq!(
        err(|p| p.publisher = Publisher::S3 {
            bucket: "b".into(),
            key: "../other/".into(),
            region: None,
            endpoint: None
        }),
        "out/receipt.json: plan.publisher.key: `../other/` has a `.` or `..` segment, which an S3 URL cannot address"
    );
    assert_eq!(
        err(|p| p.limits.memory_bytes = Some(0)),
        "out/receipt.json: plan.limits.memoryBytes: 0 bytes is no limit, which a plan leaves out"
    );
    assert_eq!(
        err(|p| p.limits.memory_bytes = Some(u64::MAX)),
        "out/receipt.json: plan.limits.memoryBytes: 18446744073709551615 bytes, more than a 32-bit memory can hold (4 GiB, 65536 pages)"
    );
    assert_eq!(
        err(|p| p.limits.timeout = Some(Duration::ZERO)),
        "out/receipt.json: plan.limits.timeoutSeconds: 0 seconds is no timeout, which a plan leaves out"
    );
    assert_eq!(
        err(|p| p.limits.timeout = Some(Duration::MAX)),
        "out/receipt.json: plan.limits.timeoutSeconds: more than 9223372036 seconds (about 292 years), the longest timeout"
    );
    let json = serde_json::to_string(&plan).unwrap();
    let huge = json.replace("\"timeoutSeconds\":30.0", "\"timeoutSeconds\":1e300");
    assert_ne!(huge, json);
    assert_eq!(
        check(&serde_json::from_str(&huge).unwrap()).unwrap_err(),
        "out/receipt.json: plan.limits.timeoutSeconds: more than 9223372036 seconds (about 292 years), the longest timeout"
    );
    assert_eq!(
        err(|p| p.origin = Origin::Module),
        "out/receipt.json: plan.inputs[0].field: `Tasks[0].InputSources[0]` is not a `--dir` flag"
    );
}

#[test]
fn tampered_module_runs_are_refused() {
    let plan = module();
    let err = |tamper: fn(&mut Plan)| refused(plan.clone(), tamper);
    assert_eq!(
        err(|p| p.inputs[0].target = "/home".into()),
        "out/receipt.json: plan.inputs[0]: not the mount `--dir in::/data` makes"
    );
    assert_eq!(
        err(|p| p.inputs[0].source = Source::Url {
            url: "https://x".into()
        }),
        "out/receipt.json: plan.inputs[0]: not the mount `--dir in::/data` makes"
    );
    assert_eq!(
        err(|p| p.inputs[0].field = "--dir x::../..".into()),
        "out/receipt.json: plan.inputs[0].field: --dir x::../..: the guest path ../.. leaves `/` through `..`"
    );
    assert_eq!(
        err(|p| p.inputs[1] = p.inputs[0].clone()),
        "out/receipt.json: plan.inputs[1].target: `/data` is already mounted"
    );
    assert_eq!(
        err(|p| p.entry_module = guest("/data/x.wasm")),
        "out/receipt.json: plan.entryModule: a module run's modules are host files"
    );
    assert_eq!(
        err(|p| p.import_modules[0].alias = Some("a=b".into())),
        "out/receipt.json: plan.importModules[0]: not a module `--import a=b=lib/m.wasm` links"
    );
    assert_eq!(
        err(|p| p.import_modules[0].alias = None),
        "out/receipt.json: plan.importModules[0].alias: required"
    );
    assert_eq!(
        err(|p| p.env[0].name = "A=B".into()),
        "out/receipt.json: plan.env[0]: not a variable `--env A=B=1` sets"
    );
    assert_eq!(
        err(|p| p.env[1].value = EnvValue::FromHost("PATH".into())),
        "out/receipt.json: plan.env[1]: not a variable `--env PATH` sets"
    );
    assert_eq!(
        err(|p| p.outputs.push(Output {
            name: "o".into(),
            path: "/o".into()
        })),
        "out/receipt.json: plan.outputs: a module run has no outputs"
    );
    assert_eq!(
        err(|p| p.preopen_root = true),
        "out/receipt.json: plan.preopenRoot: a module run's guest has only its `--dir` mounts: expected false"
    );
    assert_eq!(
        err(|p| p.publisher = Publisher::Noop),
        "out/receipt.json: plan.publisher: a module run publishes nothing"
    );
    assert_eq!(
        err(|p| p.network = Network::Http { domains: vec![] }),
        "out/receipt.json: plan.network: --network http: name the hosts the guest may reach with --allow-domain GLOB"
    );
    assert_eq!(
        err(|p| p.entrypoint.clear()),
        "out/receipt.json: plan.entrypoint: must not be empty (leave it out to call `_start`)"
    );
}

/// The values a plan holds parsed (domains, ...) are parsed again when a receipt's JSON is
/// read, with the parser's own rule: a tampered one does not make a plan at all.
#[test]
fn tampered_parsed_values_do_not_read_back() {
    let json = serde_json::to_string(&rich()).unwrap();
    let tampered = |from: &str, to: &str| {
        assert!(json.contains(from), "{from} in {json}");
        serde_json::from_str::<Plan>(&json.replacen(from, to, 1))
            .expect_err("a tampered plan")
            .to_string()
    };
    for (from, to, message) in [
        (
            r#""*.example.org""#,
            r#""https://evil.org/""#,
            "`https://evil.org/` is not a domain: write a host name or a glob such as \
             *.example.com, without scheme or path",
        ),
        (
            r#""\\.csv$""#,
            r#""[[:alpha:]]""#,
            "invalid regular expression `[[:alpha:]]`: ",
        ),
        (
            r#""data:,x""#,
            r#""data:;base64,x""#,
            "invalid base64: the data ends with a lone character",
        ),
        (
            r#""bafkqaaa""#,
            r#""../../etc""#,
            "`../../etc` is not a CID: unsupported multibase prefix `.`",
        ),
        (
            r#""filter""#,
            r#""checksumSha256":"abc","filter""#,
            "`abc` is neither 64 hex digits nor the base64 of a sha256 (44 characters)",
        ),
    ] {
        let err = tampered(from, to);
        assert!(
            err.starts_with(message) && err.contains(" at line 1 column "),
            "{err}"
        );
    }
}
