//! A Pushgateway client, for jobs that cannot be scraped.
//!
//! # When to push, and when not to
//!
//! Prometheus pulls: a long-running service exposes `/metrics` (see the framework
//! adapters and [`server`](crate::server)) and is scraped. Push only from jobs that end
//! before a scrape could reach them — batch jobs, cron jobs, CI steps. The gateway keeps
//! whatever was pushed last **forever** (until deleted), never marks it stale, and turns
//! many instances into one scrape target; it is not a way to bridge firewalls or to
//! aggregate a fleet.
//!
//! # PUT, POST, DELETE
//!
//! - [`PushClient::push`] (`PUT`) replaces the whole group (all metrics under the
//!   grouping key) with what is pushed — the usual choice for a job that pushes its
//!   complete state once at the end.
//! - [`PushClient::push_add`] (`POST`) replaces only the metric families with the same
//!   names, keeping the group's other families.
//! - [`PushClient::delete`] (`DELETE`) removes the group.
//!
//! # Pitfalls handled by design
//!
//! - **Stale groups.** [`PushClient::start_periodic`] returns a [`PushHandle`] that
//!   pushes from a background task and deletes its group on
//!   [`shutdown`](PushHandle::shutdown) or drop.
//! - **Nodes overwriting each other.** Several instances of one job need distinct
//!   grouping keys: [`PushClientBuilder::instance_from_hostname`] adds
//!   `instance=<host name>`.
//! - **Counters from short jobs.** A counter pushed by a job that starts from zero every
//!   run does not accumulate across runs in the gateway — each push replaces it. Push
//!   what one run did as gauges (`last_run_records_processed`, `last_success_timestamp
//!   _seconds` via [`Gauge::set_to_current_time`](crate::Gauge::set_to_current_time)),
//!   or counters that carry the run's own totals, and alert on the success timestamp.
//! - **Native histograms** need the protobuf format:
//!   [`PushClientBuilder::protobuf`] (feature `protobuf`).
//! - **Label clashes.** A pushed series that carries `job` or a grouping label would be
//!   silently relabelled by the gateway; the client refuses it with
//!   [`ErrorKind::LabelClash`] before sending anything. No sample carries a timestamp
//!   (prom-kit never writes them), which the gateway would also refuse.
//!
//! Scrape the gateway with `honor_labels: true` so the pushed `job` and grouping labels
//! survive.
//!
//! ```no_run
//! use prom_kit::push::PushClient;
//! use prom_kit::{Gauge, Registry};
//!
//! # async fn run() -> prom_kit::Result<()> {
//! let registry = Registry::new();
//! let processed = Gauge::new();
//! registry.register("last_run_records_processed", "Records the last run processed.", processed.clone())?;
//! processed.set(1234.0);
//! let client = PushClient::builder("http://127.0.0.1:9091", "nightly_import")
//!     .instance_from_hostname()
//!     .build()?;
//! client.push(&registry).await?;
//! # Ok(()) }
//! ```

mod check;
mod grouping;
mod handle;
mod transport;

pub use handle::PushHandle;
pub use transport::GatewayResponse;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use grouping::GroupingKey;

use crate::EncodeOptions;
use crate::encoding::{EscapingScheme, Format};
use crate::error::{Error, ErrorKind, Result};
use crate::name::NameValidation;
use crate::registry::{AsyncCollection, Registry};

/// Pushes a registry's metrics to a Pushgateway under one grouping key. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PushClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    url: String,
    key: GroupingKey,
    timeout: Duration,
    authorization: Option<String>,
    gzip: bool,
    format: Format,
    /// How names outside the legacy set are pushed.
    escaping: EscapingScheme,
    transport: transport::Transport,
}

/// Configures a [`PushClient`]. Nothing is checked until [`build`](Self::build), which
/// reports the first problem of the whole configuration.
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PushClientBuilder {
    base: String,
    job: String,
    grouping: Vec<GroupingLabel>,
    timeout: Duration,
    authorization: Option<String>,
    gzip: bool,
    format: Format,
    utf8_names: bool,
}

/// A grouping label, as configured.
#[derive(Clone, Debug)]
enum GroupingLabel {
    /// A name and a value given by the caller.
    Given(String, String),
    /// `instance=<host name>`, the host name read when the client is built.
    Hostname,
}

impl PushClientBuilder {
    /// Adds a grouping label (`/<name>/<value>` in the URL). An invalid or reserved
    /// name, or `job`, fails [`build`](Self::build).
    pub fn grouping(mut self, name: &str, value: &str) -> Self {
        self.grouping
            .push(GroupingLabel::Given(name.to_owned(), value.to_owned()));
        self
    }

    /// Adds `instance=<host name>` to the grouping key, so that several nodes running
    /// the same job keep separate groups. A host name that cannot be read fails
    /// [`build`](Self::build).
    pub fn instance_from_hostname(mut self) -> Self {
        self.grouping.push(GroupingLabel::Hostname);
        self
    }

    /// Fails a push that takes longer than `timeout` (10 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends HTTP basic authentication.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.authorization = Some(format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{password}"))
        ));
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: &str) -> Self {
        self.authorization = Some(format!("Bearer {token}"));
        self
    }

    /// Pushes names outside the legacy set as they are, for a Pushgateway that takes
    /// them (1.11 and later, started with `--push.enable-utf8-names`): metric and label
    /// names in the body quoted (text) or raw (protobuf), grouping label names in the
    /// `U__` form the gateway decodes. Off by default: names are escaped with
    /// underscores, as older gateways require, and grouping label names must be legacy
    /// names.
    pub fn utf8_names(mut self, enabled: bool) -> Self {
        self.utf8_names = enabled;
        self
    }

    /// Gzips request bodies (off by default).
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.gzip = enabled;
        self
    }

    /// Pushes in the delimited protobuf format instead of text (needed for native
    /// histograms).
    #[cfg(feature = "protobuf")]
    #[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
    pub fn protobuf(mut self, enabled: bool) -> Self {
        self.format = if enabled {
            Format::Protobuf
        } else {
            Format::Text
        };
        self
    }

    /// Checks the configuration and creates the client.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidValue`] for an empty job name, a URL that is not `http://…`
    ///   (or `https://…` with the `push-tls` feature), or credentials that cannot be
    ///   sent in a header (control characters);
    /// - [`ErrorKind::InvalidLabelName`] or [`ErrorKind::ReservedLabelName`] for a
    ///   grouping label name that is invalid, reserved or `job`;
    /// - [`ErrorKind::Io`] if [`instance_from_hostname`](Self::instance_from_hostname)
    ///   was asked for and the host name cannot be read.
    pub fn build(self) -> Result<PushClient> {
        let validation = if self.utf8_names {
            NameValidation::Utf8
        } else {
            NameValidation::Legacy
        };
        let mut key = GroupingKey::new(&self.job)?;
        for label in &self.grouping {
            match label {
                GroupingLabel::Given(name, value) => key.insert(name, value, validation)?,
                GroupingLabel::Hostname => key.insert("instance", &hostname()?, validation)?,
            }
        }
        let transport = transport::Transport::new(&self.base)?;
        if let Some(authorization) = &self.authorization {
            http::HeaderValue::from_str(authorization).map_err(|e| {
                Error::with_source(
                    ErrorKind::InvalidValue,
                    "the credentials cannot be sent in an HTTP header",
                    e,
                )
            })?;
        }
        let url = format!("{}{}", self.base.trim_end_matches('/'), key.path());
        url.parse::<http::Uri>().map_err(|e| {
            Error::with_source(
                ErrorKind::InvalidValue,
                format!("gateway URL {:?}", self.base),
                e,
            )
        })?;
        Ok(PushClient {
            inner: Arc::new(Inner {
                url,
                key,
                timeout: self.timeout,
                authorization: self.authorization,
                gzip: self.gzip,
                format: self.format,
                escaping: if self.utf8_names {
                    EscapingScheme::AllowUtf8
                } else {
                    EscapingScheme::Underscores
                },
                transport,
            }),
        })
    }
}

/// A single-threaded runtime for exchanges made outside the caller's runtime.
fn private_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::with_source(ErrorKind::Io, "starting a runtime", e))
}

/// The host name, from the kernel or the environment.
fn hostname() -> Result<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::Io, "cannot determine the host name"))
}

/// The HTTP method of a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Put,
    Post,
    Delete,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        })
    }
}

impl PushClient {
    /// Starts configuring a client for the gateway at `base_url` (`http://host:9091`) and
    /// the job `job`; [`PushClientBuilder::build`] checks both.
    pub fn builder(base_url: &str, job: &str) -> PushClientBuilder {
        PushClientBuilder {
            base: base_url.to_owned(),
            job: job.to_owned(),
            grouping: Vec::new(),
            timeout: Duration::from_secs(10),
            authorization: None,
            gzip: false,
            format: Format::Text,
            utf8_names: false,
        }
    }

    /// The full URL of the group.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Replaces the whole group with `registry`'s metrics (`PUT`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelClash`] before sending if a series carries `job` or a grouping
    /// label; the registry's encoding error; [`ErrorKind::Transport`] on a network
    /// failure or timeout; [`ErrorKind::Rejected`] with a [`GatewayResponse`] source if
    /// the gateway answers anything but 200/202.
    pub async fn push(&self, registry: &Registry) -> Result<()> {
        self.send(Method::Put, Some(registry)).await
    }

    /// Replaces the families of the same names in the group (`POST`).
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub async fn push_add(&self, registry: &Registry) -> Result<()> {
        self.send(Method::Post, Some(registry)).await
    }

    /// Deletes the group (`DELETE`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Transport`] or [`ErrorKind::Rejected`] as for [`push`](Self::push).
    pub async fn delete(&self) -> Result<()> {
        self.send(Method::Delete, None).await
    }

    /// [`push`](Self::push) for code without an async runtime (a plain `main`).
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push), and [`ErrorKind::Io`] if no runtime can be started.
    pub fn push_blocking(&self, registry: &Registry) -> Result<()> {
        self.blocking(Method::Put, Some(registry))
    }

    /// [`push_add`](Self::push_add) for code without an async runtime.
    ///
    /// # Errors
    ///
    /// As [`push_blocking`](Self::push_blocking).
    pub fn push_add_blocking(&self, registry: &Registry) -> Result<()> {
        self.blocking(Method::Post, Some(registry))
    }

    /// [`delete`](Self::delete) for code without an async runtime.
    ///
    /// # Errors
    ///
    /// As [`push_blocking`](Self::push_blocking).
    pub fn delete_blocking(&self) -> Result<()> {
        self.blocking(Method::Delete, None)
    }

    /// Pushes `registry` (`PUT`) every `interval`, the first time at once, from a thread
    /// of its own (with its own single-threaded runtime and connections, so it works in
    /// synchronous programs and never waits on the caller's runtime); the returned handle
    /// deletes the group when shut down or dropped.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] if the thread or its runtime cannot be started.
    pub fn start_periodic(&self, registry: Registry, interval: Duration) -> Result<PushHandle> {
        PushHandle::start(self, registry, interval)
    }

    /// The same client with a connection pool of its own. A pooled connection is served
    /// by a task of the runtime that opened it, so a client used on another runtime (a
    /// private one) must not reuse it: that runtime may be blocked waiting for this very
    /// exchange (a current-thread runtime whose only thread is dropping a handle).
    fn with_own_connections(&self) -> Result<Self> {
        let inner = &*self.inner;
        Ok(Self {
            inner: Arc::new(Inner {
                url: inner.url.clone(),
                key: inner.key.clone(),
                timeout: inner.timeout,
                authorization: inner.authorization.clone(),
                gzip: inner.gzip,
                format: inner.format,
                escaping: inner.escaping,
                transport: transport::Transport::new(&inner.url)?,
            }),
        })
    }

    /// Runs one exchange on a private single-threaded runtime with connections of its
    /// own, on a scoped thread so that it also works when the caller is itself inside a
    /// runtime (a current-thread one included).
    fn blocking(&self, method: Method, registry: Option<&Registry>) -> Result<()> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = private_runtime()?;
                    let client = self.with_own_connections()?;
                    runtime.block_on(client.send(method, registry))
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(Error::new(ErrorKind::Transport, "the push thread panicked"))
                })
        })
    }

    async fn send(&self, method: Method, registry: Option<&Registry>) -> Result<()> {
        let body = match registry {
            Some(registry) => {
                // Async collectors get half the push's time; one that fails or is late
                // fails the push, as a failing collector does: a PUT would otherwise
                // delete its families from the group.
                let collection = registry.collect_async(self.inner.timeout / 2).await;
                if !collection.failures().is_empty() {
                    return Err(collection.into_first_error().unwrap_or_else(|| {
                        Error::new(ErrorKind::Collect, "an async collector failed")
                    }));
                }
                self.body(registry, &collection)?
            }
            None => Vec::new(),
        };
        let inner = &*self.inner;
        let request = transport::Request {
            method,
            url: &inner.url,
            body,
            content_type: registry.map(|_| inner.format.content_type()),
            gzip: inner.gzip && registry.is_some(),
            authorization: inner.authorization.as_deref(),
        };
        let exchange = inner.transport.send(request);
        let response = tokio::time::timeout(inner.timeout, exchange)
            .await
            .map_err(|elapsed| {
                Error::with_source(
                    ErrorKind::Transport,
                    format!("{method} {} timed out", inner.url),
                    elapsed,
                )
            })??;
        if matches!(response.status, 200 | 202) {
            Ok(())
        } else {
            let context = format!("{method} {} answered {response}", inner.url);
            Err(Error::with_source(ErrorKind::Rejected, context, response))
        }
    }

    /// The body in the client's format, refused if a series would clash with the
    /// grouping key (checked on the text encoding).
    fn body(&self, registry: &Registry, collection: &AsyncCollection) -> Result<Vec<u8>> {
        let options = |format| {
            EncodeOptions::new(format)
                .escaping(self.inner.escaping)
                .collected(collection)
        };
        let text = registry.render(options(Format::Text))?;
        let clash = {
            let rendered = String::from_utf8_lossy(&text);
            let used = check::label_names(&rendered);
            self.inner
                .key
                .names()
                .find(|name| used.contains(*name))
                .map(str::to_owned)
        };
        if let Some(clash) = clash {
            return Err(Error::new(
                ErrorKind::LabelClash,
                format!("a pushed series carries the grouping label {clash:?}"),
            ));
        }
        if self.inner.format == Format::Text {
            return Ok(text);
        }
        registry.render(options(self.inner.format))
    }
}

#[cfg(test)]
mod tests;
