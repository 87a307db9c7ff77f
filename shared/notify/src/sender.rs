//! Who the SMS come from (`SMS_SENDER_ID`, read by `engine::config`): what SNS sends with
//! (`deliver`) and what the pages and messages name.

/// Who the portal's SMS come from, parsed from `SMS_SENDER_ID`: one setting for what SNS
/// sends with and what the pages and messages name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsSender {
    /// A registered alphanumeric sender ID ("TIM"): 1–11 of `A-Z a-z 0-9 -`, at least one
    /// letter; SNS's `AWS.SNS.SMS.SenderID`.
    Alphanumeric(String),
    /// A number the account owns (an AWS short code such as 40134, or a long number in
    /// E.164): SNS's `AWS.MM.SMS.OriginationNumber`.
    Number(String),
}

impl SmsSender {
    /// The guide's short code: the local default.
    pub const LOCAL_DEFAULT: &'static str = "40134";

    pub fn parse(s: &str) -> Result<SmsSender, &'static str> {
        let s = s.trim();
        let digits = s.strip_prefix('+').unwrap_or(s);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return match (s.starts_with('+'), digits.len()) {
                (false, 3..=8) | (true, 8..=15) => Ok(SmsSender::Number(s.to_owned())),
                _ => {
                    Err("a number must be a short code (3-8 digits) or +<country><number> (E.164)")
                }
            };
        }
        let allowed = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !(1..=11).contains(&s.len()) || !allowed || !s.bytes().any(|b| b.is_ascii_alphabetic()) {
            return Err(
                "an alphanumeric sender ID has 1-11 of A-Z, a-z, 0-9, -, at least one letter",
            );
        }
        Ok(SmsSender::Alphanumeric(s.to_owned()))
    }

    /// The sender as SNS gets it: (message attribute, value).
    pub fn sns_attribute(&self) -> (&'static str, &str) {
        match self {
            SmsSender::Alphanumeric(id) => ("AWS.SNS.SMS.SenderID", id),
            SmsSender::Number(n) => ("AWS.MM.SMS.OriginationNumber", n),
        }
    }

    /// How a page names it after "un SMS": "dal numero 40134", "dal mittente TIM".
    pub fn from_phrase(&self) -> String {
        match self {
            SmsSender::Alphanumeric(id) => format!("dal mittente {id}"),
            SmsSender::Number(n) => format!("dal numero {n}"),
        }
    }
}

impl std::fmt::Display for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsSender::Alphanumeric(s) | SmsSender::Number(s) => f.write_str(s),
        }
    }
}
