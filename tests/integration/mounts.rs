//! The guest's filesystem as jobs and flags compose it: nested mounts, read-write local sources
//! with CreateAs, and read-only inputs that refuse writes.

use crate::support::{TempDir, bolinho, testdata, tree};

#[test]
fn mounts_nest_inside_each_other() {
    let dir = TempDir::new("nested");
    dir.write("root/top.txt", "top\n");
    dir.write("root/a/hidden.txt", "shadowed by the nested mount\n");
    dir.write("inner/x.txt", "inner\n");
    let cat = testdata("wasm/cat.wasm").display().to_string();
    let args = [
        "run",
        &cat,
        "--dir",
        "root::/",
        "--dir",
        "inner::/a/b",
        "--",
        "/top.txt",
        "/a/b/x.txt",
        "a/hidden.txt",
    ];
    let out = bolinho(dir.path(), &args);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "top\ninner\nshadowed by the nested mount\n", "")
    );
}

fn transform_job(dir: &TempDir, output_source: &str) {
    dir.write("inputs/a.txt", "abc\n");
    dir.write(
        "job.yaml",
        format!(
            "Name: rw\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        \
             EntryModule: /app/transform.wasm\n        Parameters: [/inputs, /out]\n    InputSources:\n      \
             - Target: /app\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n      \
             - Target: /inputs\n        Source: {{Type: local, Params: {{SourcePath: ./inputs}}}}\n      \
             - Target: /out\n        Source: {output_source}\n",
            testdata("wasm").display()
        ),
    );
}

#[test]
fn a_read_write_local_source_is_created_and_written_on_the_host() {
    let dir = TempDir::new("read-write");
    transform_job(
        &dir,
        "{Type: local, Params: {SourcePath: ./host-out, ReadWrite: true, CreateAs: dir}}",
    );
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "r"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "a.txt: 4 bytes\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        tree(&dir.join("host-out")),
        "a.txt.upper: ABC\n\nsummary/\nsummary/count.txt: 1\n"
    );
}

#[test]
fn a_read_only_source_refuses_writes_and_stays_untouched() {
    let dir = TempDir::new("read-only");
    dir.write("host-out/keep.txt", "mine\n");
    transform_job(&dir, "{Type: local, Params: {SourcePath: ./host-out}}");
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "r"],
    );
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "transform: cannot create /out/a.txt.upper: Read-only file system\nbolinho: results in r\n"
    );
    assert_eq!(tree(&dir.join("host-out")), "keep.txt: mine\n");
    assert_eq!(
        tree(&dir.join("r")),
        "exitCode: 2\nstderr: transform: cannot create /out/a.txt.upper: Read-only file system\n\nstdout: "
    );
}
