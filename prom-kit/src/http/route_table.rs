//! [`RouteTable`]: where a request finds the [`RouteSeries`] of its method, route and
//! extra label values.
//!
//! Route templates are few and fixed, so each (method, route, extra values) gets one
//! [`RouteSeries`], kept in a table shared by all threads (behind a mutex), and each
//! thread remembers the ones it used recently in a small direct-mapped cache of its own:
//! a request hashes its route text, compares it with the cached entry, and clones the
//! entry's `Arc` — no lock, no family lookup. The table keeps at most `limit` entries
//! (the families' series limit); past it, requests get an entry of their own that is not
//! kept (the families then decide, with their overflow series).

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use hashbrown::HashMap;

use super::exclusions::Exclusions;
use super::route_series::{Families, FindRoute, RouteSeries};
use crate::sync::Mutex;

/// Entries in each thread's cache (a power of two).
const THREAD_SLOTS: usize = 64;

/// Gives each table its own number, so that thread caches never confuse the entries of
/// two tables (a table's address may be reused after it is dropped; its number is not).
static NEXT_TABLE: AtomicU64 = AtomicU64::new(1);

/// The [`RouteSeries`] of one [`HttpMetrics`](super::HttpMetrics).
pub(super) struct RouteTable {
    id: u64,
    /// This table, for the entries to find it again.
    me: Weak<RouteTable>,
    families: Arc<Families>,
    /// The route label value of requests that matched no route.
    unmatched_route: Box<str>,
    /// The paths and routes not recorded.
    excluded: Exclusions,
    shared: Mutex<SharedRoutes>,
    limit: usize,
}

/// The entries every thread shares.
#[derive(Default)]
struct SharedRoutes {
    /// Entries by route text; the few methods and extra-value sets of a route in a list.
    by_route: HashMap<Box<str>, Vec<Arc<RouteSeries>>>,
    /// How many entries `by_route` holds.
    kept: usize,
}

/// A thread's recently used entries, of any table.
struct ThreadRoutes {
    /// Empty until the thread's first request, then [`THREAD_SLOTS`] long.
    slots: Vec<Option<Arc<RouteSeries>>>,
}

std::thread_local! {
    static THREAD_ROUTES: RefCell<ThreadRoutes> = const {
        RefCell::new(ThreadRoutes { slots: Vec::new() })
    };
}

impl RouteTable {
    /// An empty table over `families`, keeping at most `limit` entries; requests that
    /// matched no route are recorded under `unmatched_route`.
    pub(super) fn new(
        families: Families,
        limit: usize,
        unmatched_route: Box<str>,
        excluded: Exclusions,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            id: NEXT_TABLE.fetch_add(1, Ordering::Relaxed),
            me: Weak::clone(me),
            families: Arc::new(families),
            unmatched_route,
            excluded,
            shared: Mutex::new(SharedRoutes::default()),
            limit,
        })
    }

    /// The route label value of requests that matched no route.
    pub(super) fn unmatched_route(&self) -> &str {
        &self.unmatched_route
    }

    /// The paths and routes not recorded.
    pub(super) fn excluded(&self) -> &Exclusions {
        &self.excluded
    }

    /// The families the entries record into.
    pub(super) fn families(&self) -> &Families {
        &self.families
    }

    /// The entry of `method`, `route` and `extra`, created on first use.
    #[inline]
    pub(super) fn series(
        &self,
        method: &'static str,
        route: &str,
        extra: &[String],
    ) -> Arc<RouteSeries> {
        let slot = self.thread_slot(method, route);
        // `try_with`: a request from another thread-local's destructor (the cache may be
        // gone) takes the shared table.
        let cached = THREAD_ROUTES
            .try_with(|routes| {
                let routes = routes.try_borrow().ok()?;
                let entry = routes.slots.get(slot)?.as_ref()?;
                entry
                    .is(self.id, method, route, extra)
                    .then(|| Arc::clone(entry))
            })
            .ok()
            .flatten();
        cached.unwrap_or_else(|| self.series_uncached(slot, method, route, extra))
    }

    /// Where `method` and `route` of this table sit in a thread's cache.
    #[inline]
    fn thread_slot(&self, method: &'static str, route: &str) -> usize {
        let hash =
            foldhash::fast::FixedState::with_seed(self.id).hash_one((method.as_ptr(), route));
        // The high bits are the best mixed; six of them always fit a `usize`.
        usize::try_from(hash >> (64 - THREAD_SLOTS.trailing_zeros())).unwrap_or(0)
    }

    /// The entry from the shared table (created if new), remembered in this thread's
    /// cache.
    #[cold]
    fn series_uncached(
        &self,
        slot: usize,
        method: &'static str,
        route: &str,
        extra: &[String],
    ) -> Arc<RouteSeries> {
        let series = self.shared_series(method, route, extra);
        let _ = THREAD_ROUTES.try_with(|routes| {
            if let Ok(mut routes) = routes.try_borrow_mut() {
                if routes.slots.is_empty() {
                    routes.slots.resize_with(THREAD_SLOTS, || None);
                }
                // The entry it replaces is dropped after the borrow ends.
                let replaced = routes.slots[slot].replace(Arc::clone(&series));
                drop(routes);
                drop(replaced);
            }
        });
        series
    }

    fn shared_series(
        &self,
        method: &'static str,
        route: &str,
        extra: &[String],
    ) -> Arc<RouteSeries> {
        let mut shared = self.shared.lock();
        if let Some(found) = shared
            .by_route
            .get(route)
            .and_then(|list| list.iter().find(|s| s.is(self.id, method, route, extra)))
        {
            return Arc::clone(found);
        }
        let series = Arc::new(RouteSeries::new(
            Arc::clone(&self.families),
            (self.id, Weak::clone(&self.me) as Weak<dyn FindRoute>),
            method,
            route,
            extra,
        ));
        if shared.kept < self.limit {
            shared.kept += 1;
            match shared.by_route.get_mut(route) {
                Some(list) => list.push(Arc::clone(&series)),
                None => {
                    shared
                        .by_route
                        .insert(route.into(), vec![Arc::clone(&series)]);
                }
            }
        }
        series
    }

    /// How many entries the shared table keeps.
    #[cfg(test)]
    pub(super) fn kept(&self) -> usize {
        self.shared.lock().kept
    }
}

impl FindRoute for RouteTable {
    fn series(&self, method: &'static str, route: &str, extra: &[String]) -> Arc<RouteSeries> {
        RouteTable::series(self, method, route, extra)
    }

    fn unmatched_route(&self) -> &str {
        RouteTable::unmatched_route(self)
    }

    fn is_excluded_route(&self, route: &str) -> bool {
        self.excluded.contains_route(route)
    }
}
