//! A software authenticator for the HTTP tests (issue 24): it answers the creation and
//! request options a page gives as a browser with a platform authenticator would — the
//! clientDataJSON with the origin and the challenge, the authenticator data with the RP ID's
//! hash, the flags (UP | UV, AT on creation), the signature counter, an ES256 (P-256) key —
//! so the tests drive real ceremonies through `webauthn-rs` on the server.
//!
//! One `Authenticator` holds one discoverable credential (one device's passkey for one
//! account). Knobs make it misbehave as the refusals need: another origin, another RP ID,
//! no user verification.
//!
//! ```ignore
//! let mut a = Authenticator::new(&portal.passkey_origin());
//! let response = a.create(&options_json)?;   // the page's {"cerimonia":…,"publicKey":{…}}
//! let assertion = a.get(&request_json)?;     // the login's {"cerimonia":…,"publicKey":{…}}
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// One device's passkey.
pub struct Authenticator {
    key: SigningKey,
    /// The origin the "browser" reports in clientDataJSON.
    pub origin: String,
    /// Sign for this RP ID instead of the options' (a phishing site's own).
    pub rp_id_override: Option<String>,
    /// Whether the person is verified (PIN, fingerprint); false: only present.
    pub user_verified: bool,
    counter: u32,
    credential: Option<Credential>,
}

/// The credential the authenticator made.
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: Vec<u8>,
    pub rp_id: String,
    /// The user handle of the creation options (`user.id`), returned by every assertion.
    pub user_handle: Vec<u8>,
}

impl Credential {
    /// The credential id as browsers and the server name it (base64url).
    pub fn id_b64(&self) -> String {
        B64.encode(&self.id)
    }
}

fn b64(v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or_else(|| format!("not a string: {v}"))?;
    B64.decode(s.trim_end_matches('='))
        .map_err(|e| format!("not base64url: {s}: {e}"))
}

/// The `publicKey` member of a page's options (or the options themselves).
fn public_key(options: &str) -> Result<Value, String> {
    let v: Value =
        serde_json::from_str(options).map_err(|e| format!("options are not JSON: {e}"))?;
    Ok(v.get("publicKey").cloned().unwrap_or(v))
}

fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn cbor_int(out: &mut Vec<u8>, i: i64) {
    match i {
        0.. => cbor_head(out, 0, i as u64),
        _ => cbor_head(out, 1, (-1 - i) as u64),
    }
}

fn cbor_bytes(out: &mut Vec<u8>, b: &[u8]) {
    cbor_head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    cbor_head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

impl Authenticator {
    /// A new device, reporting `origin` (the portal's passkey origin, `http://localhost:PORT`).
    pub fn new(origin: &str) -> Authenticator {
        let mut seed = [0u8; 32];
        let key = loop {
            rand::thread_rng().fill_bytes(&mut seed);
            if let Ok(k) = SigningKey::from_slice(&seed) {
                break k;
            }
        };
        Authenticator {
            key,
            origin: origin.trim_end_matches('/').to_owned(),
            rp_id_override: None,
            user_verified: true,
            counter: 0,
            credential: None,
        }
    }

    /// The credential made by `create`, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    fn client_data(&self, kind: &str, challenge: &[u8]) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": B64.encode(challenge),
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    fn flags(&self) -> u8 {
        UP | if self.user_verified { UV } else { 0 }
    }

    fn auth_data_head(&mut self, rp_id: &str, flags: u8) -> Vec<u8> {
        let rp_id = self.rp_id_override.as_deref().unwrap_or(rp_id);
        let mut out = Sha256::digest(rp_id.as_bytes()).to_vec();
        out.push(flags);
        self.counter += 1;
        out.extend(self.counter.to_be_bytes());
        out
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_bytes();
        // Uncompressed SEC1: 0x04 || x (32) || y (32).
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        let mut out = Vec::new();
        cbor_head(&mut out, 5, 5);
        cbor_int(&mut out, 1);
        cbor_int(&mut out, 2); // kty: EC2
        cbor_int(&mut out, 3);
        cbor_int(&mut out, -7); // alg: ES256
        cbor_int(&mut out, -1);
        cbor_int(&mut out, 1); // crv: P-256
        cbor_int(&mut out, -2);
        cbor_bytes(&mut out, &point[1..33]);
        cbor_int(&mut out, -3);
        cbor_bytes(&mut out, &point[33..]);
        out
    }

    /// Answers creation options (the JSON the creation page carries, or its `publicKey`) as
    /// `navigator.credentials.create` would: the `RegisterPublicKeyCredential` JSON.
    pub fn create(&mut self, options: &str) -> Result<String, String> {
        let pk = public_key(options)?;
        let challenge = b64(&pk["challenge"])?;
        let rp_id = pk["rp"]["id"].as_str().ok_or("no rp.id")?.to_owned();
        let user_handle = b64(&pk["user"]["id"])?;
        let mut id = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut id);
        let client_data = self.client_data("webauthn.create", &challenge);
        let mut auth_data = self.auth_data_head(&rp_id, self.flags() | AT);
        auth_data.extend([0u8; 16]); // AAGUID: none
        auth_data.extend((id.len() as u16).to_be_bytes());
        auth_data.extend(&id);
        auth_data.extend(self.cose_key());
        let mut att = Vec::new();
        cbor_head(&mut att, 5, 3);
        cbor_text(&mut att, "fmt");
        cbor_text(&mut att, "none");
        cbor_text(&mut att, "attStmt");
        cbor_head(&mut att, 5, 0);
        cbor_text(&mut att, "authData");
        cbor_bytes(&mut att, &auth_data);
        self.credential = Some(Credential {
            id: id.clone(),
            rp_id,
            user_handle,
        });
        Ok(json!({
            "id": B64.encode(&id),
            "rawId": B64.encode(&id),
            "type": "public-key",
            "response": {
                "attestationObject": B64.encode(&att),
                "clientDataJSON": B64.encode(&client_data),
            },
            "extensions": {},
        })
        .to_string())
    }

    /// Answers request options (a login's `{"cerimonia":…,"publicKey":{…}}`, or its
    /// `publicKey`) as `navigator.credentials.get` would with this device's passkey: the
    /// `PublicKeyCredential` JSON (with the user handle: the passkey is discoverable).
    pub fn get(&mut self, options: &str) -> Result<String, String> {
        let pk = public_key(options)?;
        let challenge = b64(&pk["challenge"])?;
        let cred = self
            .credential
            .clone()
            .ok_or("no passkey on this device: create one first")?;
        let rp_id = pk["rpId"].as_str().unwrap_or(&cred.rp_id).to_owned();
        let client_data = self.client_data("webauthn.get", &challenge);
        let auth_data = self.auth_data_head(&rp_id, self.flags());
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        Ok(json!({
            "id": cred.id_b64(),
            "rawId": cred.id_b64(),
            "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(&auth_data),
                "clientDataJSON": B64.encode(&client_data),
                "signature": B64.encode(signature.to_der().as_bytes()),
                "userHandle": B64.encode(&cred.user_handle),
            },
            "extensions": {},
        })
        .to_string())
    }
}

/// The creation page's options (`#passkey-creation`: `{"cerimonia":…,"publicKey":{…}}`),
/// as the page carries them.
pub fn creation_options(page: &crate::Page) -> Option<String> {
    let doc = page.doc();
    let sel = scraper::Selector::parse("script#passkey-creation").unwrap();
    let el = doc.select(&sel).next()?;
    Some(el.text().collect())
}

/// The ceremony id of the creation options.
pub fn ceremony_of(options: &str) -> String {
    let v: Value = serde_json::from_str(options).expect("the options are JSON");
    v["cerimonia"].as_str().expect("a ceremony id").to_owned()
}

/// CREA UNA PASSKEY from the list (signed in, the login recent): the creation page.
pub async fn creation_page(b: &crate::Portal) -> crate::Page {
    b.post(domain::routes::ACCOUNT_PASSKEY_NEW, &[]).await
}

/// The credential `response` for ceremony `ceremony` sent as the creation page's script
/// sends it: where it leads.
pub async fn register(
    b: &crate::Portal,
    ceremony: &str,
    response: &str,
    name: &str,
) -> crate::Page {
    b.post(
        domain::routes::ACCOUNT_PASSKEY_REGISTER,
        &[
            ("cerimonia", ceremony),
            ("credenziale", response),
            ("nome", name),
        ],
    )
    .await
}

/// A whole creation with `a` (the login recent): the page it leads to.
pub async fn create(b: &crate::Portal, a: &mut Authenticator, name: &str) -> crate::Page {
    let page = creation_page(b).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let options = creation_options(&page).expect("the creation options");
    let response = a.create(&options).expect("the authenticator answers");
    register(b, &ceremony_of(&options), &response, name).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::passkey::{Ceremonies, Refused, RelyingParty, User};

    const ORIGIN: &str = "http://localhost:3000";

    fn rp() -> ::passkey::Rp {
        ::passkey::Rp::from_config(&RelyingParty {
            id: "localhost".into(),
            origin: ORIGIN.into(),
        })
        .unwrap()
    }

    const USER: User<'static> = User {
        account_id: "acc1",
        name: "mario.rossi",
        display_name: "Mario Rossi",
    };

    fn registered(a: &mut Authenticator) -> (::passkey::Rp, domain::passkey::Registered) {
        let rp = rp();
        let started = rp.start_registration(&USER, &[]).unwrap();
        let response = a.create(&started.public_key).unwrap();
        let done = rp.finish_registration(&started.state, &response).unwrap();
        (rp, done)
    }

    #[test]
    fn a_real_ceremony_creates_and_signs_in() {
        let mut a = Authenticator::new(ORIGIN);
        let (rp, done) = registered(&mut a);
        assert_eq!(done.credential_id, a.credential().unwrap().id_b64());
        let started = rp.start_authentication().unwrap();
        let assertion = a.get(&started.public_key).unwrap();
        let (id, handle) = rp.assertion_ids(&assertion).unwrap();
        assert_eq!(id, done.credential_id);
        assert_eq!(handle, B64.encode(domain::passkey::user_handle("acc1")));
        let ok = rp
            .finish_authentication(&started.state, &assertion, &done.passkey)
            .unwrap();
        assert!(ok.user_verified);
        assert_eq!(ok.counter, 2);
        // The same assertion against the next ceremony: another challenge.
        let next = rp.start_authentication().unwrap();
        assert_eq!(
            rp.finish_authentication(&next.state, &assertion, &done.passkey),
            Err(Refused::Challenge)
        );
    }

    #[test]
    fn another_origin_rp_id_or_no_verification_is_refused() {
        let rp = rp();
        for (setup, why) in [
            (
                (|a: &mut Authenticator| a.origin = "http://evil.localhost:3000".into())
                    as fn(&mut Authenticator),
                Refused::Origin,
            ),
            (
                |a| a.rp_id_override = Some("example.com".into()),
                Refused::RpId,
            ),
            (|a| a.user_verified = false, Refused::UserVerification),
        ] {
            let mut a = Authenticator::new(ORIGIN);
            setup(&mut a);
            let started = rp.start_registration(&USER, &[]).unwrap();
            let response = a.create(&started.public_key).unwrap();
            assert_eq!(
                rp.finish_registration(&started.state, &response),
                Err(why.clone()),
                "{why:?}"
            );
        }
        // The same at login, with a passkey made properly.
        let mut a = Authenticator::new(ORIGIN);
        let (rp, done) = registered(&mut a);
        a.user_verified = false;
        let started = rp.start_authentication().unwrap();
        let assertion = a.get(&started.public_key).unwrap();
        assert_eq!(
            rp.finish_authentication(&started.state, &assertion, &done.passkey),
            Err(Refused::UserVerification)
        );
    }
}
