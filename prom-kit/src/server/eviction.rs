//! The open connections of the server, and which one makes room for a new client at the
//! connection limit.
//!
//! At the limit, a new connection evicts the one that has waited longest for a complete
//! request head (slowloris connections among them); failing that, the one idle longest
//! between keep-alive requests. A connection serving a request, or sending its
//! response, is never evicted: if every connection is, the new one waits for a slot.
//! So clients that hold connections without using them cannot keep scrapes out, while
//! the number of open connections stays bounded.

use std::sync::{Arc, Weak};

use super::connection::Activity;

/// The connections open (their activities; a closed connection's is gone).
#[derive(Debug, Default)]
pub(super) struct OpenConnections {
    open: Vec<Weak<Activity>>,
}

impl OpenConnections {
    /// Adds a connection just accepted.
    pub(super) fn add(&mut self, activity: &Arc<Activity>) {
        self.open.retain(|weak| weak.strong_count() > 0);
        self.open.push(Arc::downgrade(activity));
    }

    /// Evicts the connection that waited longest for a request head or, if none does,
    /// the one idle longest; returns whether one was evicted (its slot is free once its
    /// task has closed it).
    pub(super) fn evict_one(&mut self) -> bool {
        self.open.retain(|weak| weak.strong_count() > 0);
        loop {
            let victim = self
                .open
                .iter()
                .filter_map(Weak::upgrade)
                .filter_map(|activity| activity.eviction_rank().map(|rank| (rank, activity)))
                .min_by_key(|(rank, _)| *rank);
            let Some((_, victim)) = victim else {
                return false;
            };
            // It may have completed a request head since it was ranked: look again.
            if victim.evict() {
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn heads_go_first_then_the_longest_idle_never_one_serving() {
        let mut open = OpenConnections::default();
        let idle_long = Activity::accepted();
        idle_long.serving();
        idle_long.served();
        tokio::time::advance(Duration::from_secs(1)).await;
        let head_old = Activity::accepted();
        tokio::time::advance(Duration::from_secs(1)).await;
        let head_new = Activity::accepted();
        let idle_short = Activity::accepted();
        idle_short.serving();
        idle_short.served();
        let serving = Activity::accepted();
        serving.serving();
        let sending = Activity::accepted();
        sending.serving();
        sending.responded();
        let closed = Activity::accepted();
        for activity in [
            &idle_long,
            &head_old,
            &head_new,
            &idle_short,
            &serving,
            &sending,
            &closed,
        ] {
            open.add(activity);
        }
        drop(closed);
        let evicted = |activity: &Arc<Activity>| activity.eviction_rank().is_none();
        let order = [&head_old, &head_new, &idle_long, &idle_short];
        for (n, victim) in order.iter().enumerate() {
            assert!(open.evict_one(), "eviction {n}");
            assert!(evicted(victim), "eviction {n} took the wrong connection");
            for later in &order[n + 1..] {
                assert!(!evicted(later), "eviction {n} took a later one too");
            }
        }
        assert!(!open.evict_one(), "serving and sending connections stay");
    }
}
