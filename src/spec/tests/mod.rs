//! Whole documents through `parse_job`: every shape, both engine forms, and the exact text of
//! each error. The rules of each part are tested beside it; these files check how they compose.

use std::path::Path;

use super::*;

mod check;
mod errors;
mod large;
mod shapes;

/// The current-form job of the brief, and the plan it must become.
const HELLO: &str = "Name: hello
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: /app/main.wasm
        Parameters: [\"a\", \"b\"]
    InputSources:
      - Target: /app
        Source:
          Type: localDirectory
          Params:
            SourcePath: ./app
    ResultPaths:
      - Name: outputs
        Path: /outputs
    Env:
      GREETING: hi
";

fn parse(text: &str, file: &str, strict: bool) -> Result<Parsed, String> {
    parse_job(
        text,
        Path::new(file),
        &ParseOptions {
            strict,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())
}

fn ok(text: &str) -> Parsed {
    parse(text, "/jobs/hello/job.yaml", false).unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> String {
    parse(text, "job.yaml", false).expect_err("an error")
}

fn literal(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: EnvValue::Literal(value.into()),
    }
}

fn system_env(count: &str) -> Vec<EnvVar> {
    vec![
        literal("BACALHAU_JOB_TYPE", "batch"),
        literal("BACALHAU_PARTITION_COUNT", count),
        literal("BACALHAU_PARTITION_INDEX", "0"),
    ]
}

fn hello_plan_checks(plan: &Plan) {
    assert_eq!(plan.name, "hello");
    assert_eq!(plan.origin, Origin::Job);
    assert_eq!(
        plan.inputs,
        [Input {
            source: Source::Local {
                path: "/jobs/hello/app".into(),
                read_write: false,
                create_as: CreateAs::NoCreate
            },
            target: "/app".into(),
            alias: None,
            field: "Tasks[0].InputSources[0]".into(),
        }]
    );
    assert_eq!(
        plan.entry_module,
        ModuleLocation::Guest("/app/main.wasm".into())
    );
    assert_eq!(plan.import_modules, []);
    assert_eq!(plan.entrypoint, "_start");
    assert_eq!(plan.args, ["a", "b"]);
    let mut env = system_env("1");
    env.push(literal("GREETING", "hi"));
    assert_eq!(plan.env, env);
    assert_eq!(
        plan.outputs,
        [Output {
            name: "outputs".into(),
            path: "/outputs".into()
        }]
    );
    assert!(plan.preopen_root);
}
