//! "Chrome su Windows 10": a browser and its system, from a User-Agent, as the private
//! area and the new-access email name them. Parsed with `woothee` (its patterns are
//! compiled on first use: only requests that show a User-Agent pay for them).

/// The browser and system, or "Browser sconosciuto".
pub fn describe(user_agent: &str) -> String {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    // Crawlers and HTTP libraries ("misc") are no browser a person would recognise.
    let person = |r: &woothee::parser::WootheeResult| {
        r.name != woothee::woothee::VALUE_UNKNOWN
            && matches!(
                r.category,
                "pc" | "smartphone" | "mobilephone" | "appliance"
            )
    };
    let Some(r) = parsed.filter(person) else {
        return "Browser sconosciuto".to_owned();
    };
    let os = if r.os == woothee::woothee::VALUE_UNKNOWN {
        String::new()
    } else {
        format!(" su {}", r.os)
    };
    format!("{}{os}", r.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_common_browsers_and_admits_ignorance() {
        let chrome =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
            Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(describe(chrome), "Chrome su Windows 10");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like \
            Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        assert_eq!(describe(iphone), "Safari su iPhone");
        assert_eq!(describe(""), "Browser sconosciuto");
        assert_eq!(describe("curl/8.0"), "Browser sconosciuto");
    }
}
