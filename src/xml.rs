//! Text made safe for XML and HTML, in element content and in attribute
//! values alike: the JUnit report, the SVG charts, the HTML report and the
//! dashboard all write names and messages that come from a user or a file.

/// Escape `text` for XML 1.0 and HTML.
///
/// - `& < > " '` become references (`'` as `&#39;`, which HTML 4 knows too,
///   unlike `&apos;`).
/// - Tab, LF and CR become `&#9;`, `&#10;`, `&#13;`: raw, an XML parser
///   turns them into spaces in an attribute value and a CR into LF anywhere.
/// - Characters XML 1.0 forbids (the C0 controls other than those three,
///   U+FFFE and U+FFFF) become U+FFFD, and so do DEL and the C1 controls,
///   which XML 1.0 discourages and HTML counts as a parse error.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_references() {
        assert_eq!(escape("a'b\"c&<>"), "a&#39;b&quot;c&amp;&lt;&gt;");
        assert_eq!(escape("&amp;"), "&amp;amp;", "escaping is not idempotent");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn whitespace_survives_attribute_and_line_end_normalization() {
        assert_eq!(escape("a\tb\nc\r\nd e"), "a&#9;b&#10;c&#13;&#10;d e");
    }

    #[test]
    fn what_xml_cannot_hold_becomes_the_replacement_character() {
        for c in (0u32..0x20).filter(|c| ![9, 10, 13].contains(c)) {
            let c = char::from_u32(c).unwrap();
            assert_eq!(
                escape(&format!("x{c}y")),
                "x\u{FFFD}y",
                "U+{:04X}",
                c as u32
            );
        }
        for c in [
            '\u{7F}', '\u{80}', '\u{85}', '\u{9F}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert_eq!(escape(&c.to_string()), "\u{FFFD}", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn everything_else_passes_through() {
        let text = "GET /é?q=日本 \u{A0}\u{FFFD}\u{FFFC}\u{10000}\u{10FFFF} 😀";
        assert_eq!(escape(text), text);
    }
}
