//! `CodiceFiscaleEnte::parse` on any input: never panics; accepted codes are 11 digits
//! and stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::CodiceFiscaleEnte;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(cf) = CodiceFiscaleEnte::parse(&raw) {
        assert!(cf.as_str().len() == 11 && cf.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert!(CodiceFiscaleEnte::parse(cf.as_str()).is_ok_and(|again| again == cf));
        let _ = cf.masked();
    }
});
