//! Validation of metric names, label names and units.

use crate::error::{Error, ErrorKind, Result};

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn check_metric_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let valid = match bytes.next() {
        Some(first) => {
            (first.is_ascii_alphabetic() || first == b'_' || first == b':')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(Error::about(ErrorKind::InvalidMetricName, name))
    }
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*` and rejects the reserved `__` prefix.
pub(crate) fn check_label_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let valid = match bytes.next() {
        Some(first) => {
            (first.is_ascii_alphabetic() || first == b'_')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        None => false,
    };
    if !valid {
        return Err(Error::about(ErrorKind::InvalidLabelName, name));
    }
    if name.starts_with("__") {
        return Err(Error::about(ErrorKind::ReservedLabelName, name));
    }
    Ok(())
}

/// Checks a list of label names: each valid, none repeated.
pub(crate) fn check_label_names<S: AsRef<str>>(names: &[S]) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        let name = name.as_ref();
        check_label_name(name)?;
        if names[..i].iter().any(|other| other.as_ref() == name) {
            return Err(Error::about(ErrorKind::DuplicateLabelName, name));
        }
    }
    Ok(())
}

/// Checks a unit: a non-empty run of `[a-zA-Z0-9_:]` that can be appended as `_<unit>`.
pub(crate) fn check_unit(unit: &str) -> Result<()> {
    if !unit.is_empty()
        && unit
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
    {
        Ok(())
    } else {
        Err(Error::about(ErrorKind::InvalidUnit, unit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        for ok in ["a", "_a", ":a", "a:b_c9", "A", "http_requests_total"] {
            assert!(check_metric_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9a", "a-b", "a b", "é", "a.b", "a{"] {
            assert_eq!(
                check_metric_name(bad).unwrap_err().kind(),
                ErrorKind::InvalidMetricName,
                "{bad}"
            );
        }
    }

    #[test]
    fn label_names() {
        for ok in ["a", "_a", "a9", "le", "method"] {
            assert!(check_label_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9a", "a:b", "a-b", "ü"] {
            assert_eq!(
                check_label_name(bad).unwrap_err().kind(),
                ErrorKind::InvalidLabelName,
                "{bad}"
            );
        }
        assert_eq!(
            check_label_name("__name__").unwrap_err().kind(),
            ErrorKind::ReservedLabelName
        );
        assert_eq!(
            check_label_names(&["a", "b", "a"]).unwrap_err().kind(),
            ErrorKind::DuplicateLabelName
        );
    }

    #[test]
    fn units() {
        assert!(check_unit("seconds").is_ok());
        assert_eq!(check_unit("").unwrap_err().kind(), ErrorKind::InvalidUnit);
        assert_eq!(
            check_unit("a b").unwrap_err().kind(),
            ErrorKind::InvalidUnit
        );
    }
}
