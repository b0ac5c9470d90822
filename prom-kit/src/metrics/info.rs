//! [`Info`]: constant key-value facts about the target.

use std::sync::Arc;

use super::MetricType;
use crate::error::Result;
use crate::labels::render::render_pairs;

/// An info metric: constant labels describing the target, exposed as `<name>_info{…} 1`
/// (a gauge in the text format, type `info` in OpenMetrics).
///
/// ```
/// use prom_kit::{Info, Registry};
///
/// let registry = Registry::new();
/// registry.register("build", "Build facts.", Info::new([("version", "1.2.0"), ("commit", "abc")])?)?;
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP build_info Build facts.
/// ## TYPE build_info gauge
/// build_info{version=\"1.2.0\",commit=\"abc\"} 1
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Info {
    names: Arc<[Box<str>]>,
    rendered: Arc<str>,
}

impl Info {
    /// Creates an info metric from `(label name, value)` pairs.
    ///
    /// Label names are checked as UTF-8 names here, and under its
    /// [`NameValidation`](crate::NameValidation) by the registry the metric is registered in.
    ///
    /// # Errors
    ///
    /// An empty, reserved (`__` prefix, or written with one by an escaping scheme:
    /// see [`NameValidation`](crate::NameValidation)) or repeated label name.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        let names: Vec<Box<str>> = pairs.iter().map(|(n, _)| Box::from(*n)).collect();
        MetricType::Info.check_label_names(&names)?;
        let mut rendered = String::new();
        render_pairs(&mut rendered, pairs);
        Ok(Self {
            names: names.into(),
            rendered: rendered.into(),
        })
    }

    /// A program's build facts, as Go's `version` collector reports them: `version`,
    /// `revision` (a VCS commit, or `unknown`), `rustc_version` and `target` (the Rust
    /// compiler and target triple prom-kit was built with, the same as the program's in
    /// any single build). [`build_info!`](crate::build_info) fills in the calling crate's
    /// version.
    ///
    /// ```
    /// use prom_kit::{Info, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register("shop_build", "Build facts.", Info::build_info("1.4.2", "9f2c1e0"))?;
    /// let text = registry.encode_text()?;
    /// // `rustc_version` and `target` are the building compiler's: not known here.
    /// assert!(text.starts_with(
    ///     "# HELP shop_build_info Build facts.\n# TYPE shop_build_info gauge\n\
    ///      shop_build_info{version=\"1.4.2\",revision=\"9f2c1e0\",rustc_version=\""
    /// ));
    /// assert!(text.contains("\",target=\"") && text.ends_with("\"} 1\n"));
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn build_info(version: &str, revision: &str) -> Self {
        let pairs = [
            ("version", version),
            ("revision", revision),
            ("rustc_version", env!("PROM_KIT_RUSTC_VERSION")),
            ("target", env!("PROM_KIT_TARGET")),
        ];
        let names: Vec<Box<str>> = pairs.iter().map(|(n, _)| Box::from(*n)).collect();
        let mut rendered = String::new();
        render_pairs(&mut rendered, pairs);
        Self {
            names: names.into(),
            rendered: rendered.into(),
        }
    }

    /// The label names.
    pub fn label_names(&self) -> &[Box<str>] {
        &self.names
    }

    /// The rendered label pairs.
    pub(crate) fn rendered(&self) -> &str {
        &self.rendered
    }
}
