//! Masking for the help desk: an operator sees who an account is (name, entity, id) but
//! contact data only as much as is needed to recognise them with the caller on the phone.

use engine::pages::otp;

/// `333 *** 4567` (the same mask the SMS-code pages show).
pub fn number(e164: &str) -> String {
    let m = otp::masked(e164);
    if m.is_empty() {
        "***".to_owned()
    } else {
        m
    }
}

/// `ma***@comune.example.it`: the first two characters of the local part and the domain.
pub fn email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", first(local, 2)),
        None => format!("{}***", first(email, 2)),
    }
}

/// A username that is an email is masked as one; another keeps its first three characters.
pub fn username(u: &str) -> String {
    if u.contains('@') {
        email(u)
    } else {
        format!("{}***", first(u, 3))
    }
}

/// The username as `account show` prints it: an email address masked as the email beside
/// it is (for most people the username *is* the email); another one whole, since the
/// operator reads it back to the caller.
pub fn shown_username(u: &str) -> String {
    if u.contains('@') {
        email(u)
    } else {
        u.to_owned()
    }
}

/// `RSS************S`.
pub fn personal_cf(cf: &str) -> String {
    domain::CodiceFiscalePersona::parse(cf)
        .map(|c| c.masked())
        .unwrap_or_else(|_| "***".to_owned())
}

fn first(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks() {
        assert_eq!(super::number("+393331234567"), "333 *** 4567");
        assert_eq!(super::email("mario.rossi@comune.it"), "ma***@comune.it");
        assert_eq!(super::username("mrossi77"), "mro***");
        assert_eq!(
            super::shown_username("mario.rossi@comune.it"),
            "ma***@comune.it"
        );
        assert_eq!(super::shown_username("mrossi77"), "mrossi77");
        assert_eq!(super::personal_cf("RSSMRA85T10A562S"), "RSS************S");
    }
}
