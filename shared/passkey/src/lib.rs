//! The WebAuthn ceremonies with `webauthn-rs` (issue 24): `Rp` implements
//! `domain::passkey::Ceremonies` on serialised values, so the steps that use it
//! (`engine::area::passkeys`, the login's) stay free of the library and only the functions
//! that do WebAuthn link it.
//!
//! Passkeys are created discoverable (resident key required) with user verification
//! required, so a login needs neither a username nor a password; the library's state
//! between the options and the response is kept server-side (`store::ceremonies`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use domain::passkey::{
    Authenticated, Ceremonies, Refused, Registered, RelyingParty, Started, User,
};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, WebauthnError,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// The name browsers show for the site in their passkey dialogs.
pub const RP_NAME: &str = "Convenzione Telefonia Mobile 8";

/// The relying party: the site's RP ID and origin.
pub struct Rp {
    webauthn: Webauthn,
}

impl Rp {
    /// From configuration (`engine::config`: `PASSKEY_RP_ID`, `PASSKEY_ORIGIN`): the origin
    /// must be the RP ID or a subdomain of it.
    pub fn from_config(rp: &RelyingParty) -> Result<Rp, String> {
        let origin = Url::parse(&rp.origin).map_err(|e| format!("PASSKEY_ORIGIN: {e}"))?;
        let webauthn = WebauthnBuilder::new(&rp.id, &origin)
            .and_then(|b| b.rp_name(RP_NAME).build())
            .map_err(|e| format!("PASSKEY_RP_ID / PASSKEY_ORIGIN: {e}"))?;
        Ok(Rp { webauthn })
    }
}

fn refused(e: &WebauthnError) -> Refused {
    match e {
        WebauthnError::InvalidRPOrigin => Refused::Origin,
        WebauthnError::InvalidRPIDHash => Refused::RpId,
        WebauthnError::MismatchedChallenge => Refused::Challenge,
        WebauthnError::UserNotVerified => Refused::UserVerification,
        other => Refused::Other(format!("{other:?}")),
    }
}

/// The creation options as the browser takes them, asking for a discoverable credential
/// (the library asks for none by default): a login by passkey names no account.
fn discoverable(mut public_key: serde_json::Value) -> serde_json::Value {
    if let Some(sel) = public_key
        .get_mut("authenticatorSelection")
        .and_then(|s| s.as_object_mut())
    {
        sel.insert("residentKey".into(), "required".into());
        sel.insert("requireResidentKey".into(), true.into());
    }
    public_key
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, String> {
    serde_json::to_string(v).map_err(|e| e.to_string())
}

impl Ceremonies for Rp {
    fn start_registration(&self, user: &User<'_>, exclude: &[String]) -> Result<Started, String> {
        let exclude: Vec<Vec<u8>> = exclude
            .iter()
            .filter_map(|id| B64.decode(id).ok())
            .collect();
        let handle = Uuid::from_bytes(domain::passkey::user_handle(user.account_id));
        let (ccr, state) = self
            .webauthn
            .start_passkey_registration(
                handle,
                user.name,
                user.display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(|e| e.to_string())?;
        let public_key = serde_json::to_value(&ccr.public_key).map_err(|e| e.to_string())?;
        Ok(Started {
            public_key: json(&discoverable(public_key))?,
            state: json(&state)?,
        })
    }

    fn finish_registration(&self, state: &str, response: &str) -> Result<Registered, Refused> {
        let state: PasskeyRegistration =
            serde_json::from_str(state).map_err(|_| Refused::Malformed)?;
        let reg: RegisterPublicKeyCredential =
            serde_json::from_str(response).map_err(|_| Refused::Malformed)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&reg, &state)
            .map_err(|e| refused(&e))?;
        Ok(Registered {
            credential_id: B64.encode(passkey.cred_id()),
            passkey: serde_json::to_string(&passkey).map_err(|e| Refused::Other(e.to_string()))?,
        })
    }

    fn start_authentication(&self) -> Result<Started, String> {
        let (rcr, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| e.to_string())?;
        Ok(Started {
            public_key: json(&rcr.public_key)?,
            state: json(&state)?,
        })
    }

    fn finish_authentication(
        &self,
        state: &str,
        response: &str,
        passkey: &str,
    ) -> Result<Authenticated, Refused> {
        let state: DiscoverableAuthentication =
            serde_json::from_str(state).map_err(|_| Refused::Malformed)?;
        let cred: PublicKeyCredential =
            serde_json::from_str(response).map_err(|_| Refused::Malformed)?;
        let mut passkey: Passkey =
            serde_json::from_str(passkey).map_err(|e| Refused::Other(e.to_string()))?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(&cred, state, &passkey)
            .map_err(|e| refused(&e))?;
        let changed = passkey.update_credential(&result) == Some(true);
        Ok(Authenticated {
            passkey: match changed {
                true => Some(
                    serde_json::to_string(&passkey).map_err(|e| Refused::Other(e.to_string()))?,
                ),
                false => None,
            },
            counter: result.counter(),
            user_verified: result.user_verified(),
        })
    }

    fn assertion_ids(&self, response: &str) -> Option<(String, String)> {
        let cred: PublicKeyCredential = serde_json::from_str(response).ok()?;
        let handle = cred.get_user_unique_id()?;
        Some((B64.encode(cred.get_credential_id()), B64.encode(handle)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp() -> Rp {
        Rp::from_config(&RelyingParty {
            id: "localhost".into(),
            origin: "http://localhost:8080".into(),
        })
        .unwrap()
    }

    #[test]
    fn creation_options_ask_for_a_discoverable_verified_passkey() {
        let user = User {
            account_id: "acc1",
            name: "mario.rossi",
            display_name: "Mario Rossi",
        };
        let s = rp()
            .start_registration(&user, &["AAAAAAAAAAAAAAAAAAAAAA".into()])
            .unwrap();
        let o: serde_json::Value = serde_json::from_str(&s.public_key).unwrap();
        assert_eq!(o["rp"]["id"], "localhost");
        assert_eq!(o["user"]["name"], "mario.rossi");
        assert_eq!(
            o["user"]["id"],
            B64.encode(domain::passkey::user_handle("acc1"))
        );
        let sel = &o["authenticatorSelection"];
        assert_eq!(sel["residentKey"], "required");
        assert_eq!(sel["userVerification"], "required");
        assert_eq!(o["excludeCredentials"][0]["id"], "AAAAAAAAAAAAAAAAAAAAAA");
        assert!(s.state.len() > 50);
    }

    #[test]
    fn garbage_is_malformed_and_a_bad_config_is_named() {
        let r = rp();
        let s = r.start_authentication().unwrap();
        let o: serde_json::Value = serde_json::from_str(&s.public_key).unwrap();
        assert_eq!(o["userVerification"], "required");
        assert!(o
            .get("allowCredentials")
            .is_none_or(|a| a.as_array().is_some_and(|a| a.is_empty())));
        assert_eq!(
            r.finish_registration(&s.state, "").unwrap_err(),
            Refused::Malformed
        );
        assert_eq!(
            r.finish_authentication(&s.state, "{}", "{}").unwrap_err(),
            Refused::Malformed
        );
        assert!(r.assertion_ids("nope").is_none());
        let bad = Rp::from_config(&RelyingParty {
            id: "example.it".into(),
            origin: "https://other.test".into(),
        });
        assert!(bad.is_err());
    }
}
