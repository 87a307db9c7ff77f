//! Passkeys (issue 24) as the lower layers see them: the relying party from configuration,
//! and the ceremonies as a trait over serialised values, so the steps that run them
//! (`engine`) do not link the WebAuthn library. `shared/passkey` implements the trait with
//! `webauthn-rs`; only the functions that do WebAuthn depend on it (`cargo tree -p login -i
//! webauthn-rs` finds nothing).

use sha2::{Digest, Sha256};

/// Who the passkeys are for: the RP ID (the site's domain; `localhost` locally) and the
/// origin browsers report (`https://portale.example.it`; locally `http://localhost:PORT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub origin: String,
}

/// The person a passkey is created for.
#[derive(Debug, Clone, Copy)]
pub struct User<'a> {
    pub account_id: &'a str,
    /// What the browser's passkey chooser shows (the username).
    pub name: &'a str,
    pub display_name: &'a str,
}

/// A ceremony's start: the options for the browser and the state to keep server-side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The `publicKey` options as JSON (what `navigator.credentials.create/get` takes,
    /// binary values base64url).
    pub public_key: String,
    /// The library's state (JSON), stored under the ceremony's id (`store::ceremonies`).
    pub state: String,
}

/// A passkey created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// base64url, as browsers send it.
    pub credential_id: String,
    /// The serialised `Passkey` (public key, counter).
    pub passkey: String,
}

/// A login assertion verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The passkey's new state to store (its counter moved, backup flags), if it changed.
    pub passkey: Option<String>,
    pub counter: u32,
    pub user_verified: bool,
}

/// Why a browser's response is refused. The pages word each one (`engine`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Empty, not JSON, or not a credential (no JavaScript, a forged form).
    #[error("malformed response")]
    Malformed,
    /// Made on another site (the origin in clientDataJSON is not ours).
    #[error("wrong origin")]
    Origin,
    /// Made for another RP ID (the authenticator data's rpIdHash).
    #[error("wrong relying party")]
    RpId,
    /// The response answers another ceremony's challenge.
    #[error("wrong challenge")]
    Challenge,
    /// The authenticator did not verify the person (no PIN, fingerprint, face).
    #[error("user not verified")]
    UserVerification,
    /// Anything else the library refuses (signature, algorithm, counter…), by its name.
    #[error("refused: {0}")]
    Other(String),
}

/// The WebAuthn ceremonies, on serialised values.
pub trait Ceremonies: Send + Sync {
    /// Creation options for `user`, excluding the credential ids it already has.
    fn start_registration(&self, user: &User<'_>, exclude: &[String]) -> Result<Started, String>;
    fn finish_registration(&self, state: &str, response: &str) -> Result<Registered, Refused>;
    /// Login options for any passkey of this site (discoverable: no allowCredentials; user
    /// verification required).
    fn start_authentication(&self) -> Result<Started, String>;
    fn finish_authentication(
        &self,
        state: &str,
        response: &str,
        passkey: &str,
    ) -> Result<Authenticated, Refused>;
    /// The credential id and the user handle (base64url) an assertion names, before it is
    /// verified: what the login looks up.
    fn assertion_ids(&self, response: &str) -> Option<(String, String)>;
}

/// The user handle of an account's passkeys (WebAuthn's `user.id`): 16 bytes derived from
/// the account id, so it names no person and the login can check an assertion's handle
/// against the account its credential id belongs to.
pub fn user_handle(account_id: &str) -> [u8; 16] {
    let d = Sha256::digest(format!("portale-passkey-user:{account_id}").as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_handles_are_stable_and_distinct() {
        assert_eq!(user_handle("a"), user_handle("a"));
        assert_ne!(user_handle("a"), user_handle("b"));
    }
}
