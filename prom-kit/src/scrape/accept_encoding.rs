//! `Accept-Encoding`: whether a scraper takes a gzipped response.

/// Whether an `Accept-Encoding` value accepts gzip, as RFC 9110 §12.5.3 defines it: an
/// explicit `gzip` (or its alias `x-gzip`) decides by its own weight, so `gzip;q=0`
/// refuses gzip even next to an acceptable `*`; otherwise `*` decides; otherwise gzip is
/// not acceptable. An element whose weight is not a valid `qvalue` is ignored.
pub(crate) fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(value) = accept_encoding else {
        return false;
    };
    let mut gzip_weight: Option<u16> = None;
    let mut any_weight: Option<u16> = None;
    for element in value.split(',') {
        let mut parts = element.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let mut weight = Some(1000);
        for parameter in parts {
            if let Some((key, value)) = parameter.split_once('=') {
                if key.trim().eq_ignore_ascii_case("q") {
                    weight = parse_qvalue(value.trim());
                }
            }
        }
        let Some(weight) = weight else { continue };
        let slot = if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut gzip_weight
        } else if coding == "*" {
            &mut any_weight
        } else {
            continue;
        };
        *slot = Some(slot.map_or(weight, |w| w.max(weight)));
    }
    gzip_weight.or(any_weight).is_some_and(|w| w > 0)
}

/// An RFC 9110 `qvalue` (`0`, `0.5`, `1.000`, …) in thousandths, or `None` if malformed.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, digit) in fraction.bytes().enumerate() {
        thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_acceptance() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("br, deflate")));
        assert!(!accepts_gzip(Some("gzip;q=nope")));
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("")));
        // RFC 9110 §12.5.3: an explicit q=0 refuses the coding, whatever `*` says.
        assert!(!accepts_gzip(Some("gzip;q=0, *")));
        assert!(!accepts_gzip(Some("*, gzip;q=0")));
        assert!(!accepts_gzip(Some("gzip; q=0.000, *;q=1")));
        assert!(accepts_gzip(Some("gzip;q=0.001, *;q=0")));
        assert!(!accepts_gzip(Some("*;q=0")));
        assert!(!accepts_gzip(Some("*;q=0, br")));
        assert!(accepts_gzip(Some("x-gzip")));
        assert!(accepts_gzip(Some("br;q=1.0, gzip;q=0.8, *;q=0.1")));
        assert!(accepts_gzip(Some(" GZip ; Q=1 ")));
        // Malformed weights (RFC: at most three decimals, at most 1) drop the element.
        assert!(!accepts_gzip(Some("gzip;q=0.5000")));
        assert!(!accepts_gzip(Some("gzip;q=1.5")));
        assert!(!accepts_gzip(Some("gzip;q=-1")));
        assert!(!accepts_gzip(Some("gzip;q=")));
        assert!(!accepts_gzip(Some("gzip;q=0.")));
        assert!(accepts_gzip(Some("gzip;q=bad, *")));
        assert!(accepts_gzip(Some(",,gzip,,")));
    }

    #[test]
    fn qvalues_follow_the_grammar() {
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.125"), Some(125));
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        for bad in [
            "1.001", "2", "00", ".5", "0.1234", "", "+0.5", "0x1", "1e0", "0.٣",
        ] {
            assert_eq!(parse_qvalue(bad), None, "{bad}");
        }
    }
}
