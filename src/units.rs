//! Sizes as people read them in messages: `4 MiB`, `1.5 KiB`, `200 bytes`.

/// `n` bytes in the largest binary unit it reaches, one decimal when not whole.
pub fn size(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if n >= unit {
            return if n.is_multiple_of(unit) {
                format!("{} {name}", n / unit)
            } else {
                // Display only: the exact count is not needed once above a KiB.
                #[allow(clippy::cast_precision_loss)]
                let v = n as f64 / unit as f64;
                format!("{v:.1} {name}")
            };
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(4 << 20), "4 MiB");
        assert_eq!(size(200 << 20), "200 MiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(3 << 30), "3 GiB");
    }
}
