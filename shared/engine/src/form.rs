//! A submitted form, and its decoding that never fails: invalid UTF-8 is replaced, the first of repeated
//! fields wins, oversized values are cut, so every bad submission re-renders the page
//! with a message instead of an error status.

/// Longest value kept from any field; longer input is cut (and then fails parsing).
pub const MAX_FIELD: usize = 512;
/// Largest body read.
pub const MAX_BODY: usize = 16 * 1024;
/// The fields that carry a WebAuthn credential's JSON (issue 24: a created passkey's
/// attestation with its certificates, a login's assertion), verified by their own parser;
/// every other field is cut at `MAX_FIELD`.
pub const LONG_FIELDS: &[&str] = &[CREDENTIAL_FIELD];
pub const CREDENTIAL_FIELD: &str = "credenziale";
/// Longest value kept from a `LONG_FIELDS` field.
pub const MAX_LONG_FIELD: usize = 12 * 1024;

/// How much of field `name` is kept.
pub fn max_len(name: &str) -> usize {
    match LONG_FIELDS.contains(&name) {
        true => MAX_LONG_FIELD,
        false => MAX_FIELD,
    }
}

#[derive(Debug, Clone, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

pub fn parse_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    let bytes = &bytes[..bytes.len().min(MAX_BODY)];
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| {
            let keep = max_len(&k);
            (k.into_owned(), v.chars().take(keep).collect())
        })
        .collect()
}

impl Form {
    /// A form of these decoded pairs (a body, a query string).
    pub fn of(pairs: Vec<(String, String)>) -> Form {
        Form { pairs }
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> Form {
        Form {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The form as a step's typed form (a `serde` struct of `String` fields with
    /// `#[serde(default)]`): the first value of each field, missing ones empty. Parsing
    /// into domain types is the step's decision, so that errors keep what was typed.
    pub fn typed<T: serde::de::DeserializeOwned + Default>(&self) -> T {
        let mut seen = std::collections::BTreeMap::new();
        for (k, v) in &self.pairs {
            seen.entry(k.as_str()).or_insert(v.as_str());
        }
        let fields =
            serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(seen.into_iter());
        T::deserialize(fields).unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }
}

pub use ui::FieldErrors;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_value_wins_and_missing_is_empty() {
        let f = Form {
            pairs: parse_pairs(b"a=1&a=2&b=%C3%A8"),
        };
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.get("b"), "è");
        assert_eq!(f.get("c"), "");
    }

    #[test]
    fn a_passkeys_response_is_kept_whole_other_fields_are_cut() {
        let long = "x".repeat(2000);
        let body = format!("credenziale={long}&nome={long}");
        let f = Form {
            pairs: parse_pairs(body.as_bytes()),
        };
        assert_eq!(f.get(CREDENTIAL_FIELD).len(), 2000);
        assert_eq!(f.get("nome").len(), MAX_FIELD);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let f = Form { pairs: parse_pairs(&bytes) };
            for (k, v) in &f.pairs {
                prop_assert!(v.chars().count() <= max_len(k));
            }
        }
    }

    #[test]
    fn a_credential_is_kept_whole_and_other_fields_are_cut() {
        let long = "x".repeat(3000);
        let body = format!("credenziale={long}&nome={long}");
        let f = Form {
            pairs: parse_pairs(body.as_bytes()),
        };
        assert_eq!(f.get("credenziale").len(), 3000);
        assert_eq!(f.get("nome").len(), MAX_FIELD);
    }
}
