//! Installing the recorder globally: the facade's macros then write into the registry
//! from any thread, and a second installation is refused with a typed error (the
//! facade allows one global recorder per process). A binary of its own: the global
//! recorder cannot be taken back.

use prom_kit::{ErrorKind, Registry};
use prom_kit_metrics::PromKitRecorder;

#[test]
fn install_makes_the_recorder_global_once() {
    let registry = Registry::new();
    PromKitRecorder::builder(&registry).install().unwrap();
    std::thread::spawn(|| metrics::counter!("from_a_thread").increment(2))
        .join()
        .unwrap();
    metrics::gauge!("from_main").set(1.5);
    let text = registry.encode_text().unwrap();
    assert!(text.contains("\nfrom_a_thread_total 2\n"), "{text}");
    assert!(text.contains("\nfrom_main 1.5\n"), "{text}");

    let error = PromKitRecorder::builder(&Registry::new())
        .install()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AlreadyRegistered);
    // The first recorder still records.
    metrics::counter!("from_a_thread").increment(1);
    assert!(
        registry
            .encode_text()
            .unwrap()
            .contains("\nfrom_a_thread_total 3\n")
    );
}
