//! Large documents: reading one takes time linear in its size. A map of 80,000 keys once took
//! 20 s (every key was checked against every other); these documents must take well under a
//! second. The bound asserted is generous (10 s), so only a quadratic path can break it.

use std::time::{Duration, Instant};

use super::*;

const KEYS: usize = 100_000;
const ENGINE: &str = "Engine: {Type: wasm, Params: {EntryModule: /app}}\nInputSources: [{Target: /app, Source: {Type: local, Params: {Path: app}}}]\n";

/// Parses `text` as `file`, checking it took less than the generous bound.
fn timed(text: &str, file: &str) -> Result<Parsed, String> {
    let start = Instant::now();
    let parsed = parse(text, file, false);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "{file} of {} bytes took {took:?}",
        text.len()
    );
    parsed
}

/// A YAML block map of `KEYS` keys `K0`..., each set to `1`, indented under `indent`.
fn yaml_keys(indent: &str) -> String {
    (0..KEYS)
        .map(|i| format!("{indent}K{i}: \"1\"\n"))
        .collect()
}

/// A JSON task whose `key` is a map of `KEYS` keys `K0`..., each set to `1`, then `last`.
fn json_task(key: &str, last: &str) -> String {
    let entries: Vec<String> = (0..KEYS).map(|i| format!("\"K{i}\": \"1\"")).collect();
    format!(
        "{{\"Engine\": {{\"Type\": \"wasm\", \"Params\": {{\"EntryModule\": \"/app\"}}}}, \"InputSources\": [{{\"Target\": \"/app\", \"Source\": {{\"Type\": \"local\", \"Params\": {{\"Path\": \"app\"}}}}}}], \"{key}\": {{{}{last}}}}}",
        entries.join(", ")
    )
}

#[test]
fn a_hundred_thousand_variables_are_read_in_linear_time() {
    let json = json_task("Env", "");
    assert!(json.len() > 1_000_000);
    let plan = timed(&json, "job.json").unwrap().plan;
    assert_eq!(plan.env.len(), KEYS + 3, "the user's and the system's");
    // The legacy map is checked against all of them.
    let both = json.replace(
        "\"EntryModule\": \"/app\"",
        &format!(
            "\"EntryModule\": \"/app\", \"EnvironmentVariables\": {{\"K{}\": \"1\"}}",
            KEYS - 1
        ),
    );
    assert_eq!(
        timed(&both, "job.json").unwrap_err(),
        format!(
            "job.json: Engine.Params.EnvironmentVariables.K{}: `K{}` is also set in Env: set it in one place",
            KEYS - 1,
            KEYS - 1
        )
    );
}

#[test]
fn a_hundred_thousand_keys_end_in_a_duplicate_found_at_once() {
    // `Meta` keys are data, case-sensitive: `k0` is not `K0`.
    assert!(timed(&json_task("Meta", ", \"k0\": \"2\""), "job.json").is_ok());
    assert_eq!(
        timed(&json_task("Meta", ", \"K0\": \"2\""), "job.json").unwrap_err(),
        "job.json: Meta.K0: duplicate key: `K0` is already set"
    );
    // Keys the reader knows match case-insensitively.
    assert_eq!(
        timed(&json_task("Resources", ", \"k0\": \"2\""), "job.json").unwrap_err(),
        "job.json: Resources.k0: duplicate key: `K0` is already set"
    );
    // YAML gives both lines.
    let text = format!("{ENGINE}Resources:\n{}  k0: \"2\"\n", yaml_keys("  "));
    assert_eq!(
        timed(&text, "job.yaml").unwrap_err(),
        format!(
            "job.yaml:{}: Resources.k0: duplicate key: `K0` is already set on line 4",
            KEYS + 4
        )
    );
}

#[test]
fn a_hundred_thousand_unknown_keys_give_twenty_warnings_and_a_count() {
    let json = json_task("Resources", "");
    let parsed = timed(&json, "job.json").unwrap();
    assert_eq!(parsed.warnings.len(), 21);
    assert_eq!(
        parsed.warnings[0],
        "job.json: Resources.K0: unknown key (ignored)"
    );
    assert_eq!(
        parsed.warnings[19],
        "job.json: Resources.K19: unknown key (ignored)"
    );
    assert_eq!(
        parsed.warnings[20],
        "job.json: 99980 more warnings not shown"
    );
    assert_eq!(
        parse(&json, "job.json", true).unwrap_err(),
        "job.json: Resources.K0: unknown key"
    );
}

#[test]
fn thousands_of_inputs_modules_and_outputs_are_read_in_linear_time() {
    const N: usize = 12_000;
    let imports: Vec<String> = (1..N).map(|i| format!("\"/m{i}\"")).collect();
    let inputs: Vec<String> = (0..N)
        .map(|i| {
            format!(
                "{{\"Target\": \"/m{i}\", \"Alias\": \"a{i}\", \"Source\": {{\"Type\": \"inline\", \"Params\": {{\"URL\": \"data:,\"}}}}}}"
            )
        })
        .collect();
    let mut outputs: Vec<String> = (0..N / 4)
        .map(|i| format!("{{\"Name\": \"o{i}\", \"Path\": \"/m{i}/o\"}}"))
        .collect();
    let job = |entry: &str, outputs: &[String]| {
        format!(
            "{{\"Engine\": {{\"Type\": \"wasm\", \"Params\": {{\"EntryModule\": \"{entry}\", \"ImportModules\": [{}]}}}}, \"InputSources\": [{}], \"ResultPaths\": [{}]}}",
            imports.join(", "),
            inputs.join(", "),
            outputs.join(", ")
        )
    };
    let plan = timed(&job("/m0/e.wasm", &outputs), "job.json")
        .unwrap()
        .plan;
    assert_eq!(
        (
            plan.inputs.len(),
            plan.import_modules.len(),
            plan.outputs.len()
        ),
        (N, N - 1, N / 4)
    );
    assert_eq!(
        plan.import_modules[N - 2].alias.as_deref(),
        Some(format!("a{}", N - 1).as_str())
    );
    // The message of a module no input covers lists a few targets, not thousands.
    assert_eq!(
        timed(&job("/nowhere", &outputs), "job.json").unwrap_err(),
        format!(
            "job.json: Engine.Params.EntryModule: no input source is mounted at `/nowhere` (targets: /m0, /m1, /m2, /m3, /m4, /m5, /m6, /m7, /m8, /m9 and {} more)",
            N - 10
        )
    );
    outputs.push("{\"Name\": \"O0\", \"Path\": \"/x\"}".into());
    assert_eq!(
        timed(&job("/m0/e.wasm", &outputs), "job.json").unwrap_err(),
        format!(
            "job.json: ResultPaths[{}].Name: invalid name `O0`: already used by ResultPaths[0]",
            N / 4
        )
    );
}

#[test]
fn a_document_past_its_bounds_says_which() {
    let values: Vec<String> = (0..MAX_VALUES).map(|i| i.to_string()).collect();
    let json = format!("{{\"Parameters\": [{}]}}", values.join(","));
    assert_eq!(
        timed(&json, "job.json").unwrap_err(),
        "job.json: the document holds more than 250000 values, the most bolinho reads"
    );
    let huge = format!("Name: \"{}\"\n", "x".repeat(MAX_DOCUMENT_BYTES));
    assert_eq!(
        timed(&huge, "job.yaml").unwrap_err(),
        format!(
            "job.yaml: the document is {} bytes, more than 16777216 (16 MiB), the most bolinho reads",
            huge.len()
        )
    );
}

#[test]
fn megabytes_of_a_value_are_quoted_in_part() {
    let long = "x".repeat(4 << 20);
    let shown = format!("{}... (4194304 bytes)", "x".repeat(60)); // as a key in a path
    let with = |from: &str, to: &str| err(&HELLO.replace(from, to));
    assert_eq!(
        with("Path: /outputs", &format!("Path: /{long}/..")),
        format!(
            "job.yaml:19: Tasks[0].ResultPaths[0].Path: invalid path `/{}...` (4194308 bytes): `..` is not allowed",
            "x".repeat(59)
        )
    );
    assert_eq!(
        with("Name: outputs", &format!("Name: {long}")),
        format!(
            "job.yaml:18: Tasks[0].ResultPaths[0].Name: invalid name `{}...` (4194304 bytes): it is 4194304 bytes long, more than a file name can be (255)",
            "x".repeat(60)
        )
    );
    assert_eq!(
        with("Type: wasm", &format!("Type: {long}")),
        format!(
            "job.yaml:7: Tasks[0].Engine.Type: engine \"{}...\" (4194304 bytes) is not supported: bolinho runs WASM tasks",
            "x".repeat(60)
        )
    );
    assert_eq!(
        // YAML's plain keys are at most 1024 characters: a longer one is written `? key`.
        with("GREETING: hi", &format!("? {long}-\n      : hi")),
        format!(
            "job.yaml:21: Tasks[0].Env.{}... (4194305 bytes): invalid name `{}...` (4194305 bytes): use letters, digits and `_`, not starting with a digit",
            "x".repeat(60),
            "x".repeat(60)
        )
    );
    assert_eq!(
        with("Count: 1", &format!("Count: 1\n? {long}\n: 1")),
        format!("job.yaml:4: {shown}: unknown key")
    );
    assert_eq!(
        with(
            "Count: 1",
            &format!("Count: 1\nPriority: {}", "9".repeat(100))
        ),
        format!(
            "job.yaml:4: Priority: expected an integer, found `{}...` (100 bytes)",
            "9".repeat(60)
        )
    );
}
