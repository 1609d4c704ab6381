//! Documents that do not parse, or parse with warnings: the exact text and line of each.

use super::*;

#[test]
fn document_errors_name_their_line() {
    let cases = [
        ("Engine:\n", "job.yaml:1: Engine: required"),
        ("Engine:\nParams: {}\n", "job.yaml:1: Type: required"),
        ("", "job.yaml: the document is empty"),
        ("# nothing\n", "job.yaml: the document is empty"),
        (
            "hello\n",
            "job.yaml:1: expected a job, a task or an engine block (a map), found a string",
        ),
        (
            "- a\n",
            "job.yaml:1: expected a job, a task or an engine block (a map), found a list",
        ),
        (
            "Nmae: x\n",
            "job.yaml:1: not a job: expected `Tasks` (a job), `Engine` (a task) or `Type` and `Params` (an engine block)",
        ),
        ("Name: x\n", "job.yaml:1: Tasks: required"),
        ("Name: x\nTaks: []\n", "job.yaml:2: Taks: unknown key"),
        ("Name: x\nCount: 2\n", "job.yaml:1: Tasks: required"),
        // The server's keys are read (and ignored), so their type must be Bacalhau's.
        (
            "Tasks: []\nmodifytime: soon\n",
            "job.yaml:2: ModifyTime: expected an integer, found a string",
        ),
        (
            "Tasks: []\nPriorty: 5\n",
            "job.yaml:2: Priorty: unknown key",
        ),
        (
            "Tasks: []\n",
            "job.yaml:1: Tasks: must list at least one task",
        ),
        (
            "Tasks:\n  - Name: a\n",
            "job.yaml:2: Tasks[0].Engine: required",
        ),
        ("a: [1\n", "job.yaml:1: invalid yaml: unclosed bracket '['"),
    ];
    for (text, expected) in cases {
        assert_eq!(err(text), expected, "for {text:?}");
    }
}

#[test]
fn job_keys_are_checked() {
    let with = |from: &str, to: &str| err(&HELLO.replace(from, to));
    assert_eq!(
        with("Type: batch", "Type: Service"),
        "job.yaml:2: Type: job type `Service` is not supported: a service job runs until it is \
         stopped, and bolinho runs jobs that end (batch or ops)"
    );
    assert_eq!(
        with("Type: batch", "Type: daemon"),
        "job.yaml:2: Type: job type `daemon` is not supported: a daemon job runs until it is \
         stopped, and bolinho runs jobs that end (batch or ops)"
    );
    assert_eq!(
        with("Type: batch", "Type: cron"),
        "job.yaml:2: Type: unknown job type `cron`: expected batch or ops"
    );
    // A job without Resources.Memory has Bacalhau's default; an explicit 0 is no limit.
    assert_eq!(ok(HELLO).plan.limits.memory_bytes, Some(512_000_000));
    let unlimited = HELLO.replace("    Engine:", "    Resources: {Memory: \"0\"}\n    Engine:");
    assert_eq!(ok(&unlimited).plan.limits.memory_bytes, None);
    // An ops job is one execution here, as a batch job; the guest is told which it is.
    let ops = ok(&HELLO.replace("Type: batch", "Type: Ops"));
    assert!(ops.warnings.is_empty());
    assert!(ops.plan.env.iter().any(|v| v.name == "BACALHAU_JOB_TYPE"
        && v.value == crate::spec::EnvValue::Literal("ops".into())));
    assert_eq!(
        with("Count: 1", "Count: 0"),
        "job.yaml:3: Count: must be at least 1"
    );
    assert_eq!(
        with("Count: 1", "Count: \"1\""),
        "job.yaml:3: Count: expected a non-negative integer, found a string"
    );
    assert_eq!(
        with("Count: 1", "Count: 1\nLabels: {a: 1}"),
        "job.yaml:4: Labels.a: expected a string, found a number"
    );
    let fine = HELLO.replace(
        "Type: batch",
        "Type: BATCH\nNamespace: default\nPriority: -3\nConstraints: []\nMeta: {a: b}",
    );
    assert!(ok(&fine).warnings.is_empty());
}

#[test]
fn task_errors_name_their_line() {
    let with = |from: &str, to: &str| err(&HELLO.replace(from, to));
    assert_eq!(
        with("Type: wasm", "Type: docker"),
        "job.yaml:7: Tasks[0].Engine.Type: engine \"docker\" is not supported: bolinho runs WASM tasks"
    );
    assert_eq!(
        with("        EntryModule: /app/main.wasm\n", ""),
        "job.yaml:8: Tasks[0].Engine.Params.EntryModule: required"
    );
    assert_eq!(
        with("      - Target: /app\n", "      - Alias: app\n"),
        "job.yaml:12: Tasks[0].InputSources[0].Target: required"
    );
    assert_eq!(
        with("/outputs", "/app"),
        "job.yaml:19: Tasks[0].ResultPaths[0].Path: `/app` is already used by Tasks[0].InputSources[0]"
    );
    assert_eq!(
        with("GREETING: hi", "BACALHAU_GREETING: hi"),
        "job.yaml:21: Tasks[0].Env.BACALHAU_GREETING: the `BACALHAU_` prefix is reserved for the variables bolinho sets"
    );
    assert_eq!(
        with(
            "        Parameters:",
            "        EnvironmentVariables: {GREETING: hello}\n        Parameters:"
        ),
        "job.yaml:10: Tasks[0].Engine.Params.EnvironmentVariables.GREETING: `GREETING` is also set in Tasks[0].Env: set it in one place"
    );
    let nul = "holds a NUL byte, which WASI cannot pass to the guest (its arguments and \
               variables are C strings)";
    assert_eq!(
        with("[\"a\", \"b\"]", "[\"a\", \"b\\0c\"]"),
        format!("job.yaml:10: Tasks[0].Engine.Params.Parameters[1]: {nul}")
    );
    assert_eq!(
        with("GREETING: hi", "GREETING: \"h\\0i\""),
        format!("job.yaml:21: Tasks[0].Env.GREETING: {nul}")
    );
    assert_eq!(
        with(
            "        Parameters:",
            "        EnvironmentVariables: {OTHER: \"\\0\"}\n        Parameters:"
        ),
        format!("job.yaml:10: Tasks[0].Engine.Params.EnvironmentVariables.OTHER: {nul}")
    );
    let twice = "    InputSources:\n      - Target: /app\n        Source: {Type: inline, Params: {URL: \"data:,\"}}\n";
    assert_eq!(
        with("    InputSources:\n", twice),
        "job.yaml:14: Tasks[0].InputSources[1].Target: `/app` is already used by Tasks[0].InputSources[0]"
    );
}

#[test]
fn unknown_nested_keys_warn_or_fail_in_strict_mode() {
    let text = HELLO.replace(
        "        Parameters:",
        "        Entrypiont: main\n        Parameters:",
    );
    let parsed = ok(&text);
    assert_eq!(parsed.plan.entrypoint, "_start");
    assert_eq!(
        parsed.warnings,
        ["/jobs/hello/job.yaml:10: Tasks[0].Engine.Params.Entrypiont: unknown key (ignored)"]
    );
    assert_eq!(
        parse(&text, "job.yaml", true).unwrap_err(),
        "job.yaml:10: Tasks[0].Engine.Params.Entrypiont: unknown key"
    );
    let text = HELLO.replace(
        "        Parameters:",
        "        EntryPoint: main\n        Parameters:",
    );
    assert_eq!(
        ok(&text).plan.entrypoint,
        "main",
        "EntryPoint and Entrypoint are one key"
    );
}

#[test]
fn extra_tasks_are_ignored_with_a_warning() {
    let text = format!("{HELLO}  - Name: second\n  - Name: third\n");
    let parsed = ok(&text);
    assert_eq!(parsed.plan.name, "hello");
    assert_eq!(
        parsed.warnings,
        ["/jobs/hello/job.yaml:4: Tasks: only Tasks[0] runs; 2 more task(s) ignored"]
    );
}

#[test]
fn odd_documents_never_panic() {
    let mut odd: Vec<String> = [
        "",
        " ",
        "~",
        "null",
        "42",
        "-",
        "[]",
        "{}",
        "[[[[",
        "{\"a\":",
        "Tasks: 5",
        "Tasks: [5]",
        "Tasks: [{}]",
        "Tasks: [[]]",
        "Tasks: [{Engine: 5}]",
        "Engine: {Type: wasm, Params: []}",
        "Engine: {Type: [wasm]}",
        "Count: 1e400\nTasks: []",
        "Count: 99999999999999999999999999\nTasks: []",
        "Priority: -99999999999999999999\nTasks: []",
        "\0",
        "!!binary aGk=",
        "a: !custom x",
        "<<: *nope",
        "a: &x 1\nb: *x\nc: *x",
        "\t\tEngine: 1",
        "{\"Tasks\": [{\"Engine\": null}]}",
        "Type: wasm\nParams: {EntryModule: {Source: {Type: local, Params: {Path: 1}}}}",
        "Type: wasm\nParams: ~",
        "? [a]\n: b",
        "Tasks:\n- Engine:\n    Type: wasm\n    Params:\n      EntryModule: 5\n",
        "{\"Count\": 1e999}",
        "{\"Count\": -0}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    odd.push("[".repeat(50_000));
    odd.push("{\"a\":".repeat(50_000));
    odd.push(
        (0..300)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect(),
    );
    odd.push(format!("Name: {}\nTasks: []", "x".repeat(1 << 20)));
    for text in &odd {
        let _ = parse(text, "job.yaml", false);
        let _ = parse(text, "job.yaml", true);
    }
    // Mutations of a valid job: every byte deleted, duplicated or replaced by a special one.
    let specials = [
        '{', '[', ':', '-', '"', '\n', ' ', '\t', '&', '*', '!', '#', '0',
    ];
    for (i, _) in HELLO.char_indices() {
        let (head, tail) = HELLO.split_at(i);
        let mut rest = tail.chars();
        let c = rest.next().unwrap();
        let rest = rest.as_str();
        let _ = parse(&format!("{head}{rest}"), "job.yaml", false);
        let _ = parse(&format!("{head}{c}{c}{rest}"), "job.yaml", false);
        let _ = parse(
            &format!("{head}{}{rest}", specials[i % specials.len()]),
            "job.yaml",
            true,
        );
    }
}

#[test]
fn errors_display_as_file_line_field_message() {
    let error = |line, field: &str| SpecError {
        file: "dir/job.yaml".into(),
        line,
        column: None,
        field: field.into(),
        message: "required".into(),
    };
    assert_eq!(
        error(Some(12), "Tasks[0].Engine").to_string(),
        "dir/job.yaml:12: Tasks[0].Engine: required"
    );
    assert_eq!(
        error(None, "Tasks[0].Engine").to_string(),
        "dir/job.yaml: Tasks[0].Engine: required"
    );
    assert_eq!(error(Some(3), "").to_string(), "dir/job.yaml:3: required");
    assert_eq!(error(None, "").to_string(), "dir/job.yaml: required");
}
