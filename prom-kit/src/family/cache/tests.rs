use super::*;

#[test]
fn hits_only_exact_values_of_the_current_generation() {
    let mut cache = LookupCache::<u32>::new();
    cache.put(1, 7, 1, &ByBytes(&["GET", "200"]), 10);
    assert_eq!(cache.get(1, 7, 1, &ByBytes(&["GET", "200"])), Some(&10));
    assert_eq!(
        cache.get(1, 7, 1, &ByBytes(&[String::from("GET"), "200".into()])),
        Some(&10)
    );
    // Same hash, other values (a collision) or another split: no hit.
    assert_eq!(cache.get(1, 7, 1, &ByBytes(&["GET", "201"])), None);
    assert_eq!(cache.get(1, 7, 1, &ByBytes(&["GE", "T200"])), None);
    assert_eq!(cache.get(1, 7, 1, &ByBytes(&["GET"])), None);
    // Another family's entry with the same tag: no hit.
    assert_eq!(cache.get(2, 7, 1, &ByBytes(&["GET", "200"])), None);
    // A removal since: no hit.
    assert_eq!(cache.get(1, 7, 2, &ByBytes(&["GET", "200"])), None);
}

#[test]
fn colliding_tags_share_a_window() {
    let mut cache = LookupCache::<usize>::new();
    // Tags with the same top bits start at the same slot.
    let tag = |i: usize| (5 << 58) | (2 * i as u64 + 1);
    let keys: Vec<String> = (0..=PROBE_WINDOW).map(|i| format!("k{i}")).collect();
    for (i, k) in keys.iter().enumerate().take(PROBE_WINDOW) {
        cache.put(1, tag(i), 0, &ByBytes(&[k]), i);
    }
    for (i, k) in keys.iter().enumerate().take(PROBE_WINDOW) {
        assert_eq!(cache.get(1, tag(i), 0, &ByBytes(&[k])), Some(&i));
    }
    // A full window evicts one entry, never a wrong answer.
    cache.put(
        1,
        tag(PROBE_WINDOW),
        0,
        &ByBytes(&[&keys[PROBE_WINDOW]]),
        99,
    );
    assert_eq!(
        cache.get(1, tag(PROBE_WINDOW), 0, &ByBytes(&[&keys[PROBE_WINDOW]])),
        Some(&99)
    );
    let survivors = (0..PROBE_WINDOW)
        .filter(|&i| cache.get(1, tag(i), 0, &ByBytes(&[&keys[i]])) == Some(&i))
        .count();
    assert_eq!(survivors, PROBE_WINDOW - 1);
    // The same tag with other values replaces the entry instead of answering wrongly.
    cache.put(1, tag(PROBE_WINDOW), 0, &ByBytes(&["other"]), 7);
    assert_eq!(
        cache.get(1, tag(PROBE_WINDOW), 0, &ByBytes(&[&keys[PROBE_WINDOW]])),
        None
    );
    assert_eq!(
        cache.get(1, tag(PROBE_WINDOW), 0, &ByBytes(&["other"])),
        Some(&7)
    );
}

#[test]
fn every_slot_is_reachable() {
    const { assert!(SLOTS.is_power_of_two()) };
    // Every value of the top bits picks its own first slot.
    let firsts: std::collections::HashSet<usize> = (0..SLOTS as u64)
        .map(|top| LookupCache::<u8>::first_slot((top << (u64::BITS - SLOTS_BITS)) | 1))
        .collect();
    assert_eq!(firsts.len(), SLOTS);
    // And real tags spread over all of them.
    // (Tags follow the strings' addresses, so the strings are kept alive.)
    let values: Vec<String> = (0..20_000).map(|i| format!("v{i}")).collect();
    let mut hit = [false; SLOTS];
    for value in &values {
        hit[LookupCache::<u8>::first_slot(identity_tag(&[value.as_str()][..]))] = true;
    }
    assert!(
        hit.iter().all(|&h| h),
        "unreached slots: {:?}",
        hit.iter()
            .enumerate()
            .filter(|(_, h)| !**h)
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    );
    // A full cache holds SLOTS distinct entries.
    let mut cache = LookupCache::<usize>::new();
    for slot in 0..SLOTS {
        let tag = ((slot as u64) << (u64::BITS - SLOTS_BITS)) | 1;
        cache.put(1, tag, 0, &ByBytes(&[slot.to_string()]), slot);
    }
    for slot in 0..SLOTS {
        let tag = ((slot as u64) << (u64::BITS - SLOTS_BITS)) | 1;
        assert_eq!(
            cache.get(1, tag, 0, &ByBytes(&[slot.to_string()])),
            Some(&slot)
        );
    }
}

#[test]
fn long_values_are_not_cached() {
    let mut cache = LookupCache::<u8>::new();
    let long = "x".repeat(KEY_BYTES + 1);
    cache.put(1, 3, 0, &ByBytes(&[long.as_str()]), 1);
    assert_eq!(cache.get(1, 3, 0, &ByBytes(&[long.as_str()])), None);
    let many = ["a"; MAX_VALUES + 1];
    cache.put(1, 3, 0, &ByBytes(&many), 1);
    assert_eq!(cache.get(1, 3, 0, &ByBytes(&many)), None);
    cache.put(1, 5, 0, &ByAddress(&many), 1);
    assert_eq!(cache.get(1, 5, 0, &ByAddress(&many)), None);
    let exact = "y".repeat(KEY_BYTES);
    cache.put(1, 3, 0, &ByBytes(&[exact.as_str()]), 2);
    assert_eq!(cache.get(1, 3, 0, &ByBytes(&[exact.as_str()])), Some(&2));
}

#[test]
fn static_entries_match_by_address() {
    static GET: &str = "GET";
    let mut cache = LookupCache::<u8>::new();
    let values = [GET, "200"];
    cache.put(1, 9, 4, &ByAddress(&values), 1);
    assert_eq!(cache.get(1, 9, 4, &ByAddress(&[GET, "200"])), Some(&1));
    assert_eq!(cache.get(1, 9, 5, &ByAddress(&values)), None);
    // The same text at another address is not the remembered value.
    let elsewhere: &'static str = String::from("GET").leak();
    assert_eq!(cache.get(1, 9, 4, &ByAddress(&[elsewhere, "200"])), None);
    // A static entry never answers a byte lookup and the other way round.
    assert_eq!(cache.get(1, 9, 4, &ByBytes(&values)), None);
    cache.put(1, 11, 4, &ByBytes(&values), 2);
    assert_eq!(cache.get(1, 11, 4, &ByAddress(&values)), None);
    assert_eq!(cache.get(1, 11, 4, &ByBytes(&values)), Some(&2));
}

/// Values formatted into one buffer, as a typed label set formats its integers, share
/// their address and length: each keeps its own entry, so that `200`, `404` and `500`
/// each hit after their first lookup instead of evicting each other.
#[test]
fn values_formatted_into_one_buffer_each_keep_their_entry() {
    let mut cache = LookupCache::<u16>::new();
    let mut buffer = *b"200";
    let statuses = [200u16, 404, 500];
    let mut lookup = |cache: &mut LookupCache<u16>, status: u16| {
        buffer.copy_from_slice(status.to_string().as_bytes());
        let text = std::str::from_utf8(&buffer).unwrap();
        let key = ByContent(&[text]);
        if let Some(found) = cache.get(1, key.tag(), 0, &key) {
            assert_eq!(*found, status, "an entry answers for its own value only");
            return true;
        }
        cache.put(1, key.tag(), 0, &key, status);
        false
    };
    for status in statuses {
        assert!(
            !lookup(&mut cache, status),
            "{status}: the first lookup misses"
        );
    }
    for _ in 0..3 {
        for status in statuses {
            assert!(
                lookup(&mut cache, status),
                "{status} hits after its first lookup"
            );
        }
    }
}

/// The bytes a content tag reads: every length (empty, short, a word, longer than the
/// cache keeps) without a panic, and a change in the first or last byte changes them.
#[test]
fn the_content_prefix_reads_every_length_and_sees_both_ends() {
    for n in 0..=64usize {
        let value = vec![b'a'; n];
        let base = prefix(&value);
        if n == 0 {
            assert_eq!(base, 0);
            continue;
        }
        for at in [0, n - 1] {
            let mut changed = value.clone();
            changed[at] = b'b';
            assert_ne!(prefix(&changed), base, "length {n}, byte {at}");
        }
    }
}
