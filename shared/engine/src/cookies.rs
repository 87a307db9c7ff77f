//! Cookies as plain text: the names they have on the wire, the `Set-Cookie` values the
//! portal writes, and a `Cookie` header read once into its pairs (`engine::Ctx`).

/// The name a cookie has on the wire: in AWS (`secure`) with the `__Host-` prefix, which
/// browsers accept only with `Secure`, `Path=/` and no `Domain` — so no other host under
/// the same domain can plant or overwrite it. The local plain-http gateway uses the bare name.
pub fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The longest cookie value read: browsers keep cookies of at most 4096 bytes, and none we
/// set comes near it. A longer value (or a Cookie header that is not visible ASCII) is the
/// browser's invention, read as no cookie at all, so it never reaches a key or a page.
pub const MAX_COOKIE_VALUE: usize = 4096;

/// The pairs of `Cookie` header values, each at most `MAX_COOKIE_VALUE` long (a longer one is
/// the browser's invention, read as no cookie at all): (wire name, value), first first.
pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.value().len() <= MAX_COOKIE_VALUE)
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect()
}

/// A `Set-Cookie` value. `SameSite=Lax` so the email link's top-level navigation keeps
/// working; `HttpOnly` always; `Secure` (and the `__Host-` prefix) except on the local
/// plain-http gateway. `max_age: None` makes a cookie that ends with the browser.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = cookie::Cookie::build((cookie_name(name, secure), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure);
    if let Some(secs) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(secs));
    }
    c.build().to_string()
}

pub fn clear_cookie(name: &str, secure: bool) -> String {
    set_cookie(name, "", Some(0), secure)
}
