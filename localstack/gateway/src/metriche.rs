//! `/_dev/metriche`: the local picture of the dashboard's funnel, drawn from the same EMF
//! lines CloudWatch reads in AWS (`metrics`). The gateway counts the lines of the
//! functions it runs in-process and of its outbox poller (a task-local tally) and, in Lambda
//! mode, the lines the function processes print on stdout. `/_dev/metriche.json` gives the
//! counts as `{"counts": {"RegistrationStarted": 3, …}}` (every metric, zeros included).

use axum::extract::State;
use axum::response::Html;
use axum::Json;
use maud::{html, Markup};
use metrics::{self, Metric};
use std::collections::BTreeMap;

fn counts(ctx: &super::Ctx) -> BTreeMap<Metric, u64> {
    let mut tallies = vec![ctx.metrics.as_ref()];
    if let super::Backend::Lambda(f) = &ctx.backend {
        tallies.push(f.metrics());
    }
    let counted = metrics::merged(tallies);
    Metric::ALL
        .into_iter()
        .map(|m| (m, counted.get(&m).copied().unwrap_or(0)))
        .collect()
}

pub async fn json(State(ctx): State<super::Ctx>) -> Json<serde_json::Value> {
    let counts: serde_json::Map<String, serde_json::Value> = counts(&ctx)
        .into_iter()
        .map(|(m, n)| (m.name().to_owned(), n.into()))
        .collect();
    Json(serde_json::json!({ "counts": counts }))
}

pub async fn page(State(ctx): State<super::Ctx>) -> Html<String> {
    let counts = counts(&ctx);
    let n = |m: Metric| counts.get(&m).copied().unwrap_or(0);
    let groups: [(&str, &[Metric]); 3] = [
        (
            "Accesso",
            &[
                Metric::LoginPasswordOk,
                Metric::LoginPasswordWrong,
                Metric::LoginLocked,
                Metric::LoginCodeOk,
                Metric::LoginPasskeyOk,
                Metric::LoginPasskeyRefused,
                Metric::SmsSavedByPasskey,
                Metric::PasswordHashChecked,
            ],
        ),
        (
            "Recupero credenziali",
            &[
                Metric::RecoveryUsername,
                Metric::RecoveryPassword,
                Metric::RecoveryBoth,
            ],
        ),
        (
            "Messaggi",
            &[
                Metric::SmsSent,
                Metric::SmsFailed,
                Metric::EmailSent,
                Metric::EmailFailed,
                Metric::OutboxExpiredDropped,
                Metric::OutboxDuplicateSkipped,
            ],
        ),
    ];
    let body = html! {
        div class="container" {
            div class="page-head" {
                h1 { "Metriche di sviluppo" }
                p class="lead" { "Solo in locale: i conteggi delle righe di metrica (CloudWatch Embedded Metric \
                    Format) che le funzioni hanno scritto da quando il gateway è partito. In AWS le stesse righe \
                    alimentano il dashboard." }
            }
            section class="prose" aria-labelledby="funnel-title" {
                h2 id="funnel-title" { "Funnel della registrazione" }
                (funnel(&Metric::FUNNEL.map(|m| (m.label(), n(m)))))
                p { (Metric::RegistrationProsegui.label()) ": " strong { (n(Metric::RegistrationProsegui)) } }
            }
            @for (title, list) in groups {
                section class="prose" {
                    h2 { (title) }
                    table {
                        thead { tr { th scope="col" { "Esito" } th scope="col" { "Conteggio" } } }
                        tbody {
                            @for m in list.iter() {
                                tr { th scope="row" { (m.label()) } td data-metric=(m.name()) { (n(*m)) } }
                            }
                        }
                    }
                }
            }
            p { a href="/_dev/metriche.json" { "Gli stessi conteggi in JSON" } }
        }
    };
    Html(ui::layout::flow_page("Metriche di sviluppo", body).into_string())
}

/// The funnel as horizontal bars: an inline SVG (attributes only, no inline style: the
/// site's CSP forbids it) described by the table next to it, which carries the numbers.
fn funnel(steps: &[(&str, u64)]) -> Markup {
    const BAR_X: u64 = 10;
    const BAR_MAX: u64 = 560;
    const ROW: u64 = 44;
    let max = steps.iter().map(|s| s.1).max().unwrap_or(0).max(1);
    let height = ROW * steps.len() as u64;
    html! {
        svg class="funnel" viewBox={ "0 0 640 " (height) } width="100%" role="img"
            aria-labelledby="funnel-title" focusable="false" {
            @for (i, (label, count)) in steps.iter().enumerate() {
                @let y = i as u64 * ROW;
                @let w = (BAR_MAX * count / max).max(2);
                text x=(BAR_X) y=(y + 14) font-size="13" fill="#1a1a1a" { (label) }
                rect x=(BAR_X) y=(y + 20) width=(w) height="16" fill="#004691" {}
                text x=(BAR_X + w + 6) y=(y + 33) font-size="13" fill="#1a1a1a" { (count) }
            }
        }
        table {
            caption class="visually-hidden" { "Funnel della registrazione: persone per passo" }
            thead { tr { th scope="col" { "Passo" } th scope="col" { "Conteggio" } } }
            tbody {
                @for (label, count) in steps { tr { th scope="row" { (label) } td { (count) } } }
            }
        }
    }
}
