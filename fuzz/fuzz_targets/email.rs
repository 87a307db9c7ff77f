//! `Email::parse` on any input: never panics; accepted addresses are ASCII, at most
//! 254 characters, stable, and split into local part and domain.
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::{Email, Username};

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(e) = Email::parse(&raw) {
        assert!(e.as_str().is_ascii() && e.as_str().len() <= 254);
        assert_eq!(Email::parse(e.as_str()).ok(), Some(e.clone()));
        assert_eq!(format!("{}@{}", e.local_part(), e.domain()), e.as_str());
        let _ = Username::from_email(&e);
    }
});
