//! `CodiceFiscale::parse` (either kind) on any input: never panics; accepted codes are
//! stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use domain::CodiceFiscale;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(cf) = CodiceFiscale::parse(&raw) {
        assert_eq!(CodiceFiscale::parse(cf.as_str()).ok(), Some(cf.clone()));
        let _ = cf.masked();
    }
});
