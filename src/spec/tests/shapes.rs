//! Documents that parse: each shape, both engine forms, YAML and JSON.

use std::path::Path;

use super::*;

#[test]
fn a_current_form_job_becomes_a_plan() {
    let parsed = ok(HELLO);
    hello_plan_checks(&parsed.plan);
    assert_eq!(parsed.warnings, Vec::<String>::new());
    // The ids are the run's to derive, from what the guest is given (`job::identity`).
    assert!(
        !parsed.plan.env.iter().any(|v| v.name.ends_with("_ID")),
        "{:?}",
        parsed.plan.env
    );
}

#[test]
fn keys_match_case_insensitively() {
    let shouted = HELLO
        .replace("Tasks:", "tasks:")
        .replace("Engine:", "ENGINE:")
        .replace("EntryModule:", "entrymodule:")
        .replace("InputSources:", "inputSources:")
        .replace("Type: wasm", "TYPE: WASM")
        .replace("Type: localDirectory", "type: LOCALDIRECTORY")
        .replace("SourcePath:", "sourcepath:");
    let parsed = ok(&shouted);
    hello_plan_checks(&parsed.plan);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn json_documents_are_read_too() {
    let json = r#"{
      "Name": "hello", "Type": "batch", "Count": 1,
      "Tasks": [{
        "Name": "main",
        "Engine": {"Type": "wasm", "Params": {"EntryModule": "/app/main.wasm", "Parameters": ["a", "b"]}},
        "InputSources": [{"Target": "/app", "Source": {"Type": "localDirectory", "Params": {"SourcePath": "./app"}}}],
        "ResultPaths": [{"Name": "outputs", "Path": "/outputs"}],
        "Env": {"GREETING": "hi"}
      }]
    }"#;
    hello_plan_checks(&ok(json).plan);
    let docker = json.replace("\"Type\": \"wasm\"", "\"Type\": \"docker\"");
    assert_eq!(
        parse(&docker, "job.json", false).unwrap_err(),
        "job.json: Tasks[0].Engine.Type: engine \"docker\" is not supported: bolinho runs WASM tasks"
    );
    assert_eq!(
        parse("{\n\"Tasks\": [}", "job.json", false).unwrap_err(),
        "job.json:2: invalid json: expected value (column 11)"
    );
}

/// `wasm-engine-spec.txt`'s example, indented as its prose describes it.
const SPEC_EXAMPLE: &str = r#"Engine:
  Type: "WASM"
  Params:
    EntryModule:
      Source:
        Type: "s3"
        Params:
          Bucket: "my-bucket"
          Key: "entry.wasm"
    Entrypoint: "_start"
    Parameters:
      - "--option"
      - "value"
    EnvironmentVariables:
      VAR1: "value1"
      VAR2: "value2"
    ImportModules:
      - Source:
          Type: "localDirectory"
          Params:
            Path: "/local/path/to/module.wasm"
"#;

fn spec_example_checks(plan: &Plan, field_prefix: &str) {
    assert_eq!(plan.name, "spec");
    assert_eq!(
        plan.inputs,
        [
            Input {
                source: Source::S3(Box::new(S3Source {
                    bucket: "my-bucket".into(),
                    key: "entry.wasm".into(),
                    filter: None,
                    region: None,
                    endpoint: None,
                    version_id: None,
                    checksum_sha256: None,
                })),
                target: "/wasm/entry.wasm".into(),
                alias: None,
                field: format!("{field_prefix}Params.EntryModule"),
            },
            Input {
                source: Source::Local {
                    path: "/local/path/to/module.wasm".into(),
                    read_write: false,
                    create_as: CreateAs::NoCreate,
                },
                target: "/wasm/imports/module_0.wasm".into(),
                alias: None,
                field: format!("{field_prefix}Params.ImportModules[0]"),
            },
        ]
    );
    assert_eq!(
        plan.entry_module,
        ModuleLocation::Guest("/wasm/entry.wasm".into())
    );
    assert_eq!(
        plan.import_modules,
        [ImportModule {
            location: ModuleLocation::Guest("/wasm/imports/module_0.wasm".into()),
            alias: None
        }]
    );
    assert_eq!(plan.entrypoint, "_start");
    assert_eq!(plan.args, ["--option", "value"]);
    let mut env = system_env("1");
    env.extend([literal("VAR1", "value1"), literal("VAR2", "value2")]);
    assert_eq!(plan.env, env);
    assert_eq!(plan.outputs, []);
}

#[test]
fn the_engine_spec_example_is_a_legacy_task() {
    let parsed = parse(SPEC_EXAMPLE, "docs/spec.yaml", true).unwrap();
    spec_example_checks(&parsed.plan, "Engine.");
    assert!(parsed.warnings.is_empty());
}

#[test]
fn the_engine_spec_example_as_printed_is_a_flat_engine_block() {
    // The text of wasm-engine-spec.txt, whose indentation under `Engine:` was lost.
    let printed = SPEC_EXAMPLE
        .lines()
        .map(|line| line.strip_prefix("  ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(printed.starts_with("Engine:\nType: \"WASM\"\nParams:\n  EntryModule:\n"));
    let parsed = parse(&printed, "docs/spec.yaml", true).unwrap();
    spec_example_checks(&parsed.plan, "");
    assert!(parsed.warnings.is_empty());
}

#[test]
fn a_single_task_and_a_bare_engine_block() {
    let task = "Name: solo\nEngine:\n  Type: wasm\n  Params:\n    EntryModule: m.wasm\nInputSources:\n  - {Target: m.wasm, Alias: m, Source: {Type: inline, Params: {URL: \"data:,x\"}}}\n";
    let plan = ok(task).plan;
    assert_eq!(plan.name, "solo");
    assert_eq!(plan.inputs[0].field, "InputSources[0]");
    assert_eq!(plan.inputs[0].target, "/m.wasm");
    assert_eq!(plan.entry_module, ModuleLocation::Guest("/m.wasm".into()));
    let bare = "Engine:\n  Type: wasm\n  Params:\n    EntryModule:\n      Source: {Type: local, Params: {SourcePath: main.wasm}}\n";
    let plan = ok(bare).plan;
    assert_eq!(plan.name, "job", "the job file's stem");
    assert_eq!(
        plan.inputs[0].source,
        Source::Local {
            path: "/jobs/hello/main.wasm".into(),
            read_write: false,
            create_as: CreateAs::NoCreate
        }
    );
    assert_eq!(
        err("Engine:\n  Type: wasm\n  Params:\n    EntryModule: /x.wasm\n"),
        "job.yaml:4: Engine.Params.EntryModule: no input source is mounted at `/x.wasm`: the task has no InputSources"
    );
}

#[test]
fn names_come_from_the_job_then_the_task_then_the_file() {
    assert_eq!(ok(&HELLO.replace("Name: hello\n", "")).plan.name, "main");
    assert_eq!(
        ok(&HELLO
            .replace("Name: hello\n", "")
            .replace("  - Name: main\n    Engine", "  - Engine"))
        .plan
        .name,
        "job"
    );
}

#[test]
fn relative_local_paths_resolve_against_the_job_file() {
    let local = |file: &str, path: &str| {
        let text = HELLO.replace("./app", path);
        match parse(&text, file, false)
            .unwrap()
            .plan
            .inputs
            .remove(0)
            .source
        {
            Source::Local { path, .. } => path,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(local("jobs/x/job.yaml", "./app"), Path::new("jobs/x/app"));
    assert_eq!(local("job.yaml", "./app"), Path::new("app"));
    assert_eq!(
        local("/jobs/x/job.yaml", "../lib"),
        Path::new("/jobs/x/../lib")
    );
    assert_eq!(local("/jobs/x/job.yaml", "/opt/app"), Path::new("/opt/app"));
}

#[test]
fn legacy_modules_share_the_task_inputs() {
    let legacy = HELLO.replace(
        "EntryModule: /app/main.wasm",
        "EntryModule:\n          Target: /app\n          Source: {Type: local, Params: {Path: m.wasm}}",
    );
    assert_eq!(
        err(&legacy),
        "job.yaml:10: Tasks[0].Engine.Params.EntryModule.Target: `/app` is already used by Tasks[0].InputSources[0]"
    );
    let legacy = HELLO.replace(
        "EntryModule: /app/main.wasm",
        "EntryModule:\n          Source: {Type: local, Params: {Path: m.wasm}}",
    );
    let plan = ok(&legacy).plan;
    assert_eq!(
        plan.inputs
            .iter()
            .map(|i| i.target.as_str())
            .collect::<Vec<_>>(),
        ["/app", "/wasm/entry.wasm"]
    );
    assert_eq!(
        plan.entry_module,
        ModuleLocation::Guest("/wasm/entry.wasm".into())
    );
}

#[test]
fn environment_from_the_host_and_the_count() {
    let text = HELLO
        .replace(
            "GREETING: hi",
            "GREETING: env:USER_GREETING\n      lower: 1",
        )
        .replace("Count: 1", "Count: 4");
    let parsed = ok(&text);
    assert!(parsed.plan.env.contains(&EnvVar {
        name: "GREETING".into(),
        value: EnvValue::FromHost("USER_GREETING".into())
    }));
    assert!(parsed.plan.env.contains(&literal("lower", "1")));
    assert!(
        parsed
            .plan
            .env
            .contains(&literal("BACALHAU_PARTITION_COUNT", "4"))
    );
    assert_eq!(
        parsed.warnings,
        [
            "/jobs/hello/job.yaml:22: Tasks[0].Env.lower: Bacalhau accepts only names matching [A-Z][A-Z0-9_]*",
        ]
    );
}
