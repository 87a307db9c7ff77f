//! Issue #9, "Bad input": every domain parser and the form decoder take arbitrary input
//! without panicking, and what they accept is stable (parsing the normalised value again
//! gives the same value). Arbitrary Unicode strings, lossy-decoded random bytes, and
//! near-valid shapes (the characters each field really receives, in any order and
//! length) so that the deeper branches are reached, not only the first "invalid" check.
//!
//! The same parsers have cargo-fuzz targets in `fuzz/` (run by `scripts/fuzz.sh`).

use domain::{
    CodiceFiscale, CodiceFiscaleEnte, CodiceFiscalePersona, Email, MobileNumber, OtpCode, Password,
    Username, PASSWORD_MAX_LEN, PASSWORD_MIN_LEN,
};
use lambda_http::{Body, Request};
use proptest::prelude::*;
use web::form::{max_len, parse_pairs, MAX_FIELD};

/// Any string: arbitrary Unicode, or random bytes decoded lossily (what the form decoder
/// hands the parsers when a body is not UTF-8), or a nasty fixed value.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => proptest::collection::vec(any::<u8>(), 0..256).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => "\\PC{0,600}",
        1 => prop::sample::select(NASTY.to_vec()).prop_map(str::to_owned),
    ]
}

const NASTY: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "\u{feff}",
    "\u{202e}333",
    "+",
    "++39",
    "00",
    "+39",
    "+39 +39",
    "39",
    "0039",
    "+0",
    "+999999999999999999999999999999",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{7*7}}",
    "../../etc/passwd",
    "%00",
    "İİİİİİİİİİİİİİİİ",
    "ß",
    "ﬃ",
    "@",
    "@@",
    "a@",
    "@b.c",
    "a@b",
    "a@.",
    "a@b..c",
    ".@a.it",
    "\"a\"@b.it",
    "a@[127.0.0.1]",
    "a@pec.it",
    "a@legalmail.it",
    "rssmra85t10a562s",
    "RSSMRA85T10A562",
    "RSSMRA85T10A562SS",
    "0048841001",
    "004884100100",
    "00488410010",
    "12345",
    "1234567",
    "12 34 56",
    "１２３４５６",
    "٣٣٣١٢٣٤٥٦٧",
];

/// A string of 0..=len characters drawn from `chars` (near-valid shapes).
fn from_chars(chars: &'static str, len: usize) -> impl Strategy<Value = String> {
    let cs: Vec<char> = chars.chars().collect();
    proptest::collection::vec(prop::sample::select(cs), 0..=len)
        .prop_map(|v| v.into_iter().collect())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1500,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mobile_number(raw in prop_oneof![
        any_text(),
        from_chars("+0123456789 -./()\u{a0}\t", 40),
        "(\\+|00)?39[0-9]{0,12}",
        "3[0-9]{5,11}",
    ]) {
        if let Ok(n) = MobileNumber::parse(&raw) {
            prop_assert!(n.e164().starts_with("+39"), "{raw:?} -> {}", n.e164());
            prop_assert!(n.e164()[1..].bytes().all(|b| b.is_ascii_digit()));
            // What we store parses back to itself, and the helpers slice it safely.
            prop_assert_eq!(MobileNumber::parse(n.e164()).ok(), Some(n.clone()));
            prop_assert_eq!(MobileNumber::parse(&n.pretty()).ok(), Some(n.clone()));
            let _ = (n.national(), n.pretty());
        }
    }

    #[test]
    fn codice_fiscale_persona(raw in prop_oneof![any_text(), "[A-Za-z0-9 ]{0,20}", "[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHL\
        MPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"]) {
        if let Ok(cf) = CodiceFiscalePersona::parse(&raw) {
            prop_assert_eq!(cf.as_str().len(), 16);
            prop_assert_eq!(CodiceFiscalePersona::parse(cf.as_str()).ok(), Some(cf.clone()));
            prop_assert!(!cf.masked().contains(&cf.as_str()[3..15]));
        }
        let _ = CodiceFiscale::parse(&raw);
    }

    #[test]
    fn codice_fiscale_ente(raw in prop_oneof![any_text(), "[0-9 ]{0,16}", "[0-9]{11}"]) {
        if let Ok(cf) = CodiceFiscaleEnte::parse(&raw) {
            prop_assert_eq!(cf.as_str().len(), 11);
            prop_assert_eq!(CodiceFiscaleEnte::parse(cf.as_str()).ok(), Some(cf.clone()));
            let _ = cf.masked();
        }
    }

    #[test]
    fn codice_fiscale_either(raw in prop_oneof![any_text(), "[A-Z0-9 ]{0,18}", "[0-9]{11}"]) {
        if let Ok(cf) = CodiceFiscale::parse(&raw) {
            prop_assert_eq!(CodiceFiscale::parse(cf.as_str()).ok(), Some(cf.clone()));
            let _ = cf.masked();
        }
    }

    #[test]
    fn email(raw in prop_oneof![any_text(), from_chars("abcXYZ019.@-_+\"[]()<>, ", 80), "[a-z0-9._+-]{1,70}@[a-z0-9-]\
        {1,20}(\\.[a-z0-9-]{1,12}){0,4}"]) {
        if let Ok(e) = Email::parse(&raw) {
            prop_assert!(e.as_str().len() <= 254);
            prop_assert!(e.as_str().is_ascii());
            prop_assert_eq!(Email::parse(e.as_str()).ok(), Some(e.clone()));
            prop_assert_eq!(format!("{}@{}", e.local_part(), e.domain()), e.as_str());
            let _ = Username::from_email(&e);
        }
    }

    #[test]
    fn username(raw in prop_oneof![any_text(), from_chars("abcXYZ019._-@ é", 80)]) {
        if let Ok(u) = Username::parse(&raw) {
            prop_assert!((3..=64).contains(&u.as_str().len()));
            prop_assert_eq!(Username::parse(u.as_str()).ok(), Some(u.clone()));
        }
    }

    #[test]
    fn otp_code(raw in prop_oneof![any_text(), from_chars("0123456789 \t\u{a0}a", 12)]) {
        if let Ok(c) = OtpCode::parse(&raw) {
            prop_assert_eq!(c.as_str().len(), 6);
            prop_assert!(c.as_str().bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(OtpCode::parse(c.as_str()).is_ok_and(|again| again == c));
        }
    }
}

proptest! {
    // zxcvbn runs for every candidate that passes the character rules; it is the slow part
    // in debug builds, so fewer cases here.
    #![proptest_config(ProptestConfig { cases: 600, ..config() })]

    #[test]
    fn password(
        raw in prop_oneof![
            any_text(),
            from_chars("aZ9!?@#$%&*()-_+=.,;: é\u{0}\n", 80),
            "[A-Za-z0-9!?@#$%&*().,;:+=_-]{8,70}",
        ],
        inputs in proptest::collection::vec(any_text(), 0..5),
    ) {
        let personal: Vec<&str> = inputs.iter().map(String::as_str).collect();
        if let Ok(p) = Password::parse(&raw, &personal) {
            let n = p.expose_secret().chars().count();
            prop_assert!((PASSWORD_MIN_LEN..=PASSWORD_MAX_LEN).contains(&n));
            prop_assert!(!format!("{p:?}").contains(p.expose_secret()), "Debug must not show the password");
        }
    }
}

/// A request as a browser (or an attacker) might send it: any content type, any body.
fn request(content_type: Option<String>, body: Vec<u8>, text_body: bool, query: &str) -> Request {
    let mut b = http::Request::builder()
        .method("POST")
        .uri(format!("/registrazione/numero?{query}"));
    if let Some(ct) = content_type {
        if let Ok(v) = http::HeaderValue::from_str(&ct) {
            b = b.header("content-type", v);
        }
    }
    let body = if text_body {
        Body::Text(String::from_utf8_lossy(&body).into_owned())
    } else {
        Body::Binary(body)
    };
    b.body(body).expect("valid request")
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        Just(Some(
            "application/x-www-form-urlencoded; charset=ISO-8859-1".to_owned()
        )),
        Just(Some("multipart/form-data; boundary=x".to_owned())),
        Just(Some("application/json".to_owned())),
        Just(Some("text/plain".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

/// Bodies that look like forms: `k=v&k=v` with percent escapes (valid or not), `+`,
/// repeated and empty names, plus raw random bytes.
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let token = from_chars("abcnumero_=&%+2F0C3A8ZFF;\u{e8}\u{0}", 30);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..4096),
        proptest::collection::vec(token, 0..40).prop_map(|parts| parts.join("&").into_bytes()),
        (1usize..40_000)
            .prop_map(|n| format!("numero={}&conferma=100", "9".repeat(n)).into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..config() })]

    #[test]
    fn form_decoder(bytes in form_body()) {
        let pairs = parse_pairs(&bytes);
        for (k, v) in &pairs {
            prop_assert!(v.chars().count() <= max_len(k));
        }
        let ct = Some("application/x-www-form-urlencoded".into());
        let form = web::form::from_request(&request(ct, bytes.clone(), false, ""));
        // `get` is the first value of the field, `has` agrees with it, missing is "".
        for (k, v) in &pairs {
            prop_assert!(form.has(k));
            let first = pairs.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_str()).unwrap();
            prop_assert_eq!(form.get(k), first);
            let _ = v;
        }
        prop_assert_eq!(form.get("\u{0}not-a-field"), "");
    }

    #[test]
    fn form_from_any_request(
        ct in content_type(),
        bytes in form_body(),
        text in any::<bool>(),
        query in from_chars("scaduta=&%+2FfF0Ce8;.-_", 60),
    ) {
        let req = request(ct.clone(), bytes, text, &query);
        let form = web::form::from_request(&req);
        // Only urlencoded bodies (or no declared type) are read.
        if ct.as_deref().is_some_and(|c| !c.is_empty() && !c.starts_with("application/x-www-form-urlencoded")) {
            prop_assert!(!form.has("numero"));
        }
        let _ = (form.get("numero"), web::query_param(&req, "scaduta"));
        let _ = (web::cookie(&req, "reg_flow", true), web::edge::viewer(&req));
    }
}

#[test]
fn form_decoder_keeps_the_first_of_repeated_fields_and_cuts_huge_ones() {
    let body = format!("numero={}&numero=2&x=%FF%FE&y", "é".repeat(100_000));
    let form = web::form::from_request(&request(None, body.into_bytes(), false, ""));
    assert_eq!(form.get("numero").chars().count(), MAX_FIELD);
    assert!(form.get("numero").chars().all(|c| c == 'é'));
    // Cut at MAX_BODY: the fields after the huge one are gone, nothing panics.
    assert!(!form.has("x"));
    let form = web::form::from_request(&request(
        None,
        b"numero=1&numero=2&x=%FF%FE&y".to_vec(),
        false,
        "",
    ));
    assert_eq!(form.get("numero"), "1");
    assert_eq!(form.get("x"), "\u{fffd}\u{fffd}");
    assert!(form.has("y"));
    assert_eq!(form.get("y"), "");
}
