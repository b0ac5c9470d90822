//! [`LeTexts`]: the `le` label values of a histogram family's bucket bounds, rendered
//! once per scrape instead of once per bucket line.

use super::number::write_bound;

/// The rendered bounds of the last histogram written; the histograms of one family
/// nearly always share their bounds, so a family renders them once.
#[derive(Debug, Default)]
pub(crate) struct LeTexts {
    bounds: Vec<f64>,
    openmetrics: bool,
    text: Vec<u8>,
    /// Where each bound's text ends in `text`.
    ends: Vec<usize>,
}

impl LeTexts {
    /// Makes [`get`](Self::get) answer for `bounds`, rendering them unless they are the
    /// ones already rendered.
    pub(crate) fn prepare(&mut self, bounds: &[f64], openmetrics: bool) {
        if self.bounds == bounds && self.openmetrics == openmetrics && !self.ends.is_empty() {
            return;
        }
        self.bounds.clear();
        self.bounds.extend_from_slice(bounds);
        self.openmetrics = openmetrics;
        self.text.clear();
        self.ends.clear();
        for &bound in bounds {
            write_bound(&mut self.text, bound, openmetrics);
            self.ends.push(self.text.len());
        }
        self.ends.push(self.text.len());
    }

    /// The `le` text of bucket `index`: its bound, or `+Inf` past the last one.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> &[u8] {
        if index >= self.bounds.len() {
            return b"+Inf";
        }
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_format_and_rerenders_on_change() {
        let mut le = LeTexts::default();
        le.prepare(&[0.005, 1.0, 1e6], false);
        let texts: Vec<&[u8]> = (0..4).map(|i| le.get(i)).collect();
        assert_eq!(texts, [&b"0.005"[..], b"1", b"1e+06", b"+Inf"]);
        le.prepare(&[0.005, 1.0, 1e6], true);
        assert_eq!(le.get(1), b"1.0");
        le.prepare(&[2.5], true);
        assert_eq!(le.get(0), b"2.5");
        assert_eq!(le.get(1), b"+Inf");
        le.prepare(&[], false);
        assert_eq!(le.get(0), b"+Inf");
    }
}
