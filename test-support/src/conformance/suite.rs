//! [`conformance_suite!`](crate::conformance_suite): the suite as `#[test]`s.

/// Expands to one `#[test]` per case of the conformance suite, run against the
/// [`Adapter`](crate::conformance::Adapter) `$adapter` (a type named at the root of the
/// test crate): every case in a module `multi_thread` (the app served by two threads),
/// and the cases whose outcome depends on how requests share threads again in a module
/// `single_thread` (one thread for the server and every request).
#[macro_export]
macro_rules! conformance_suite {
    ($adapter:ident) => {
        /// The conformance suite, the app served by two threads.
        mod multi_thread {
            $crate::conformance_suite!(@cases $adapter, MultiThread:
                metrics_endpoint_negotiates_compresses_and_restricts_methods,
                metrics_endpoint_negotiates_utf8_names_and_filters_by_name,
                requests_are_labelled_by_route_and_status,
                case_variant_methods_are_labelled_other,
                cancelled_requests_leave_the_in_flight_gauge,
                duration_includes_the_streamed_body,
                exemplar_hook_attaches_trace_ids,
                exemplar_hook_with_control_characters_counts_without_exemplar,
                traceparent_headers_become_exemplars,
                panicking_hooks_cost_only_their_output,
                large_scrapes_do_not_stall_the_server,
                unmatched_request_flood_keeps_series_and_memory_bounded,
                scrape_storm_is_limited_and_leaves_other_routes_responsive,
                a_stalled_reader_holds_its_scrape_slot,
                graceful_shutdown_completes_requests_in_flight,
                async_collectors_meet_the_scrape_deadline,
            );
        }

        /// The cases that depend on how requests share threads, the app served by one
        /// thread.
        mod single_thread {
            $crate::conformance_suite!(@cases $adapter, SingleThread:
                cancelled_requests_leave_the_in_flight_gauge,
                duration_includes_the_streamed_body,
                large_scrapes_do_not_stall_the_server,
                scrape_storm_is_limited_and_leaves_other_routes_responsive,
                graceful_shutdown_completes_requests_in_flight,
                async_collectors_meet_the_scrape_deadline,
            );
        }
    };
    (@cases $adapter:ident, $runtime:ident: $($case:ident,)*) => {
        use super::$adapter;

        $(
            #[test]
            fn $case() {
                $crate::conformance::cases::$case::<$adapter>(
                    $crate::conformance::Runtime::$runtime,
                );
            }
        )*
    };
}
