//! Which platforms of an index are scanned: the ones the policy names (`scanner.platforms`),
//! else linux/amd64 and linux/arm64, matched the way a container runtime picks an index child —
//! a wanted platform without a variant takes any variant (`linux/arm64` matches
//! `linux/arm64/v8`); one with a variant takes only that variant.

/// The platforms scanned by default, where the index has them.
pub const DEFAULT: [&str; 2] = ["linux/amd64", "linux/arm64"];

/// Does the index child's platform `have` satisfy the wanted `want` (`os/arch[/variant]`)?
pub fn satisfies(have: &str, want: &str) -> bool {
    let mut h = have.split('/');
    let mut w = want.split('/');
    let (Some(ho), Some(ha), Some(wo), Some(wa)) = (h.next(), h.next(), w.next(), w.next()) else {
        return have == want;
    };
    if !ho.eq_ignore_ascii_case(wo) || !ha.eq_ignore_ascii_case(wa) {
        return false;
    }
    match w.next() {
        None => true,
        Some(wv) => h.next().is_some_and(|hv| hv.eq_ignore_ascii_case(wv)),
    }
}

/// The index children's platforms (as the index spells them) to scan, in index order.
/// `wanted` empty: [`DEFAULT`].
pub fn select(available: &[String], wanted: &[String]) -> Vec<String> {
    let wanted: Vec<&str> = if wanted.is_empty() {
        DEFAULT.to_vec()
    } else {
        wanted.iter().map(String::as_str).collect()
    };
    let mut out: Vec<String> = Vec::new();
    for w in wanted {
        // The first child that satisfies it, as a runtime would pull.
        if let Some(p) = available.iter().find(|p| satisfies(p, w)) {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out.sort_by_key(|p| available.iter().position(|a| a == p));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_platform_without_variant_takes_any_variant() {
        let index = v(&[
            "linux/amd64",
            "linux/arm/v7",
            "linux/arm64/v8",
            "windows/amd64",
        ]);
        assert_eq!(select(&index, &[]), v(&["linux/amd64", "linux/arm64/v8"]));
        assert_eq!(select(&index, &v(&["linux/arm"])), v(&["linux/arm/v7"]));
        assert_eq!(select(&index, &v(&["linux/arm/v6"])), Vec::<String>::new());
        assert_eq!(
            select(&index, &v(&["windows/amd64", "linux/amd64"])),
            v(&["linux/amd64", "windows/amd64"])
        );
        assert!(!satisfies("linux/arm64", "linux/arm64/v8"));
        assert!(satisfies("linux/arm64/v8", "linux/arm64"));
    }
}
