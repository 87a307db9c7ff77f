//! Password hashing: argon2id with (at least) the OWASP parameters, stored as PHC strings.
//! Accounts imported from Convenzione 5/6/7 may carry bcrypt or PBKDF2-SHA256 hashes:
//! those verify too, and `needs_upgrade` tells the login to rehash them with argon2id.

use crate::domain::Password;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid params"))
}

/// The hash schemes a stored PHC string may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Argon2,
    Bcrypt,
    Pbkdf2Sha256,
}

/// The scheme of a stored hash, if it is one we can verify (used by `import-accounts`
/// to reject rows it could never log in with).
pub fn scheme(phc: &str) -> Option<Scheme> {
    if phc.starts_with("$2a$") || phc.starts_with("$2b$") || phc.starts_with("$2y$") {
        return phc.parse::<bcrypt::HashParts>().ok().map(|_| Scheme::Bcrypt);
    }
    let h = PasswordHash::new(phc).ok()?;
    match h.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => Some(Scheme::Argon2),
        "pbkdf2-sha256" => Some(Scheme::Pbkdf2Sha256),
        _ => None,
    }
}

pub fn hash(password: &Password) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.expose_secret().as_bytes(), &salt).expect("argon2 hashing cannot fail with valid params").to_string()
}

/// Verifies a password against a stored PHC string of any supported scheme.
pub fn verify(phc: &str, candidate: &str) -> bool {
    match scheme(phc) {
        Some(Scheme::Bcrypt) => bcrypt::verify(candidate, phc).unwrap_or(false),
        Some(Scheme::Argon2) => PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(candidate.as_bytes(), &h).is_ok()),
        Some(Scheme::Pbkdf2Sha256) => PasswordHash::new(phc).is_ok_and(|h| pbkdf2::Pbkdf2.verify_password(candidate.as_bytes(), &h).is_ok()),
        None => false,
    }
}

/// True when a stored hash is not argon2id at today's parameters (an imported bcrypt or
/// PBKDF2 hash, or weaker argon2 parameters): the login replaces it after a success.
pub fn needs_upgrade(phc: &str) -> bool {
    let Ok(h) = PasswordHash::new(phc) else { return true };
    if h.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(&h) {
        Ok(p) => p.m_cost() < M_COST_KIB || p.t_cost() < T_COST || p.p_cost() < P_COST,
        Err(_) => true,
    }
}

/// Rehashes a password that just verified against an old hash. The raw text is not a
/// `Password` (old accounts predate today's rules), which is why this takes a `&str`.
pub fn rehash(candidate: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(candidate.as_bytes(), &salt).expect("argon2 hashing cannot fail with valid params").to_string()
}

/// A valid hash of a random password, verified against when the user is unknown so that
/// "unknown user" costs the same time as "wrong password".
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| rehash(&crate::crypto::random_token()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip_and_no_upgrade_needed() {
        let h = rehash("Segreta!2026xy");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&h, "Segreta!2026xy"));
        assert!(!verify(&h, "segreta!2026xy"));
        assert!(!needs_upgrade(&h));
    }

    #[test]
    fn bcrypt_hashes_verify_and_need_upgrade() {
        let h = bcrypt::hash("vecchia-password", 4).unwrap();
        assert_eq!(scheme(&h), Some(Scheme::Bcrypt));
        assert!(verify(&h, "vecchia-password"));
        assert!(!verify(&h, "vecchia-passwordx"));
        assert!(needs_upgrade(&h));
    }

    #[test]
    fn pbkdf2_sha256_hashes_verify_and_need_upgrade() {
        let salt = SaltString::generate(&mut OsRng);
        let params = pbkdf2::Params { rounds: 1000, output_length: 32 };
        let h = pbkdf2::Pbkdf2.hash_password_customized(b"vecchia", Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()), None, params, &salt).unwrap().to_string();
        assert!(h.starts_with("$pbkdf2-sha256$"), "{h}");
        assert_eq!(scheme(&h), Some(Scheme::Pbkdf2Sha256));
        assert!(verify(&h, "vecchia"));
        assert!(!verify(&h, "Vecchia"));
        assert!(needs_upgrade(&h));
    }

    #[test]
    fn weaker_argon2_and_garbage() {
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8192, 1, 1, None).unwrap())
            .hash_password(b"x", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify(&weak, "x"));
        assert!(needs_upgrade(&weak));
        for bad in ["", "plain", "$md5$abc", "$2b$04$short", "$pbkdf2-sha1$i=1000$c2FsdA$aGFzaA"] {
            assert_eq!(scheme(bad), None, "{bad}");
            assert!(!verify(bad, "x"));
        }
    }
}
