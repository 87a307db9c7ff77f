//! `OtpCode::parse` on any input: never panics; accepted codes are exactly 6 digits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::OtpCode;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(c) = OtpCode::parse(&raw) {
        assert!(c.as_str().len() == 6 && c.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert!(OtpCode::parse(c.as_str()).is_ok_and(|again| again == c));
    }
});
