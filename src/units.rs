//! Units as people write and read them: sizes in messages (`4 MiB`, `1.5 KiB`, `200 bytes`) and
//! durations on the command line and in the policy (`30`, `30s`, `5m`, `1h`).

use std::time::Duration;

/// A duration as the command line and the policy take it: whole seconds (`30`), or a number
/// with `s`, `m` or `h` (`30s`, `5m`, `1h`). `None` when it is not one.
pub fn parse_duration(v: &str) -> Option<Duration> {
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let n: u64 = v[..split].parse().ok()?;
    let unit = match &v[split..] {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    n.checked_mul(unit).map(Duration::from_secs)
}

/// `--timeout` and the like (clap `value_parser`).
pub fn duration_arg(v: &str) -> Result<Duration, String> {
    parse_duration(v)
        .ok_or_else(|| format!("`{v}` is not a duration: use seconds or `30s`, `5m`, `1h`"))
}

/// A duration as people write it back: `1h`, `5m`, `90s`, `2.5s`, as [`parse_duration`] reads
/// whole ones.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_nanos() != 0 {
        return format!("{}s", d.as_secs_f64());
    }
    match s {
        0 => "0s".to_string(),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

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
    use super::*;

    #[test]
    fn durations_print_as_written() {
        for (d, text) in [(3, "3s"), (90, "90s"), (300, "5m"), (7200, "2h"), (0, "0s")] {
            assert_eq!(duration(Duration::from_secs(d)), text);
            assert_eq!(parse_duration(text), Some(Duration::from_secs(d)));
        }
        assert_eq!(duration(Duration::from_millis(3600)), "3.6s");
    }

    #[test]
    fn durations_take_seconds_and_units() {
        assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        for bad in ["", "m", "5 m", "1.5m", "-1s", "5d", "99999999999999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert!(duration_arg("ten").unwrap_err().contains("`ten`"));
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(4 << 20), "4 MiB");
        assert_eq!(size(200 << 20), "200 MiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(3 << 30), "3 GiB");
    }
}
