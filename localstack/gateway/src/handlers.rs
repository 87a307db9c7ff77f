//! Function name (from the route table) → that crate's handler. Each function crate
//! is a library with `handle`, and a `main` that runs it under `lambda_http`.

use engine::App;
use futures::future::BoxFuture;
use lambda_http::Request;
use web::Resp;

pub type Handler = fn(&'static App, Request) -> BoxFuture<'static, Resp>;

pub fn handler_for(function: &str) -> Option<Handler> {
    Some(match function {
        "register-number" => |a, r| Box::pin(register_number::handle(a, r)),
        "register-otp" => |a, r| Box::pin(register_otp::handle(a, r)),
        "register-profile" => |a, r| Box::pin(register_profile::handle(a, r)),
        "register-email" => |a, r| Box::pin(register_email::handle(a, r)),
        "confirm-email" => |a, r| Box::pin(confirm_email::handle(a, r)),
        "confirm-cease" => |a, r| Box::pin(confirm_cease::handle(a, r)),
        "register-password" => |a, r| Box::pin(register_password::handle(a, r)),
        "login" => |a, r| Box::pin(login::handle(a, r)),
        "login-otp" => |a, r| Box::pin(login_otp::handle(a, r)),
        "login-passkey" => |a, r| Box::pin(login_passkey::handle(a, r)),
        "account" => |a, r| Box::pin(account::handle(a, r)),
        "account-lines" => |a, r| Box::pin(account_lines::handle(a, r)),
        "account-password" => |a, r| Box::pin(account_password::handle(a, r)),
        "account-email" => |a, r| Box::pin(account_email::handle(a, r)),
        "account-email-confirm" => |a, r| Box::pin(account_email_confirm::handle(a, r)),
        "account-sessions" => |a, r| Box::pin(account_sessions::handle(a, r)),
        "account-history" => |a, r| Box::pin(account_history::handle(a, r)),
        "account-privacy" => |a, r| Box::pin(account_privacy::handle(a, r)),
        "account-delete" => |a, r| Box::pin(account_delete::handle(a, r)),
        "account-delete-otp" => |a, r| Box::pin(account_delete_otp::handle(a, r)),
        "account-consents" => |a, r| Box::pin(account_consents::handle(a, r)),
        "account-passkeys" => |a, r| Box::pin(account_passkeys::handle(a, r)),
        "account-passkey-create" => |a, r| Box::pin(account_passkey_create::handle(a, r)),
        "logout" => |a, r| Box::pin(logout::handle(a, r)),
        "recover-start" => |a, r| Box::pin(recover_start::handle(a, r)),
        "recover-otp" => |a, r| Box::pin(recover_otp::handle(a, r)),
        "recover-reset" => |a, r| Box::pin(recover_reset::handle(a, r)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_has_a_handler() {
        for r in domain::routes::ROUTES {
            assert!(
                super::handler_for(r.function).is_some(),
                "no handler linked for {}",
                r.function
            );
        }
    }
}
