//! Funnel and health metrics as CloudWatch **Embedded Metric Format** lines: one JSON object
//! on stdout per outcome, which CloudWatch Logs turns into a metric with no AWS call from the
//! function (no latency, no IAM action, no SDK client to load).
//!
//! A step says which outcome it reached (`engine::Outcome::metric`); the engine emits it once
//! the step's writes are committed, so a refused or retried decision counts nothing. The
//! outbox consumer counts each SMS and email sent or failed, and each message it did not
//! send because it had expired or was already sent (`notify::once`).
//!
//! Locally the gateway keeps the counts for `/_dev/metriche` from the same lines: the
//! functions it runs in-process emit into its [`Tally`] (`scoped`: a task-local, so two
//! gateways in one test process never count each other's requests), and in Lambda mode it
//! reads the EMF lines off the function processes' stdout ([`Tally::record_line`]).

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The metrics' CloudWatch namespace (the template's dashboard and alarms use the same).
pub const NAMESPACE: &str = "PortaleConvenzioneMobile8";
/// Which flow the outcome belongs to.
pub const DIMENSION: &str = "Flow";
/// Which deployment emitted it (`config::vars::STAGE`): two stages in one account and
/// region never add up in one metric, alarm or widget.
pub const STAGE_DIMENSION: &str = "Stage";
/// The variable that names the stage (`engine::config::vars::STAGE`, the same name).
pub const STAGE_VAR: &str = "STAGE";
/// The stage when `STAGE` is not set: the local gateway and the tests.
pub const LOCAL_STAGE: &str = "local";

/// This process's stage (`config::vars::STAGE`, read once; `LOCAL_STAGE` when unset).
pub fn stage() -> &'static str {
    static STAGE: OnceLock<String> = OnceLock::new();
    STAGE.get_or_init(|| {
        std::env::var(STAGE_VAR)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| LOCAL_STAGE.to_owned())
    })
}

/// Every outcome counted. The name is the CloudWatch metric name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    RegistrationStarted,
    RegistrationCodeVerified,
    RegistrationProfile,
    RegistrationProsegui,
    RegistrationEmailSent,
    RegistrationEmailConfirmed,
    RegistrationCompleted,
    LoginPasswordOk,
    LoginPasswordWrong,
    LoginLocked,
    LoginCodeOk,
    /// A login completed with a passkey (no password, no SMS): with `LoginCodeOk` (the
    /// logins by password + SMS) the share of each method.
    LoginPasskeyOk,
    /// A passkey assertion refused (unknown or removed credential, bad signature, replayed
    /// or expired ceremony, inactive account or line): one answer for all.
    LoginPasskeyRefused,
    /// An SMS the login did not send because a passkey signed the person in (the dashboard
    /// prices them with the template's `SmsPriceEur`).
    SmsSavedByPasskey,
    /// A stored password hash verified (login, re-authentication): the CPU a login costs,
    /// counted where it is spent, so a flood refused before it shows none.
    PasswordHashChecked,
    RecoveryUsername,
    RecoveryPassword,
    RecoveryBoth,
    SmsSent,
    SmsFailed,
    EmailSent,
    EmailFailed,
    /// A queued message past its expiry (a code, a link), dropped by the outbox's consumer:
    /// a batch redriven from the dead-letter queue late (`notify::once`).
    OutboxExpiredDropped,
    /// A queued message already delivered, not sent again (a retried batch, a duplicate
    /// SQS delivery: `notify::once`).
    OutboxDuplicateSkipped,
}

impl Metric {
    pub const ALL: [Metric; 24] = [
        Metric::RegistrationStarted,
        Metric::RegistrationCodeVerified,
        Metric::RegistrationProfile,
        Metric::RegistrationProsegui,
        Metric::RegistrationEmailSent,
        Metric::RegistrationEmailConfirmed,
        Metric::RegistrationCompleted,
        Metric::LoginPasswordOk,
        Metric::LoginPasswordWrong,
        Metric::LoginLocked,
        Metric::LoginCodeOk,
        Metric::LoginPasskeyOk,
        Metric::LoginPasskeyRefused,
        Metric::SmsSavedByPasskey,
        Metric::PasswordHashChecked,
        Metric::RecoveryUsername,
        Metric::RecoveryPassword,
        Metric::RecoveryBoth,
        Metric::SmsSent,
        Metric::SmsFailed,
        Metric::EmailSent,
        Metric::EmailFailed,
        Metric::OutboxExpiredDropped,
        Metric::OutboxDuplicateSkipped,
    ];

    /// The registration funnel, in the order of the guide's steps (PROSEGUI is a branch).
    pub const FUNNEL: [Metric; 6] = [
        Metric::RegistrationStarted,
        Metric::RegistrationCodeVerified,
        Metric::RegistrationProfile,
        Metric::RegistrationEmailSent,
        Metric::RegistrationEmailConfirmed,
        Metric::RegistrationCompleted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::RegistrationStarted => "RegistrationStarted",
            Metric::RegistrationCodeVerified => "RegistrationCodeVerified",
            Metric::RegistrationProfile => "RegistrationProfile",
            Metric::RegistrationProsegui => "RegistrationProsegui",
            Metric::RegistrationEmailSent => "RegistrationEmailSent",
            Metric::RegistrationEmailConfirmed => "RegistrationEmailConfirmed",
            Metric::RegistrationCompleted => "RegistrationCompleted",
            Metric::LoginPasswordOk => "LoginPasswordOk",
            Metric::LoginPasswordWrong => "LoginPasswordWrong",
            Metric::LoginLocked => "LoginLocked",
            Metric::LoginCodeOk => "LoginCodeOk",
            Metric::LoginPasskeyOk => "LoginPasskeyOk",
            Metric::LoginPasskeyRefused => "LoginPasskeyRefused",
            Metric::SmsSavedByPasskey => "SmsSavedByPasskey",
            Metric::PasswordHashChecked => "PasswordHashChecked",
            Metric::RecoveryUsername => "RecoveryUsername",
            Metric::RecoveryPassword => "RecoveryPassword",
            Metric::RecoveryBoth => "RecoveryBoth",
            Metric::SmsSent => "SmsSent",
            Metric::SmsFailed => "SmsFailed",
            Metric::EmailSent => "EmailSent",
            Metric::EmailFailed => "EmailFailed",
            Metric::OutboxExpiredDropped => "OutboxExpiredDropped",
            Metric::OutboxDuplicateSkipped => "OutboxDuplicateSkipped",
        }
    }

    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The value of the `Flow` dimension.
    pub fn flow(self) -> &'static str {
        use Metric::*;
        match self {
            RegistrationStarted
            | RegistrationCodeVerified
            | RegistrationProfile
            | RegistrationProsegui
            | RegistrationEmailSent
            | RegistrationEmailConfirmed
            | RegistrationCompleted => "registration",
            LoginPasswordOk | LoginPasswordWrong | LoginLocked | LoginCodeOk | LoginPasskeyOk
            | LoginPasskeyRefused | SmsSavedByPasskey | PasswordHashChecked => "login",
            RecoveryUsername | RecoveryPassword | RecoveryBoth => "recovery",
            SmsSent
            | SmsFailed
            | EmailSent
            | EmailFailed
            | OutboxExpiredDropped
            | OutboxDuplicateSkipped => "messages",
        }
    }

    /// What the dev page calls it (Italian, as the rest of the UI).
    pub fn label(self) -> &'static str {
        match self {
            Metric::RegistrationStarted => "Registrazione iniziata (SMS inviato)",
            Metric::RegistrationCodeVerified => "Codice SMS verificato",
            Metric::RegistrationProfile => "Dati anagrafici inseriti",
            Metric::RegistrationProsegui => "PROSEGUI su registrazione esistente",
            Metric::RegistrationEmailSent => "Email di conferma inviata",
            Metric::RegistrationEmailConfirmed => "Email confermata",
            Metric::RegistrationCompleted => "Registrazione completata",
            Metric::LoginPasswordOk => "Accesso: password corretta",
            Metric::LoginPasswordWrong => "Accesso: password errata",
            Metric::LoginLocked => "Accesso: bloccato",
            Metric::LoginCodeOk => "Accesso: codice corretto",
            Metric::LoginPasskeyOk => "Accesso con passkey",
            Metric::LoginPasskeyRefused => "Accesso con passkey rifiutato",
            Metric::SmsSavedByPasskey => "SMS risparmiati grazie alle passkey",
            Metric::PasswordHashChecked => "Password verificate (hash calcolati)",
            Metric::RecoveryUsername => "Recupero: username",
            Metric::RecoveryPassword => "Recupero: password",
            Metric::RecoveryBoth => "Recupero: username e password",
            Metric::SmsSent => "SMS inviati",
            Metric::SmsFailed => "SMS non inviati",
            Metric::EmailSent => "Email inviate",
            Metric::EmailFailed => "Email non inviate",
            Metric::OutboxExpiredDropped => "Messaggi scaduti, non inviati",
            Metric::OutboxDuplicateSkipped => "Messaggi già consegnati, non ripetuti",
        }
    }
}

/// The EMF line of one occurrence of `metric` at `timestamp_ms`, in this process's stage.
pub fn line(metric: Metric, timestamp_ms: i64) -> String {
    line_in(stage(), metric, timestamp_ms)
}

/// The EMF line of one occurrence of `metric` in `stage`: dimensions `Stage` and `Flow`
/// (the template's alarms and dashboard name both).
pub fn line_in(stage: &str, metric: Metric, timestamp_ms: i64) -> String {
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[STAGE_DIMENSION, DIMENSION]],
                "Metrics": [{ "Name": metric.name(), "Unit": "Count" }],
            }],
        },
    });
    doc[STAGE_DIMENSION] = Value::from(stage);
    doc[DIMENSION] = Value::from(metric.flow());
    doc[metric.name()] = Value::from(1);
    doc.to_string()
}

tokio::task_local! {
    static SINK: Arc<Tally>;
}

/// Emits one occurrence of `metric`: into the tally of the local gateway running this
/// request, if one does (`scoped`), else as an EMF line on stdout (Lambda's log stream).
pub fn emit(metric: Metric) {
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let line = line(metric, now_ms as i64);
    if SINK.try_with(|t| t.record_line(&line)).is_err() {
        // One locked write per line: concurrent requests never interleave inside a line
        // (and the test harness captures it, unlike a raw write to stdout).
        println!("{line}");
    }
}

/// Runs `fut` with every `emit` inside it counted in `tally` instead of printed.
pub async fn scoped<F: std::future::Future>(tally: Arc<Tally>, fut: F) -> F::Output {
    SINK.scope(tally, fut).await
}

/// Counts of EMF lines by metric name (the local gateway's `/_dev/metriche`).
#[derive(Debug, Default)]
pub struct Tally(Mutex<BTreeMap<Metric, u64>>);

impl Tally {
    /// Counts `line` if it is one of our EMF lines (any other log line is ignored); true if
    /// it was.
    pub fn record_line(&self, line: &str) -> bool {
        let Some(metrics) = parse_line(line) else {
            return false;
        };
        let mut counts = self.0.lock().expect("tally lock");
        for (m, n) in metrics {
            *counts.entry(m).or_default() += n;
        }
        true
    }

    pub fn counts(&self) -> BTreeMap<Metric, u64> {
        self.0.lock().expect("tally lock").clone()
    }

    pub fn get(&self, metric: Metric) -> u64 {
        self.counts().get(&metric).copied().unwrap_or(0)
    }
}

/// The metrics an EMF line of our namespace declares, with their values.
fn parse_line(line: &str) -> Option<Vec<(Metric, u64)>> {
    let line = line.trim();
    if !line.starts_with('{') || !line.contains("\"_aws\"") {
        return None;
    }
    let doc: Value = serde_json::from_str(line).ok()?;
    let declared = doc.pointer("/_aws/CloudWatchMetrics")?.as_array()?;
    let mut out = Vec::new();
    for d in declared.iter().filter(|d| d["Namespace"] == NAMESPACE) {
        for m in d["Metrics"].as_array().into_iter().flatten() {
            let Some(metric) = m["Name"].as_str().and_then(Metric::parse) else {
                continue;
            };
            out.push((metric, doc[metric.name()].as_u64().unwrap_or(0)));
        }
    }
    Some(out)
}

/// Sums tallies (the gateway's own and its Lambda processes').
pub fn merged<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> BTreeMap<Metric, u64> {
    let mut all = BTreeMap::new();
    for t in tallies {
        for (m, n) in t.counts() {
            *all.entry(m).or_default() += n;
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_emf_and_reads_back() {
        let l = line(Metric::LoginLocked, 1_700_000_000_000);
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["Stage", "Flow"]]),
            "one dimension set: the stage and the flow"
        );
        assert_eq!(
            v["Stage"], "local",
            "STAGE unset: the local gateway's value"
        );
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "LoginLocked"
        );
        assert_eq!(v["Flow"], "login");
        assert_eq!(v["LoginLocked"], 1);
        assert!(!l.contains('\n'));
        let t = Tally::default();
        assert!(t.record_line(&l));
        assert!(!t.record_line(r#"{"level":"INFO","fields":{"message":"x"}}"#));
        assert!(!t.record_line("not json"));
        assert_eq!(t.get(Metric::LoginLocked), 1);
    }

    #[test]
    fn a_line_carries_its_stage_and_still_counts() {
        let l = line_in("prod", Metric::SmsSent, 1);
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["Stage"], "prod");
        assert_eq!(v["Flow"], "messages");
        let t = Tally::default();
        assert!(t.record_line(&l), "the dev page counts every stage's lines");
        assert_eq!(t.get(Metric::SmsSent), 1);
    }

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
    }

    #[tokio::test]
    async fn scoped_emits_count_in_the_tally() {
        let t = Arc::new(Tally::default());
        scoped(t.clone(), async {
            emit(Metric::SmsSent);
            emit(Metric::SmsSent);
        })
        .await;
        assert_eq!(t.get(Metric::SmsSent), 2);
    }
}
