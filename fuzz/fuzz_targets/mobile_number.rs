//! `MobileNumber::parse` on any input: never panics; what it accepts is `+39…` digits
//! and parses back to itself (also from its pretty form).
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::MobileNumber;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(n) = MobileNumber::parse(&raw) {
        assert!(n.e164().starts_with("+39") && n.e164()[1..].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(MobileNumber::parse(n.e164()).ok(), Some(n.clone()));
        assert_eq!(MobileNumber::parse(&n.pretty()).ok(), Some(n.clone()));
        let _ = n.national();
    }
});
