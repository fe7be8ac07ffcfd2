//! How an error is shown: the error and its sources on one line.

/// An error and its sources on one line, `a: b: c`, like anyhow's `{:#}`; a source whose text
/// its error already ends with is not repeated.
pub fn chain_text(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.ends_with(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}
