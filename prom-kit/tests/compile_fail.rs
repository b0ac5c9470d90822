//! Each misuse of the derives, and of the label traits (a bare enum where a label set is
//! expected, a value that is no label value), fails to compile with a readable error that
//! says the fix, checked against the expected compiler output in
//! `tests/compile_fail/*.stderr` (regenerate with `TRYBUILD=overwrite` after a compiler
//! upgrade changes the wording, and read the diff).
#![cfg(feature = "derive")]

#[test]
fn derive_misuses_are_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_fail/*.rs");
}
