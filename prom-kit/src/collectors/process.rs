//! [`ProcessCollector`]: CPU, memory, file descriptors, threads and network of this
//! process, from `/proc` on Linux.

use crate::descriptor::Descriptor;
use crate::error::Result;
use crate::metrics::MetricType;
use crate::registry::{Collector, CollectorOutput};

/// Exposes the standard process metrics, with the names and types of Go's and Python's
/// clients:
///
/// | metric | type | source |
/// |---|---|---|
/// | `process_cpu_seconds_total` | counter | user + system time, `/proc/self/stat` |
/// | `process_open_fds` | gauge | entries of `/proc/self/fd` |
/// | `process_max_fds` | gauge | `Max open files` soft limit, `/proc/self/limits` |
/// | `process_virtual_memory_bytes` | gauge | `vsize`, `/proc/self/stat` |
/// | `process_virtual_memory_max_bytes` | gauge | `Max address space` soft limit (`unlimited` = 2^64 − 1, as in Go) |
/// | `process_resident_memory_bytes` | gauge | `rss` pages × page size |
/// | `process_start_time_seconds` | gauge | boot time + start ticks |
/// | `process_threads` | gauge | `num_threads`, `/proc/self/stat` |
/// | `process_network_receive_bytes_total` | counter | `/proc/self/net/dev`, all interfaces |
/// | `process_network_transmit_bytes_total` | counter | `/proc/self/net/dev`, all interfaces |
///
/// On other systems it compiles and reports nothing. A value whose source cannot be
/// read is left out of that scrape.
#[derive(Debug)]
pub struct ProcessCollector {
    descriptors: Descriptors,
}

#[derive(Debug)]
struct Descriptors {
    cpu: Descriptor,
    open_fds: Descriptor,
    max_fds: Descriptor,
    virtual_memory: Descriptor,
    virtual_memory_max: Descriptor,
    resident_memory: Descriptor,
    start_time: Descriptor,
    threads: Descriptor,
    network_receive: Descriptor,
    network_transmit: Descriptor,
}

impl Default for ProcessCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessCollector {
    /// A collector for the current process.
    pub fn new() -> Self {
        use MetricType::{Counter, Gauge};
        let describe = Descriptor::constant;
        Self {
            descriptors: Descriptors {
                cpu: describe(
                    "process_cpu_seconds_total",
                    "Total user and system CPU time spent in seconds.",
                    Counter,
                ),
                open_fds: describe(
                    "process_open_fds",
                    "Number of open file descriptors.",
                    Gauge,
                ),
                max_fds: describe(
                    "process_max_fds",
                    "Maximum number of open file descriptors.",
                    Gauge,
                ),
                virtual_memory: describe(
                    "process_virtual_memory_bytes",
                    "Virtual memory size in bytes.",
                    Gauge,
                ),
                virtual_memory_max: describe(
                    "process_virtual_memory_max_bytes",
                    "Maximum amount of virtual memory available in bytes.",
                    Gauge,
                ),
                resident_memory: describe(
                    "process_resident_memory_bytes",
                    "Resident memory size in bytes.",
                    Gauge,
                ),
                start_time: describe(
                    "process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.",
                    Gauge,
                ),
                threads: describe(
                    "process_threads",
                    "Number of OS threads in the process.",
                    Gauge,
                ),
                network_receive: describe(
                    "process_network_receive_bytes_total",
                    "Number of bytes received by the process over the network.",
                    Counter,
                ),
                network_transmit: describe(
                    "process_network_transmit_bytes_total",
                    "Number of bytes sent by the process over the network.",
                    Counter,
                ),
            },
        }
    }
}

impl Collector for ProcessCollector {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()> {
        #[cfg(target_os = "linux")]
        {
            let d = &self.descriptors;
            let readings = linux::read();
            let values = [
                (&d.cpu, readings.cpu_seconds),
                (&d.open_fds, readings.open_fds),
                (&d.max_fds, readings.max_fds),
                (&d.virtual_memory, readings.virtual_memory),
                (&d.virtual_memory_max, readings.virtual_memory_max),
                (&d.resident_memory, readings.resident_memory),
                (&d.start_time, readings.start_time),
                (&d.threads, readings.threads),
                (&d.network_receive, readings.network_receive),
                (&d.network_transmit, readings.network_transmit),
            ];
            for (descriptor, value) in values {
                if let Some(value) = value {
                    let mut family = out.family(descriptor);
                    if descriptor.kind() == MetricType::Counter {
                        family.counter(&(), value)?;
                    } else {
                        family.gauge(&(), value)?;
                    }
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (out, &self.descriptors);
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod linux {
    //! Reading `/proc/self` without libc: the clock tick and page size come from the
    //! auxiliary vector the kernel passed the process.

    /// One reading of every value; `None` where the source could not be read.
    #[derive(Debug, Default)]
    pub(super) struct Readings {
        pub(super) cpu_seconds: Option<f64>,
        pub(super) open_fds: Option<f64>,
        pub(super) max_fds: Option<f64>,
        pub(super) virtual_memory: Option<f64>,
        pub(super) virtual_memory_max: Option<f64>,
        pub(super) resident_memory: Option<f64>,
        pub(super) start_time: Option<f64>,
        pub(super) threads: Option<f64>,
        pub(super) network_receive: Option<f64>,
        pub(super) network_transmit: Option<f64>,
    }

    const AT_PAGESZ: u64 = 6;
    const AT_CLKTCK: u64 = 17;

    pub(super) fn read() -> Readings {
        let mut readings = Readings::default();
        let (clock_ticks, page_size) = auxv();
        if let Some(stat) = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .as_deref()
            .and_then(stat_fields)
        {
            let field = |i: usize| stat.get(i).and_then(|v| v.parse::<f64>().ok());
            readings.cpu_seconds = field(11)
                .zip(field(12))
                .map(|(user, system)| (user + system) / clock_ticks);
            readings.threads = field(17);
            readings.virtual_memory = field(20);
            readings.resident_memory = field(21).map(|pages| pages * page_size);
            readings.start_time = field(19)
                .zip(boot_time())
                .map(|(ticks, boot)| boot + ticks / clock_ticks);
        }
        readings.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|entries| entries.count() as f64);
        if let Ok(limits) = std::fs::read_to_string("/proc/self/limits") {
            readings.max_fds = soft_limit(&limits, "Max open files");
            readings.virtual_memory_max = soft_limit(&limits, "Max address space");
        }
        if let Some((received, sent)) = network() {
            readings.network_receive = Some(received);
            readings.network_transmit = Some(sent);
        }
        readings
    }

    /// The fields of `/proc/self/stat` after the command name, starting at `state`
    /// (field 3 of proc(5) is index 0).
    fn stat_fields(stat: &str) -> Option<Vec<&str>> {
        let after_name = &stat[stat.rfind(')')? + 1..];
        Some(after_name.split_whitespace().collect())
    }

    /// Clock ticks per second and page size, from `/proc/self/auxv`; Linux' usual
    /// 100 and 4096 if it cannot be read.
    fn auxv() -> (f64, f64) {
        let mut clock_ticks = 100.0;
        let mut page_size = 4096.0;
        if let Ok(bytes) = std::fs::read("/proc/self/auxv") {
            let word = std::mem::size_of::<usize>();
            for pair in bytes.chunks_exact(word * 2) {
                let (key, value) = pair.split_at(word);
                let (key, value) = (native_word(key), native_word(value));
                match key {
                    AT_CLKTCK if value > 0 => clock_ticks = value as f64,
                    AT_PAGESZ if value > 0 => page_size = value as f64,
                    _ => {}
                }
            }
        }
        (clock_ticks, page_size)
    }

    fn native_word(bytes: &[u8]) -> u64 {
        let mut buffer = [0u8; 8];
        let n = bytes.len().min(8);
        if cfg!(target_endian = "little") {
            buffer[..n].copy_from_slice(&bytes[..n]);
            u64::from_le_bytes(buffer)
        } else {
            buffer[8 - n..].copy_from_slice(&bytes[..n]);
            u64::from_be_bytes(buffer)
        }
    }

    fn boot_time() -> Option<f64> {
        std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse().ok())
    }

    /// The soft limit on the line starting with `name`; `unlimited` is 2^64 − 1.
    pub(super) fn soft_limit(limits: &str, name: &str) -> Option<f64> {
        let line = limits.lines().find(|l| l.starts_with(name))?;
        let soft = line[name.len()..].split_whitespace().next()?;
        if soft == "unlimited" {
            Some(u64::MAX as f64)
        } else {
            soft.parse().ok()
        }
    }

    /// Bytes received and sent over all interfaces of the process's network namespace.
    fn network() -> Option<(f64, f64)> {
        let dev = std::fs::read_to_string("/proc/self/net/dev").ok()?;
        let mut totals = (0.0, 0.0);
        for line in dev.lines().skip(2) {
            let (_, counters) = line.split_once(':')?;
            let fields: Vec<f64> = counters
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            totals.0 += fields.first().copied()?;
            totals.1 += fields.get(8).copied()?;
        }
        Some(totals)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests;
