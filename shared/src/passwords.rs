//! Password hashing: argon2id with (at least) the OWASP parameters, stored as PHC strings.

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

pub fn hash(password: &Password) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.expose_secret().as_bytes(), &salt).expect("argon2 hashing cannot fail with valid params").to_string()
}

/// Verifies a password against a stored PHC string.
pub fn verify(phc: &str, candidate: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon2().verify_password(candidate.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of a random password, verified against when the user is unknown so that
/// "unknown user" costs the same time as "wrong password".
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(crate::crypto::random_token().as_bytes(), &salt).expect("hash").to_string()
    })
}
