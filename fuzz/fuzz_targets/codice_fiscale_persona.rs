//! `CodiceFiscalePersona::parse` on any input: never panics; accepted codes are 16
//! characters, stable, and masked without the middle.
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::CodiceFiscalePersona;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(cf) = CodiceFiscalePersona::parse(&raw) {
        assert_eq!(cf.as_str().len(), 16);
        assert!(CodiceFiscalePersona::parse(cf.as_str()).is_ok_and(|again| again == cf));
        assert!(!cf.masked().contains(&cf.as_str()[3..15]));
    }
});
