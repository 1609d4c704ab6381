//! The few values bolinho reads out of S3's XML error bodies, by hand.
//!
//! An S3 error body is flat: `<Error><Code>NoSuchKey</Code><Message>...</Message>...</Error>`.
//! We need two of its leaves (`Code`, `Message`) and, for a wrong region, `Region` or `Endpoint`.
//! [`leaf`] finds the text of the first element with a given name and decodes XML's five named
//! entities and numeric character references. It is not an XML parser: it does not validate,
//! follow namespaces or nest, and it never panics, whatever the bytes. Anything it cannot read
//! is simply absent, and the caller falls back to the HTTP status. rusty-s3 (with its default
//! `xml` feature) parses the successful responses we read (ListObjectsV2, CreateMultipartUpload)
//! but has no type for error bodies; docs/RATIONALE.md says why this is not a new crate.

/// The text of the first `<name>...</name>` element in `xml`, entities decoded; `None` if there
/// is no such element, or it holds markup (a nested element, CDATA) rather than text.
pub fn leaf(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    let text = &xml[start..start + len];
    if text.contains('<') {
        return None;
    }
    Some(unescape(text))
}

/// An S3 error body's code and message: `("NoSuchKey", "The specified key does not exist.")`.
/// `None` unless the body is an `<Error>` document with a non-empty `Code`.
pub fn error(body: &str) -> Option<(String, String)> {
    if !body.contains("<Error>") {
        return None;
    }
    let code = leaf(body, "Code").filter(|c| !c.trim().is_empty())?;
    let message = leaf(body, "Message").unwrap_or_default();
    Some((code.trim().to_string(), message.trim().to_string()))
}

/// Decodes `&lt; &gt; &amp; &quot; &apos;` and `&#NN;` / `&#xHH;`; anything else is kept as
/// written (a stray `&` is not worth failing over).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let number = entity.strip_prefix('#')?;
                    let value = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse::<u32>().ok()?,
                    };
                    char::from_u32(value)
                }
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from AWS S3 (a presigned GET with a wrong secret), shortened.
    const SIGNATURE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256
20240101T000000Z</StringToSign><RequestId>4442587FB7D0A2F9</RequestId></Error>"#;

    /// Captured from AWS S3 (an unknown access key id).
    const ACCESS_KEY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message><AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId><RequestId>B5A8D1B1</RequestId><HostId>x/y=</HostId></Error>"#;

    /// Captured from moto.
    const NO_SUCH_KEY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>nokey</Key><RequestId>SP95</RequestId><HostId>9Gjj</HostId></Error>"#;

    #[test]
    fn codes_and_messages_of_captured_errors() {
        assert_eq!(
            error(SIGNATURE),
            Some((
                "SignatureDoesNotMatch".into(),
                "The request signature we calculated does not match the signature you provided. \
                 Check your key and signing method."
                    .into()
            ))
        );
        assert_eq!(
            error(ACCESS_KEY).unwrap().0,
            "InvalidAccessKeyId".to_string()
        );
        assert_eq!(
            error(NO_SUCH_KEY),
            Some((
                "NoSuchKey".into(),
                "The specified key does not exist.".into()
            ))
        );
        assert_eq!(leaf(NO_SUCH_KEY, "Key").as_deref(), Some("nokey"));
    }

    #[test]
    fn anything_else_is_no_error() {
        for body in [
            "",
            "not xml at all",
            "<Error>",
            "<Error><Code></Code></Error>",
            "<Error><Code><X/></Code></Error>",
            "<Error><Code>unterminated",
            "<ListBucketResult><Code>x</Code></ListBucketResult>",
            "<Error><Code>\u{0}&#xFFFFFFFF;&#;&",
        ] {
            assert_eq!(error(body), None, "{body:?}");
        }
        assert_eq!(
            error("<Error><Code>X</Code></Error>"),
            Some(("X".into(), String::new()))
        );
    }

    #[test]
    fn entities_are_decoded_and_strays_kept() {
        assert_eq!(
            unescape(
                "a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42; & &bogus; &#xD800;"
            ),
            "a <b> & \"c\" 'd' AB & &bogus; &#xD800;"
        );
        assert_eq!(unescape("trailing &amp"), "trailing &amp");
    }
}
