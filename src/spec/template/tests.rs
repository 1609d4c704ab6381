//! Each construct's exact output, and each error's exact message and position, as Go's
//! text/template (with `missingkey=error` over a map of strings) gives them.

use super::*;

fn data() -> Vars {
    [
        ("count", "3"),
        ("dir", "/data"),
        ("empty", ""),
        ("name", "bolinho"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn ok(src: &str) -> String {
    render(src, &data())
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .text
        .into_owned()
}

fn err(src: &str) -> String {
    render(src, &data()).expect_err(src).to_string()
}

#[test]
fn text_without_actions_is_borrowed_untouched() {
    let src = "a: 1\nb: '}}{ {'\n";
    let rendered = render(src, &Vars::new()).unwrap();
    assert!(matches!(rendered.text, Cow::Borrowed(s) if std::ptr::eq(s, src)));
    assert!(rendered.lines.is_empty() && rendered.used.is_empty());
}

#[test]
fn fields_and_dot() {
    assert_eq!(ok("count: {{.count}}"), "count: 3");
    assert_eq!(ok("{{ .name }}-{{.dir}}"), "bolinho-/data");
    assert_eq!(ok("{{.}}"), "map[count:3 dir:/data empty: name:bolinho]");
    assert_eq!(ok("{{$.count}}"), "3");
}

#[test]
fn literals_print_as_go() {
    assert_eq!(
        ok(
            r#"{{"a\tb"}} {{`r\n`}} {{1}} {{-2}} {{0x1F}} {{1.5}} {{1e6}} {{1.0}} {{'a'}} {{true}} {{print nil}}"#
        ),
        "a\tb r\\n 1 -2 31 1.5 1e+06 1 97 true <nil>"
    );
}

#[test]
fn trim_markers_and_comments() {
    assert_eq!(ok("a  {{- .count -}}  \n b"), "a3b");
    assert_eq!(ok("a {{-3}}"), "a -3");
    assert_eq!(ok("a{{/* note */}}b"), "ab");
    assert_eq!(ok("a \n{{- /* note */ -}}\n b"), "ab");
}

#[test]
fn if_else_if_with_and_truth() {
    assert_eq!(ok("{{if .count}}y{{else}}n{{end}}"), "y");
    assert_eq!(ok("{{if .empty}}y{{else}}n{{end}}"), "n");
    assert_eq!(
        ok("{{if .empty}}a{{else if eq .count \"3\"}}b{{else}}c{{end}}"),
        "b"
    );
    assert_eq!(
        ok(r#"{{if 0}}a{{else if 0.0}}b{{else if false}}c{{else if ""}}d{{end}}"#),
        ""
    );
    assert_eq!(ok("{{with .dir}}[{{.}}]{{else}}none{{end}}"), "[/data]");
    assert_eq!(
        ok("{{with .empty}}[{{.}}]{{else with .name}}<{{.}}>{{end}}"),
        "<bolinho>"
    );
}

#[test]
fn range_over_the_map_and_integers() {
    assert_eq!(
        ok("{{range $k, $v := .}}{{$k}}={{$v}};{{end}}"),
        "count=3;dir=/data;empty=;name=bolinho;"
    );
    assert_eq!(ok("{{range .}}[{{.}}]{{end}}"), "[3][/data][][bolinho]");
    assert_eq!(ok("{{range $i := 3}}{{$i}}{{end}}"), "012");
    assert_eq!(ok("{{range 0}}x{{else}}none{{end}}"), "none");
    // A count of billions is refused at the bound, without making the count first (fuzzing).
    for count in ["6666666666666666665", "1000001", "4000000000"] {
        assert_eq!(
            err(&format!("{{{{range {count}}}}}{{{{end}}}}")),
            "1:9: template: more than 1000000 range iterations",
            "{count}"
        );
    }
    assert_eq!(ok("{{range 1000000}}{{end}}"), "");
    assert_eq!(
        ok(
            "{{range $i := 5}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 3}}{{break}}{{end}}{{$i}}{{end}}"
        ),
        "02"
    );
}

#[test]
fn pipelines_variables_and_parentheses() {
    assert_eq!(ok("{{.name | printf \"%s!\"}}"), "bolinho!");
    assert_eq!(ok("{{.count | len | printf \"%03d\"}}"), "001");
    assert_eq!(ok("{{$x := .dir}}{{$x}}{{$x = \"b\"}}{{$x}}"), "/datab");
    assert_eq!(ok("{{if $y := .count}}{{$y}}{{end}}"), "3");
    assert_eq!(ok("{{print (len .name) (eq .count \"3\")}}"), "7 true");
}

#[test]
fn logic_and_comparison_builtins() {
    assert_eq!(
        ok(r#"{{or (index . "dir") "/app"}} {{or (index . "nope") "/app"}}"#),
        "/data /app"
    );
    assert_eq!(
        ok(r#"{{and .count .empty "x"}}|{{and .count "x"}}|{{not .empty}}"#),
        "|x|true"
    );
    // `and` stops at the first false argument, `or` at the first true one: the missing key
    // after it is never read.
    assert_eq!(ok("{{and .empty .missing}}"), "");
    assert_eq!(ok("{{or .name .missing}}"), "bolinho");
    // A YAML comment is template text like any other.
    assert_eq!(ok("# for {{.name}}\nName: x\n"), "# for bolinho\nName: x\n");
    assert_eq!(
        ok(
            r#"{{eq .count "1" "2" "3"}} {{ne .name "x"}} {{lt 1 2}} {{le "b" "a"}} {{gt 2.5 1.5}} {{ge 2 2}}"#
        ),
        "true true true false true true"
    );
}

#[test]
fn text_builtins() {
    assert_eq!(
        ok(r#"{{len .name}} {{index .name 0}} {{slice .name 1 3}}"#),
        "7 98 ol"
    );
    assert_eq!(
        ok(r#"{{print "a" 1 2 "b"}}|{{println "a" 1}}"#),
        "a1 2b|a 1\n"
    );
    assert_eq!(
        ok(r#"{{printf "%-5s|%5d|%v" .name 42 true}}"#),
        "bolinho|   42|true"
    );
    assert_eq!(
        ok(r#"{{html "<a&b>"}} {{js "it's"}} {{urlquery "a b/c"}}"#),
        "&lt;a&amp;b&gt; it\\'s a+b%2Fc"
    );
}

#[test]
fn missing_keys_and_fields_of_strings_are_errors_with_position() {
    assert_eq!(
        err("a: 1\ncount: {{.count}}\nx: {{ .nope }}"),
        "3:7: template: map has no entry for key \"nope\""
    );
    assert_eq!(
        err("{{.name.first}}"),
        "1:3: template: can't evaluate field first in type string"
    );
    assert_eq!(
        err("{{.count 1}}"),
        "1:3: template: count is not a method but has arguments"
    );
    assert_eq!(
        err("{{\"x\" | .name}}"),
        "1:9: template: name is not a method but has arguments"
    );
}

#[test]
fn builtin_errors_are_worded_as_go() {
    assert_eq!(
        err("{{lt .count 3}}"),
        "1:3: template: error calling lt: incompatible types for comparison"
    );
    assert_eq!(
        err("{{len 3}}"),
        "1:3: template: error calling len: len of type int"
    );
    assert_eq!(
        err("{{not 1 2}}"),
        "1:3: template: wrong number of args for not: want 1 got 2"
    );
    assert_eq!(
        err("{{index .name 9}}"),
        "1:3: template: error calling index: index out of range: 9"
    );
    assert_eq!(
        err("{{range .name}}{{end}}"),
        "1:9: template: range can't iterate over bolinho"
    );
}

#[test]
fn syntax_errors_name_the_line_and_column() {
    assert_eq!(err("a\n  {{.count"), "2:3: template: unclosed action");
    assert_eq!(
        err("{{if .count}}x"),
        "1:3: template: unexpected EOF: no {{end}} for this {{if}}"
    );
    assert_eq!(err("x{{end}}"), "1:4: template: unexpected {{end}}");
    assert_eq!(err("{{else}}"), "1:3: template: unexpected {{else}}");
    assert_eq!(err("{{$x}}"), "1:3: template: undefined variable \"$x\"");
    assert_eq!(
        err("{{if 1}}{{$x := 1}}{{end}}{{$x}}"),
        "1:29: template: undefined variable \"$x\""
    );
    assert_eq!(
        err("{{nope 1}}"),
        "1:3: template: function \"nope\" not defined"
    );
    assert_eq!(err("{{if}}{{end}}"), "1:3: template: missing value for if");
    assert_eq!(err("{{\"a}}"), "1:3: template: unterminated quoted string");
    assert_eq!(
        err("{{/* x */ .count}}"),
        "1:1: template: comment ends before closing delimiter"
    );
    assert_eq!(
        err("{{break}}"),
        "1:3: template: {{break}} outside {{range}}"
    );
    assert_eq!(
        err("{{.count | 3}}"),
        "1:12: template: non executable command in pipeline stage 2"
    );
}

#[test]
fn unsupported_constructs_are_refused_by_name() {
    for (src, what) in [
        (
            "{{define \"x\"}}a{{end}}",
            "{{define}} is not supported by bolinho",
        ),
        (
            "{{template \"x\"}}",
            "{{template}} is not supported by bolinho",
        ),
        (
            "{{block \"x\" .}}a{{end}}",
            "{{block}} is not supported by bolinho",
        ),
        (
            "{{call .count}}",
            "function \"call\" is not supported by bolinho",
        ),
        (
            "{{printf \"%e\" 1.0}}",
            "printf: the verb %e is not supported by bolinho",
        ),
        ("{{3i}}", "complex numbers are not supported: 3i"),
        ("{{\"\\x80\"}}", "a byte escape past \\x7f is not supported"),
    ] {
        let message = err(src);
        assert!(message.contains(what), "{src}: {message}");
    }
}

#[test]
fn used_keys_are_those_read() {
    let used = |src: &str| {
        render(src, &data())
            .unwrap()
            .used
            .into_keys()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        used(r#"{{.count}}{{index . "dir"}}{{index . "nope"}}"#),
        ["count", "dir"]
    );
    assert_eq!(used("{{range .}}{{end}}").len(), 4);
    assert!(used("{{1}}").is_empty());
}

#[test]
fn rendered_lines_point_at_the_file() {
    let lines = |src: &str| render(src, &data()).unwrap().lines;
    // Lines 2 to 4 of the file render to nothing; rendered line 2 is file line 5.
    assert_eq!(lines("a\n{{- if .empty}}\nb\n{{- end}}\nc\n"), [1, 5, 6]);
    // A value with a newline adds a rendered line from the action's own line.
    assert_eq!(lines("a\nx: {{printf \"1\\n2\"}}\nb\n"), [1, 2, 2, 3, 4]);
}
