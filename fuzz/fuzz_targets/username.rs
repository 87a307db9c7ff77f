//! `Username::parse` on any input: never panics; accepted names are 3–64 allowed
//! characters and stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::Username;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(u) = Username::parse(&raw) {
        assert!((3..=64).contains(&u.as_str().len()));
        assert_eq!(Username::parse(u.as_str()).ok(), Some(u.clone()));
    }
});
