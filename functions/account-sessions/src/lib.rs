//! "Dispositivi e sessioni": the account's live sessions, and the wiring of
//! `engine::area::sessions::end` ("Esci da questo dispositivo", "Esci da tutti gli altri").

use domain::clock::rome_datetime;
use domain::routes;
use engine::area::sessions::{self, ALL_OTHERS, OTHERS};
use engine::area::steps::SessionsStep;
use engine::session::SignedIn;
use engine::App;
use maud::{html, Markup};
use store::sessions::Listed;
use ui::agent;
use ui::{pages::area, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let listed = sessions::list(app, s).await?;
    let ended = ctx.query_param("chiuse").and_then(|n| Ended::parse(&n));
    Ok(web::html(
        200,
        page(s, &listed, ended, &FieldErrors::default()),
    ))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let step = SessionsStep {
        s,
        form: ctx.form.typed(),
    };
    web::run(app, ctx, &step, |_, e| page(s, &[], None, e)).await
}

/// What the page after a POST says was ended (`chiuse`).
#[derive(Debug, Clone, Copy)]
enum Ended {
    None,
    One,
    AllOthers,
}

impl Ended {
    fn parse(raw: &str) -> Option<Ended> {
        match raw {
            "0" => Some(Ended::None),
            "1" => Some(Ended::One),
            ALL_OTHERS => Some(Ended::AllOthers),
            _ => None,
        }
    }
    fn text(self) -> &'static str {
        match self {
            Ended::None => "Nessuna sessione da chiudere: erano già chiuse.",
            Ended::One => "Abbiamo chiuso 1 sessione.",
            Ended::AllOthers => {
                "Abbiamo chiuso tutte le sessioni aperte sugli altri dispositivi. Le richieste che erano in attesa \
                 di conferma (cambio dell'indirizzo email, eliminazione dell'account) sono state annullate: se ti \
                 servono, chiedile di nuovo."
            }
        }
    }
}

fn page(s: &SignedIn, listed: &[Listed], ended: Option<Ended>, errors: &FieldErrors) -> Markup {
    let notice = ended.map(Ended::text);
    let current = s.session.hash();
    area::page(
        "Dispositivi e sessioni",
        html! {
            (area::heading("Dispositivi e sessioni", notice, errors))
            p { "Questi sono i browser in cui il tuo account è collegato ora, dal più recente. Se non ne riconosci \
                uno, chiudilo e " a href=(routes::ACCOUNT_PASSWORD) { "cambia la password" } "." }
            ul class="cards" {
                @for l in listed {
                    li class="card" {
                        h2 class="card-title" {
                            (agent::describe(&l.user_agent))
                            @if l.hash == current { " " span class="badge" { "(questo dispositivo)" } }
                        }
                        dl {
                            dt { "Accesso effettuato" } dd { (rome_datetime(l.created_at)) }
                            dt { "Ultima attività" } dd { (rome_datetime(l.last_seen)) }
                        }
                        form method="post" action=(routes::ACCOUNT_SESSIONS) {
                            input type="hidden" name="sessione" value=(l.hash);
                            button class="btn btn-secondary" type="submit" { "Esci da questo dispositivo" }
                        }
                    }
                }
            }
            @if listed.iter().any(|l| l.hash != current) {
                p { "Con " strong { "Esci da tutti gli altri dispositivi" } " chiudiamo ogni altra sessione e \
                    annulliamo le richieste ancora in attesa di conferma (cambio dell'indirizzo email, eliminazione \
                    dell'account); su questo dispositivo resti collegato." }
                form method="post" action=(routes::ACCOUNT_SESSIONS) {
                    input type="hidden" name="sessione" value=(OTHERS);
                    button class="btn btn-primary" type="submit" { "Esci da tutti gli altri dispositivi" }
                }
            }
        },
    )
}
