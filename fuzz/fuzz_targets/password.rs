//! `Password::parse` on any input: the bytes up to the first 0xFF are the password, the
//! rest (split at 0xFF) the user's personal data (at most 4 values of at most 254
//! characters, as the handlers pass: name, surname, email, username). Never panics; an
//! accepted password keeps to the length rules and its `Debug` hides it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::{Password, PASSWORD_MAX_LEN, PASSWORD_MIN_LEN};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF).map(|p| String::from_utf8_lossy(p).into_owned());
    let raw = parts.next().unwrap_or_default();
    let personal: Vec<String> = parts.take(4).map(|p| p.chars().take(254).collect()).collect();
    let personal: Vec<&str> = personal.iter().map(String::as_str).collect();
    if let Ok(p) = Password::parse(&raw, &personal) {
        assert!((PASSWORD_MIN_LEN..=PASSWORD_MAX_LEN).contains(&p.expose_secret().chars().count()));
        assert!(!format!("{p:?}").contains(p.expose_secret()));
    }
});
