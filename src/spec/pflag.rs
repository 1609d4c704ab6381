//! The grammars of Bacalhau's command line: Go's `encoding/csv` records and pflag's
//! `StringToString` and `StringSlice` values, which `-V`, `-e`, `-i`, `-I` and `-p` share.
//!
//! Owns: splitting a flag's value as cobra/pflag and `encoding/csv` split it, so that a value
//! means here what it means to `bacalhau`. Must not give the pieces meaning: each flag's reader
//! does that.

/// The pairs of one pflag `StringToString` value (`-V`, `-e`): with exactly one `=` the whole
/// value is one pair, commas included (quotes around it dropped); with more, it is one CSV
/// record of `KEY=VALUE` fields, so `"k=a,b",x=y` quotes a comma. `None` for a value without
/// `=`, which pflag refuses and each flag reads in its own way.
pub(crate) fn string_to_string(value: &str) -> Option<Result<Vec<(String, String)>, String>> {
    let pairs = match value.matches('=').count() {
        0 => return None,
        1 => vec![value.trim_matches('"').to_string()],
        _ => match csv_record(value) {
            Ok(fields) => fields,
            Err(e) => return Some(Err(e)),
        },
    };
    Some(
        pairs
            .into_iter()
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) => Ok((key.to_string(), value.to_string())),
                None => Err(format!("{pair} must be formatted as key=value")),
            })
            .collect(),
    )
}

/// The items of one pflag `StringSlice` value (`-I`): one CSV record; an empty value is none.
pub(crate) fn string_slice(value: &str) -> Result<Vec<String>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    csv_record(value)
}

/// One record of Go's `encoding/csv` (no leading-space trimming, `""` inside quotes).
pub(crate) fn csv_record(text: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut rest = text;
    loop {
        let mut field = String::new();
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c != '"' {
                    field.push(c);
                } else if chars.peek().is_some_and(|(_, c)| *c == '"') {
                    field.push('"');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            }
            let after = &quoted[end.ok_or("extraneous or missing \" in quoted-field")?..];
            fields.push(field);
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err("extraneous or missing \" in quoted-field".into()),
            }
        } else {
            let (piece, next) = match rest.split_once(',') {
                Some((piece, next)) => (piece, Some(next)),
                None => (rest, None),
            };
            if piece.contains('"') {
                return Err("bare \" in non-quoted-field".into());
            }
            fields.push(piece.to_string());
            match next {
                Some(next) => rest = next,
                None => return Ok(fields),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(value: &str) -> Option<Result<Vec<(String, String)>, String>> {
        string_to_string(value)
    }

    fn owned(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn string_to_string_reads_one_pair_or_a_csv_record() {
        assert_eq!(pairs("dir=/a,/b"), Some(Ok(owned(&[("dir", "/a,/b")]))));
        assert_eq!(pairs("\"a=x\""), Some(Ok(owned(&[("a", "x")]))));
        assert_eq!(
            pairs("a=1,b=x=y"),
            Some(Ok(owned(&[("a", "1"), ("b", "x=y")])))
        );
        assert_eq!(
            pairs("\"a=1,2\",b=3"),
            Some(Ok(owned(&[("a", "1,2"), ("b", "3")])))
        );
        assert_eq!(pairs("HOME"), None);
        assert_eq!(
            pairs("a=1,b,c=2"),
            Some(Err("b must be formatted as key=value".into()))
        );
        assert_eq!(
            pairs("a=1,b=x\"y=z"),
            Some(Err("bare \" in non-quoted-field".into()))
        );
    }

    #[test]
    fn csv_records_follow_go() {
        assert_eq!(csv_record("a,,b").unwrap(), ["a", "", "b"]);
        assert_eq!(csv_record("\"a,b\",\"c\"\"d\"").unwrap(), ["a,b", "c\"d"]);
        assert_eq!(
            csv_record("\"a\"b").unwrap_err(),
            "extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            csv_record("\"ab").unwrap_err(),
            "extraneous or missing \" in quoted-field"
        );
        assert_eq!(string_slice("").unwrap(), Vec::<String>::new());
        assert_eq!(
            string_slice("/a.wasm,/b.wasm").unwrap(),
            ["/a.wasm", "/b.wasm"]
        );
    }
}
