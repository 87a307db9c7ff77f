//! Password hashing: argon2id with (at least) the OWASP parameters, stored as PHC strings.
//! Accounts imported from Convenzione 5/6/7 may carry bcrypt or PBKDF2-SHA256 hashes:
//! those verify too, and `needs_upgrade` tells the login to rehash them with argon2id.

use crate::Password;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid params"),
    )
}

/// The hash schemes a stored PHC string may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Argon2,
    Bcrypt,
    Pbkdf2Sha256,
}

/// Cost bounds of a stored hash. An imported row with `$2b$31$`, PBKDF2 with 4·10⁹
/// iterations or argon2 with 4 GiB would tie a Lambda up until its timeout at every login:
/// such hashes are refused at import and never verified. The bounds leave room above
/// what real systems use (bcrypt 10–12, PBKDF2-SHA256 600k, argon2 19–64 MiB).
pub const MAX_BCRYPT_COST: u32 = 13;
pub const MAX_PBKDF2_ROUNDS: u32 = 1_000_000;
pub const MAX_ARGON2_M_KIB: u32 = 64 * 1024;
pub const MAX_ARGON2_T: u32 = 8;
pub const MAX_ARGON2_P: u32 = 4;

/// The scheme of a stored hash, if it is one we can verify within the cost bounds (used by
/// `import-accounts` to reject rows it could never log in with, and before every verify).
pub fn scheme(phc: &str) -> Option<Scheme> {
    check(phc).ok()
}

/// Why a stored hash cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashRejected {
    #[error("non è un hash PHC argon2, bcrypt o pbkdf2-sha256")]
    Unknown,
    #[error("costo dell'hash oltre i limiti (bcrypt ≤ 13, PBKDF2 ≤ 1.000.000 iterazioni, argon2 ≤ 64 MiB, t ≤ 8, p ≤ \
        4)")]
    TooCostly,
}

/// The scheme of a stored hash, or why it is refused.
pub fn check(phc: &str) -> Result<Scheme, HashRejected> {
    if phc.starts_with("$2a$") || phc.starts_with("$2b$") || phc.starts_with("$2y$") {
        let parts = phc
            .parse::<bcrypt::HashParts>()
            .map_err(|_| HashRejected::Unknown)?;
        return if parts.get_cost() <= MAX_BCRYPT_COST {
            Ok(Scheme::Bcrypt)
        } else {
            Err(HashRejected::TooCostly)
        };
    }
    let h = PasswordHash::new(phc).map_err(|_| HashRejected::Unknown)?;
    match h.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => {
            let p = Params::try_from(&h).map_err(|_| HashRejected::Unknown)?;
            let ok = p.m_cost() <= MAX_ARGON2_M_KIB
                && p.t_cost() <= MAX_ARGON2_T
                && p.p_cost() <= MAX_ARGON2_P;
            if ok {
                Ok(Scheme::Argon2)
            } else {
                Err(HashRejected::TooCostly)
            }
        }
        "pbkdf2-sha256" => {
            let p = pbkdf2::Params::try_from(&h).map_err(|_| HashRejected::Unknown)?;
            if p.rounds <= MAX_PBKDF2_ROUNDS && p.output_length <= 64 {
                Ok(Scheme::Pbkdf2Sha256)
            } else {
                Err(HashRejected::TooCostly)
            }
        }
        _ => Err(HashRejected::Unknown),
    }
}

pub fn hash(password: &Password) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
}

/// Verifies a password against a stored PHC string of any supported scheme.
pub fn verify(phc: &str, candidate: &str) -> bool {
    match scheme(phc) {
        Some(Scheme::Bcrypt) => bcrypt::verify(candidate, phc).unwrap_or(false),
        Some(Scheme::Argon2) => PasswordHash::new(phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(candidate.as_bytes(), &h)
                .is_ok()
        }),
        Some(Scheme::Pbkdf2Sha256) => PasswordHash::new(phc).is_ok_and(|h| {
            pbkdf2::Pbkdf2
                .verify_password(candidate.as_bytes(), &h)
                .is_ok()
        }),
        None => false,
    }
}

/// True when a stored hash is not argon2id at today's parameters (an imported bcrypt or
/// PBKDF2 hash, or weaker argon2 parameters): the login replaces it after a success.
pub fn needs_upgrade(phc: &str) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return true;
    };
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
    argon2()
        .hash_password(candidate.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
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
        let params = pbkdf2::Params {
            rounds: 1000,
            output_length: 32,
        };
        let h = pbkdf2::Pbkdf2
            .hash_password_customized(
                b"vecchia",
                Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
                None,
                params,
                &salt,
            )
            .unwrap()
            .to_string();
        assert!(h.starts_with("$pbkdf2-sha256$"), "{h}");
        assert_eq!(scheme(&h), Some(Scheme::Pbkdf2Sha256));
        assert!(verify(&h, "vecchia"));
        assert!(!verify(&h, "Vecchia"));
        assert!(needs_upgrade(&h));
    }

    #[test]
    fn weaker_argon2_and_garbage() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"x", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(verify(&weak, "x"));
        assert!(needs_upgrade(&weak));
        for bad in [
            "",
            "plain",
            "$md5$abc",
            "$2b$04$short",
            "$pbkdf2-sha1$i=1000$c2FsdA$aGFzaA",
        ] {
            assert_eq!(scheme(bad), None, "{bad}");
            assert!(!verify(bad, "x"));
        }
    }

    #[test]
    fn hashes_beyond_the_cost_bounds_are_refused_without_work() {
        // Each of these would take minutes to hours to verify.
        let bcrypt31 = bcrypt::hash_with_salt("x", 4, [7u8; 16])
            .unwrap()
            .format_for_version(bcrypt::Version::TwoB)
            .replace("$2b$04$", "$2b$31$");
        let pbkdf2_huge =
            "$pbkdf2-sha256$i=4000000000$c2FsdHNhbHQ$YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE";
        let argon2_4gib = "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE";
        for h in [bcrypt31.as_str(), pbkdf2_huge, argon2_4gib] {
            assert_eq!(check(h), Err(HashRejected::TooCostly), "{h}");
            let started = std::time::Instant::now();
            assert!(!verify(h, "x"));
            assert!(
                started.elapsed() < std::time::Duration::from_secs(1),
                "refused before any hashing: {h}"
            );
        }
        let within = bcrypt::hash("x", 4).unwrap();
        assert_eq!(check(&within), Ok(Scheme::Bcrypt));
    }
}
