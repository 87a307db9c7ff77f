//! Domain types that exist only when valid ("parse, don't validate").
//!
//! Every type is built by `parse`, whose error `Display` is the Italian message
//! shown next to the form field. Public types serialise as their normalised string
//! and deserialise through `parse`, so stored data can never bypass validation.
//! Secrets (`Password`, `OtpCode`) redact `Debug` and do not implement `Serialize`.
//!
//! The crate at the bottom of the layers (ARCHITECTURE.md): the types and the pure helpers
//! every other crate uses (`clock`, `crypto`, password hashing, route paths, the documents'
//! versions). No I/O, no AWS, no HTTP, no async runtime.

pub mod clock;
pub mod crypto;
pub mod documents;
pub mod passkey;
pub mod passwords;
pub mod routes;

/// String-backed types: `FromStr`, `Display`, `AsRef<str>` and the serde bridge
/// (`#[serde(try_from = "String", into = "String")]`), all through `parse`/`as_str`.
macro_rules! string_type {
    ($ty:ty, $err:ty) => {
        impl ::std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.as_str().to_owned()
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod codice_fiscale;
mod email;
mod mobile_number;
mod otp;
mod password;
mod username;

pub use codice_fiscale::{
    CodiceFiscale, CodiceFiscaleEnte, CodiceFiscaleError, CodiceFiscalePersona, EnteCfError,
    PersonaCfError,
};
pub use email::{Email, EmailError};
pub use mobile_number::{MobileNumber, MobileNumberError};
pub use otp::{OtpCode, OtpCodeError};
pub use password::{
    Password, PasswordError, PASSWORD_MAX_LEN, PASSWORD_MIN_LEN, PASSWORD_RULES, PASSWORD_SPECIALS,
};
pub use username::{Username, UsernameError};
