//! The GET of the SMS-code pages (registration, login, recovery, account deletion): the
//! flow's state from its cookie, then its page or where the flow has moved on to.

use domain::MobileNumber;
use engine::pages::otp::notice;
use maud::Markup;
use ui::FieldErrors;

/// The GET of a code page, from the state the cookie carries (no read): `elsewhere` says
/// where a flow that is past the code goes.
pub async fn show<T: engine::Flow>(
    app: &engine::App,
    ctx: &engine::Ctx,
    elsewhere: impl Fn(&T) -> Option<String>,
    number: impl Fn(&T) -> &MobileNumber,
    draw: impl Fn(&str, &FieldErrors, Option<&str>) -> Markup,
) -> crate::Resp {
    use crate as web;
    match engine::carry::from_ctx::<T>(app, ctx, T::COOKIE, T::KIND).await {
        None => web::redirect(&T::gone()),
        Some(f) => match elsewhere(&f.data) {
            Some(to) => web::redirect(&to),
            None => web::html(
                200,
                draw(number(&f.data).e164(), &FieldErrors::default(), notice(ctx)),
            ),
        },
    }
}
