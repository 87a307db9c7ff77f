//! `login::safe_next` on any input: always a private path that can be a `Location` header
//! (a `%0A` in `next` once made the redirect panic), never leaves the private area.
#![no_main]
use libfuzzer_sys::fuzz_target;
use engine::flows::login::safe_next;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let next = safe_next(&raw);
    assert!(next == "/area-clienti" || next.starts_with("/area-clienti/"));
    assert!(http::HeaderValue::from_str(&next).is_ok());
    assert!(!next.contains("//"));
});
