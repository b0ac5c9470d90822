//! [`intern`]: one `'static` copy of each distinct label value.

use std::sync::LazyLock;

use hashbrown::HashSet;
use parking_lot::Mutex;

static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);

/// Returns a `&'static str` equal to `value`, the same one for every call with equal text.
///
/// Label values that are only known at run time but come from a small, fixed set — read
/// from configuration, a route table, a list of tenants — can be interned once and then
/// looked up through [`Family::with_static`](crate::Family::with_static), the fastest
/// string-keyed path. Each distinct text is kept for the rest of the program, so never
/// intern values that keep changing (user input, ids, timestamps).
///
/// ```
/// use prom_kit::labels::intern;
///
/// let a = intern(&String::from("eu-west"));
/// let b = intern("eu-west");
/// assert_eq!(a, "eu-west");
/// assert!(std::ptr::eq(a, b));
/// ```
pub fn intern(value: &str) -> &'static str {
    let mut interned = INTERNED.lock();
    if let Some(&existing) = interned.get(value) {
        return existing;
    }
    let leaked: &'static str = String::from(value).leak();
    interned.insert(leaked);
    leaked
}
