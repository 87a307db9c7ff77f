//! "Le linee del tuo Ente": the entity's lines, for the referente of the Convenzione
//! (a user whose own line has the `referente` profile). One page is one `Query` of the
//! entity's partition (`store::lines::of_entity`): 20 lines in number order, a search by
//! the number's first digits (the sort-key prefix), a next page that carries the last
//! number shown, and on later pages the page before (one more Query, backwards).

use domain::{MobileNumber, MobileNumberError};
use serde::Deserialize;
use store::accounts::Account;
use store::lines::{self, EntityLine, Line, Profile};
use store::{Store, StoreError};

pub const PAGE_SIZE: usize = 20;

/// The page's query string, as typed (kept to be shown back).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Form {
    /// The number, or its first digits.
    pub numero: String,
    /// The last number of the previous page (E.164).
    pub dopo: String,
}

/// What to search: the E.164 prefix of the numbers (`+39` and the digits typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPrefix(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("Inserisci solo cifre: il numero mobile o le sue prime cifre, ad esempio 333 12.")]
    NotDigits,
    #[error("I numeri mobili italiani iniziano con 3: controlla le cifre inserite.")]
    NotMobile,
    #[error(transparent)]
    Number(#[from] MobileNumberError),
}

impl NumberPrefix {
    /// `None` for an empty search (all lines). Spaces, dots and dashes are ignored, as is
    /// the `+39` / `0039` prefix; a whole number must be a valid mobile number.
    pub fn parse(raw: &str) -> Result<Option<NumberPrefix>, SearchError> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '/'))
            .collect();
        let digits = compact
            .strip_prefix("+39")
            .or_else(|| compact.strip_prefix("0039"))
            .unwrap_or(&compact);
        if digits.is_empty() {
            return if compact.is_empty() {
                Ok(None)
            } else {
                Err(SearchError::NotDigits)
            };
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 10 {
            return Err(SearchError::NotDigits);
        }
        if !digits.starts_with('3') {
            return Err(SearchError::NotMobile);
        }
        if digits.len() == 10 {
            return Ok(Some(NumberPrefix(
                MobileNumber::parse(digits)?.e164().to_owned(),
            )));
        }
        Ok(Some(NumberPrefix(format!("+39{digits}"))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// The user is no referente (or their line is no longer active): there is nothing
    /// for them here.
    NotReferente,
    Lines(Listing),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub entity_name: String,
    pub entity_cf: String,
    pub lines: Vec<EntityLine>,
    /// The search's error, when what was typed is no number (then no line is listed).
    pub search_error: Option<String>,
    /// Whether a search is applied (to offer "all lines").
    pub searching: bool,
    /// The number after which the next page starts, if there is one.
    pub next: Option<MobileNumber>,
    /// Whether this is a later page (to offer the first one).
    pub later_page: bool,
    /// On a later page, where the page before it starts (`None`: the first page).
    pub previous: Option<MobileNumber>,
}

/// The referente's line, if the account holds one.
fn referente_line(line: Option<Line>) -> Option<Line> {
    line.filter(|l| l.active && l.profile == Profile::Referente)
}

/// The page for `account` and what it typed: the user's line (one read), then one page
/// of the entity's lines (one query).
pub async fn view(store: &dyn Store, account: &Account, form: &Form) -> Result<View, StoreError> {
    let Some(line) = referente_line(lines::get(store, &account.number).await?) else {
        return Ok(View::NotReferente);
    };
    let mut listing = Listing {
        entity_name: line.ragione_sociale.clone(),
        entity_cf: line.entity_cf.as_str().to_owned(),
        lines: Vec::new(),
        search_error: None,
        searching: !form.numero.trim().is_empty(),
        next: None,
        later_page: false,
        previous: None,
    };
    let prefix = match NumberPrefix::parse(&form.numero) {
        Ok(p) => p,
        Err(e) => {
            listing.search_error = Some(e.to_string());
            return Ok(View::Lines(listing));
        }
    };
    let prefix = prefix.as_ref().map_or("", NumberPrefix::as_str);
    // A next-page number outside the search (an edited link) starts from the first page.
    let after = MobileNumber::parse(&form.dopo)
        .ok()
        .filter(|n| n.e164().starts_with(prefix))
        .map(|n| lines::index_key(&listing.entity_cf, &n).sk);
    listing.later_page = after.is_some();
    let page = lines::of_entity(
        store,
        &listing.entity_cf,
        prefix,
        after.as_deref(),
        PAGE_SIZE,
    )
    .await?;
    listing.next = page
        .next
        .and_then(|sk| MobileNumber::parse(sk.trim_start_matches(lines::PREFIX)).ok());
    listing.lines = page.lines;
    if let Some(after) = after.as_deref() {
        let start =
            lines::previous_start(store, &listing.entity_cf, prefix, after, PAGE_SIZE).await?;
        listing.previous =
            start.and_then(|sk| MobileNumber::parse(sk.trim_start_matches(lines::PREFIX)).ok());
    }
    Ok(View::Lines(listing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_takes_whole_numbers_or_first_digits() {
        let p = |s: &str| NumberPrefix::parse(s).map(|o| o.map(|p| p.as_str().to_owned()));
        assert_eq!(p(""), Ok(None));
        assert_eq!(p("  "), Ok(None));
        assert_eq!(p("333 12"), Ok(Some("+3933312".into())));
        assert_eq!(p("+39 333 123 4567"), Ok(Some("+393331234567".into())));
        assert_eq!(p("abc"), Err(SearchError::NotDigits));
        assert_eq!(p("06 123"), Err(SearchError::NotMobile));
        assert_eq!(p("333 123 4567 8"), Err(SearchError::NotDigits));
        assert!(p("+39").is_err());
    }
}
