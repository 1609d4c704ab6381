//! examples/partitions/kubernetes.yaml, as each pod of its Indexed Job would run it: the job
//! file from its ConfigMap, bolinho's arguments from its container, JOB_COMPLETION_INDEX from
//! Kubernetes, the bucket on the local S3 server. No cluster runs here; this checks what the
//! manifest says and what bolinho does with it.

use super::*;

/// The manifest's documents, as JSON values.
fn manifest() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(support::root().join("examples/partitions/kubernetes.yaml"))
        .unwrap();
    text.split("\n---\n")
        .map(|doc| serde_saphyr::from_str(doc).unwrap())
        .collect()
}

#[test]
fn the_indexed_job_runs_each_partition_once_and_no_two_publish_the_same_key() {
    let docs = manifest();
    let (config, indexed) = (&docs[0], &docs[1]);
    assert_eq!(config["kind"], "ConfigMap");
    assert_eq!(indexed["kind"], "Job");
    let spec = &indexed["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let pod = &spec["template"]["spec"];
    // The image's user, and the volume the job file is read from.
    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
    let container = &pod["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        [
            "run",
            "/job/job.yaml",
            "--partition",
            "auto",
            "--results",
            "/work/results"
        ]
    );
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"],
        config["metadata"]["name"]
    );
    let job_yaml = config["data"]["job.yaml"].as_str().unwrap();
    // One pod per partition: completions is the job file's Count.
    let count: serde_json::Value = serde_saphyr::from_str(job_yaml).unwrap();
    assert_eq!(spec["completions"], count["Count"]);
    let completions = spec["completions"].as_u64().unwrap();

    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("kubernetes");
    let example = support::root().join("examples/partitions");
    s3.put(
        &bucket,
        "linecount/app/linecount.wasm",
        &std::fs::read(example.join("app/linecount.wasm")).unwrap(),
    );
    let mut files: Vec<String> = std::fs::read_dir(example.join("inputs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    for name in &files {
        let body = std::fs::read(example.join("inputs").join(name)).unwrap();
        s3.put(&bucket, &format!("linecount/inputs/{name}"), &body);
    }
    let dir = TempDir::new("s3-kubernetes");
    // The bucket is the test's, and every S3 block also names the local server: a line
    // `Endpoint` beside each `Region` line, or inside each `{...}` holding one.
    let local: String = job_yaml
        .replace("my-bucket", "{B}")
        .lines()
        .map(|line| match line.trim_start() {
            "Region: us-east-1" => {
                let indent = &line[..line.len() - line.trim_start().len()];
                format!("{line}\n{indent}Endpoint: '{{E}}'\n")
            }
            _ => format!(
                "{}\n",
                line.replace("Region: us-east-1}", "Region: us-east-1, Endpoint: '{E}'}")
            ),
        })
        .collect();
    job(&dir, &s3, &bucket, &local);
    for index in 0..completions {
        let results = dir.join(&format!("pod-{index}")).display().to_string();
        let pod_args: Vec<&str> = args
            .iter()
            .map(|&a| match a {
                "/job/job.yaml" => "job.yaml",
                "/work/results" => results.as_str(),
                other => other,
            })
            .collect();
        let out = bolinho(
            dir.path(),
            &pod_args,
            &[("JOB_COMPLETION_INDEX", &index.to_string())],
        );
        assert_eq!(out.code, 0, "pod {index}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "bolinho: partition {index} of {completions}, from a Kubernetes Indexed Job"
            )),
            "{}",
            out.stderr
        );
    }

    // One job, an execution per partition, each publishing its own counts.
    let results: Vec<String> = s3
        .keys(&bucket)
        .into_iter()
        .filter(|k| k.starts_with("linecount/results/"))
        .collect();
    let counts: Vec<&String> = results
        .iter()
        .filter(|k| k.ends_with("/outputs/counts.txt"))
        .collect();
    assert_eq!(counts.len() as u64, completions, "{results:?}");
    let prefixes: std::collections::BTreeSet<(&str, &str)> = counts
        .iter()
        .map(|k| {
            let mut parts = k.split('/').skip(2);
            (parts.next().unwrap(), parts.next().unwrap())
        })
        .collect();
    let jobs: std::collections::BTreeSet<&str> = prefixes.iter().map(|(j, _)| *j).collect();
    assert_eq!(jobs.len(), 1, "{prefixes:?}");
    assert_eq!(prefixes.len() as u64, completions, "{prefixes:?}");
    // Every input file is counted by exactly one partition.
    let mut counted: Vec<String> = counts
        .iter()
        .flat_map(|k| {
            let body = String::from_utf8(s3.get(&bucket, k).unwrap()).unwrap();
            body.lines()
                .map(|l| l.split(' ').next().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    counted.sort();
    assert_eq!(counted, files);

    // The same job, its partitions run together by one bolinho, publishes the same keys with
    // the same bodies: each partition is the execution it was in its pod.
    let published = |s3: &S3| -> Vec<(String, Vec<u8>)> {
        s3.keys(&bucket)
            .into_iter()
            .filter(|k| k.starts_with("linecount/results/"))
            .map(|k| {
                let body = s3.get(&bucket, &k).unwrap();
                (k, body)
            })
            .collect()
    };
    let by_pods = published(&s3);
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--results", "together"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for index in 0..completions {
        assert!(
            out.stderr.contains(&format!(
                "bolinho: partition {index}: results published to s3://{bucket}/linecount/results/"
            )),
            "{}",
            out.stderr
        );
    }
    assert_eq!(published(&s3), by_pods);
}
