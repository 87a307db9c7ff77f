//! Least privilege, declared once next to the route table: for each Lambda (crate under
//! `functions/`), the DynamoDB item actions it performs on each key prefix of the table.
//! `infra/template.yaml` grants exactly this to the function's role (one statement per
//! action, with a `dynamodb:LeadingKeys` condition listing every prefix of that action:
//! see `statements`) and
//! `tests/tests/api/template_consistency/` checks it, so the two cannot drift.
//!
//! This table is written by reading what each handler and the shared code it calls does
//! (`store::*`, `flows::*`, `sms`, `session`). **When a function starts to touch a new
//! prefix or to write where it only read, change its row here**: nothing else notices
//! (LocalStack does not enforce IAM), and in AWS the call would fail with AccessDenied.
//!
//! `Store::transact` is TransactWriteItems, which has no IAM action of its own: each item
//! is authorised as the PutItem / UpdateItem / DeleteItem / ConditionCheckItem it carries,
//! and its key is checked against LeadingKeys like a single write. `Store::batch_get` is
//! BatchGetItem, authorised ONCE with all its keys: every key must match a pattern of the
//! same statement (`tests/tests/api/template_iam.rs` evaluates the roles so).
//!
//! Besides the template test, `template_consistency::recorded` runs the real handlers on a
//! recording store through every flow and fails on any access a row does not allow.
//!
//! `portale-admin` is not here: it is ops tooling run with the operator's own credentials,
//! not a Lambda role. Its audit records live in the account's partition (`ACCOUNT#<id>`,
//! sort key `AUDIT#…`) and its index items of lines in the entity's (`ENTE#`).
//!
//! Beyond the table, `MESSAGING` says who posts to the outbox queue (the steps that send
//! SMS or email: `sqs:SendMessage` only) and who delivers it (`send-messages`, the one
//! function that is no route, `QUEUE_FUNCTIONS`: the queue's consume actions, `sns:Publish`,
//! `ses:SendEmail`, and of the table only its delivery records, `SENT#`).

use std::collections::{BTreeMap, BTreeSet};
use store::flows::FlowKind;
use store::otp::Purpose;
use store::tokens::TokenKind;
use store::uniqueness::Kind;

/// The DynamoDB item actions the store uses (`store::dynamo`): no Scan, no batch write; Query
/// only of lists kept in an account's own partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    GetItem,
    /// A step's loader reads its flow and facts in one call (`Store::batch_get`); IAM
    /// authorises the call once, all its keys in LeadingKeys: one statement must hold them all.
    BatchGetItem,
    PutItem,
    UpdateItem,
    DeleteItem,
    ConditionCheckItem,
    /// A page of one partition (`Store::query`): an account's sessions or access history.
    /// IAM authorises it by the partition key like a GetItem.
    Query,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::GetItem,
        Action::BatchGetItem,
        Action::PutItem,
        Action::UpdateItem,
        Action::DeleteItem,
        Action::ConditionCheckItem,
        Action::Query,
    ];

    /// The IAM action name.
    pub fn iam(self) -> &'static str {
        match self {
            Action::GetItem => "dynamodb:GetItem",
            Action::BatchGetItem => "dynamodb:BatchGetItem",
            Action::PutItem => "dynamodb:PutItem",
            Action::UpdateItem => "dynamodb:UpdateItem",
            Action::DeleteItem => "dynamodb:DeleteItem",
            Action::ConditionCheckItem => "dynamodb:ConditionCheckItem",
            Action::Query => "dynamodb:Query",
        }
    }

    pub fn is_write(self) -> bool {
        // A condition check reads the item's state inside a transaction; it changes nothing.
        !matches!(
            self,
            Action::GetItem | Action::BatchGetItem | Action::ConditionCheckItem | Action::Query
        )
    }
}

// The partition-key prefixes (ARCHITECTURE.md, "Table design"), as the store's key types
// spell them (this file writes none again). Flow, OTP and token keys are narrowed to their
// kind: the login steps cannot touch a registration flow.
pub const ACCOUNT: &str = store::accounts::PREFIX;
pub const USERNAME: &str = Kind::Username.prefix();
pub const EMAIL: &str = Kind::Email.prefix();
pub const NUMBER: &str = Kind::Number.prefix();
/// Claim of (entity CF, personal CF) → account (duplicate registrations, issue 13 item 4).
pub const PERSON: &str = Kind::Person.prefix();
pub const LINE: &str = store::lines::PREFIX;
pub const OTP_REG: &str = Purpose::Registration.prefix();
pub const OTP_LOGIN: &str = Purpose::Login.prefix();
pub const OTP_RECOVERY: &str = Purpose::Recovery.prefix();
pub const FLOW_REG: &str = FlowKind::Registration.prefix();
pub const FLOW_LOGIN: &str = FlowKind::Login.prefix();
pub const FLOW_RECOVER: &str = FlowKind::Recovery.prefix();
pub const TOKEN_CONFIRM: &str = TokenKind::Confirm.prefix();
pub const TOKEN_RESET: &str = TokenKind::Reset.prefix();
/// The link to the owner of a registration a new one asks to cease (`registration::consent`).
pub const TOKEN_CEASE: &str = TokenKind::Cease.prefix();
pub const CHALLENGE: &str = store::challenges::PREFIX;
/// Every rate window and once-guard (`store::rate`); scopes come and go with the limits.
pub const RATE: &str = store::rate::PREFIX;
/// Every failure counter (`store::lockout`), whatever its scope.
pub const LOCK: &str = store::lockout::PREFIX;
pub const SESSION: &str = store::sessions::PREFIX;
/// An entity's partition: the index of its lines (`store::lines::of_entity`).
pub const ENTE: &str = store::lines::ENTITY_PREFIX;
/// An account's list of sessions (`store::sessions`): logout ends one without writing accounts.
pub const SESSIONS: &str = store::sessions::LIST_PREFIX;
/// An account's access history (`store::access_log`).
pub const ACCESS_LOG: &str = store::access_log::PREFIX;
/// The browsers an account logged in from (`store::devices`).
pub const DEVICES: &str = store::devices::PREFIX;
/// The consents' audit of an account, and the versions in force (`store::consent_log`).
pub const CONSENT_LOG: &str = store::consent_log::PREFIX;
pub const CONSENTS: &str = store::consent_log::IN_FORCE_PREFIX;
pub const OTP_DELETE: &str = Purpose::Deletion.prefix();
pub const FLOW_DELETE: &str = FlowKind::Deletion.prefix();
pub const TOKEN_EMAIL_CHANGE: &str = TokenKind::EmailChange.prefix();
/// The outbox's delivery records, one per message id (`store::sent`): only its consumer.
pub const SENT: &str = store::sent::PREFIX;
/// An account's passkeys and their count (`store::passkeys`, issue 24).
pub const PASSKEY: &str = store::passkeys::PREFIX;
/// Credential id → account and key (`store::passkeys`): what a passkey login reads.
pub const PASSKEY_CRED: &str = store::passkeys::CRED_PREFIX;
/// WebAuthn ceremonies in progress (`store::ceremonies`), narrowed to their kind.
pub const CEREMONY_REG: &str = store::ceremonies::Kind::Registration.prefix();
pub const CEREMONY_AUTH: &str = store::ceremonies::Kind::Authentication.prefix();

/// Every prefix above (the test checks the store really writes keys of these shapes).
pub const PREFIXES: &[&str] = &[
    ACCOUNT,
    USERNAME,
    EMAIL,
    NUMBER,
    PERSON,
    LINE,
    OTP_REG,
    OTP_LOGIN,
    OTP_RECOVERY,
    FLOW_REG,
    FLOW_LOGIN,
    FLOW_RECOVER,
    TOKEN_CONFIRM,
    TOKEN_RESET,
    TOKEN_CEASE,
    CHALLENGE,
    RATE,
    LOCK,
    SESSION,
    ENTE,
    SESSIONS,
    ACCESS_LOG,
    DEVICES,
    CONSENT_LOG,
    CONSENTS,
    OTP_DELETE,
    FLOW_DELETE,
    TOKEN_EMAIL_CHANGE,
    SENT,
    PASSKEY,
    PASSKEY_CRED,
    CEREMONY_REG,
    CEREMONY_AUTH,
];

/// Some actions on the keys starting with `prefix`.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub prefix: &'static str,
    pub actions: &'static [Action],
}

/// What one function may do to the table.
#[derive(Debug, Clone, Copy)]
pub struct FunctionAccess {
    pub function: &'static str,
    pub grants: &'static [Grant],
}

const fn g(prefix: &'static str, actions: &'static [Action]) -> Grant {
    Grant { prefix, actions }
}

use Action::{
    BatchGetItem as Batch, ConditionCheckItem as Check, DeleteItem as Del, GetItem as Get,
    PutItem as Put, Query, UpdateItem as Upd,
};

// Recurring patterns: a session check (`session::current`: load, touch, drop a stale
// one; the account for its epoch), a code check (`otp::verify`: count, read, consume), a
// first code (`sms::send_otp_once`: age, conditional put, withdraw if the SMS failed).
const SESSION_CHECK: &[Action] = &[Batch, Upd, Del];

pub const ACCESS: &[FunctionAccess] = &[
    FunctionAccess {
        // Step 1: one read (the line, the number's claim, its SMS counters), then one
        // transaction: the slider nonce used once, the caps, the first code, a new flow (the
        // code withdrawn if its SMS cannot leave).
        function: "register-number",
        grants: &[
            g(CHALLENGE, &[Put]),
            g(RATE, &[Batch, Upd]),
            g(LINE, &[Batch]),
            g(NUMBER, &[Batch]),
            g(OTP_REG, &[Put, Del]),
            g(FLOW_REG, &[Put]),
        ],
    },
    FunctionAccess {
        // Step 2: the guess counted (and the code read when refused), the account noted as
        // the number's holder, then the code used up with the flow saved; or a new code
        // (the number's claim read, the SMS caps); the flow read after a conflict.
        function: "register-otp",
        grants: &[
            g(FLOW_REG, &[Batch, Put]),
            g(OTP_REG, &[Get, Put, Upd, Del]),
            g(RATE, &[Upd]),
            g(NUMBER, &[Batch]),
            g(ACCOUNT, &[Get]),
        ],
    },
    FunctionAccess {
        // Step 3: who holds the number or the same person of the same entity, their
        // accounts' status; the flow saved (a pending link deleted). PROSEGUI on a
        // registration found by person only: the old account, its line and its SMS counters
        // read, then one transaction: the flow waiting, the caps, the account checked
        // unchanged, the old owner's link token and code (withdrawn if the messages cannot
        // leave); its waiting page reads the flow and the account, counts a code's guess and
        // uses it up.
        function: "register-profile",
        grants: &[
            g(FLOW_REG, &[Batch, Put]),
            g(NUMBER, &[Batch]),
            g(PERSON, &[Batch]),
            g(ACCOUNT, &[Batch, Check]),
            g(TOKEN_CONFIRM, &[Del]),
            g(TOKEN_CEASE, &[Put, Del]),
            g(LINE, &[Batch]),
            g(RATE, &[Batch, Upd]),
            g(OTP_REG, &[Get, Put, Upd, Del]),
        ],
    },
    FunctionAccess {
        // Step 4, one transaction: email/username reserved (or, when a superseded account
        // holds it, checked) and the earlier choice released, the per-flow and per-IP caps,
        // the link token (the previous one deleted); who holds a refused value is read.
        function: "register-email",
        grants: &[
            g(FLOW_REG, &[Batch, Put]),
            g(EMAIL, &[Batch, Put, Del, Check]),
            g(USERNAME, &[Batch, Put, Del, Check]),
            g(RATE, &[Upd]),
            g(TOKEN_CONFIRM, &[Put, Del]),
        ],
    },
    FunctionAccess {
        // The link: read the token (it carries the flow), then one transaction that uses it
        // and moves the flow to a new id.
        function: "confirm-email",
        grants: &[g(TOKEN_CONFIRM, &[Get, Del]), g(FLOW_REG, &[Put, Del])],
    },
    FunctionAccess {
        // The old owner's link: read the token (it carries the flow), then one transaction
        // that uses it, records the proof on the flow and checks the account unchanged.
        function: "confirm-cease",
        grants: &[
            g(TOKEN_CEASE, &[Get, Del]),
            g(FLOW_REG, &[Put]),
            g(ACCOUNT, &[Check]),
        ],
    },
    FunctionAccess {
        // Step 5: one read of the flow (a stale cookie stops there, before the hash), the
        // line and the superseded accounts, then one transaction: the flow, the new account, the
        // username/email/number/person claims; after PROSEGUI the superseded accounts ceased
        // and their other claims released. The outcome page saves the flow when it sends the
        // summary that step 5 could not.
        function: "register-password",
        grants: &[
            g(FLOW_REG, &[Batch, Put]),
            // The line, read with the flow: the account keeps a copy of it.
            g(LINE, &[Batch]),
            g(ACCOUNT, &[Batch, Put, Upd]),
            g(USERNAME, &[Put, Del]),
            g(EMAIL, &[Put, Del]),
            g(NUMBER, &[Put, Del]),
            g(PERSON, &[Put, Del]),
            g(CONSENT_LOG, &[Put]),
            // A superseded account's passkeys, listed and voided with its cease (as every
            // cease: `accounts::cease_ops`).
            g(PASSKEY, &[Query, Del]),
            g(PASSKEY_CRED, &[Del]),
        ],
    },
    FunctionAccess {
        // Password step: the client's wrong-password window and the lock counters (read
        // before any hash), username → account (hash upgrade of imported accounts), the
        // line, the first code, a login flow; GET checks a session.
        function: "login",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch, Upd]),
            g(USERNAME, &[Batch]),
            g(RATE, &[Batch, Upd]),
            g(LOCK, &[Batch, Put, Del]),
            g(LINE, &[Check]),
            g(OTP_LOGIN, &[Batch, Put, Del]),
            g(FLOW_LOGIN, &[Put]),
            g(DEVICES, &[Batch]),
            g(ACCESS_LOG, &[Put]),
            g(CONSENTS, &[Batch]),
        ],
    },
    FunctionAccess {
        // Code step: count and check the guess, then in one transaction use the code up,
        // complete the flow, check the account is unchanged and start a session (the
        // browser's old one deleted); or resend. The flow is read only after a conflict.
        function: "login-otp",
        grants: &[
            g(FLOW_LOGIN, &[Get, Put]),
            g(OTP_LOGIN, &[Get, Put, Upd, Del]),
            g(RATE, &[Upd]),
            g(ACCOUNT, &[Upd]),
            g(SESSION, &[Put, Del]),
            g(SESSIONS, &[Put, Del]),
            g(ACCESS_LOG, &[Put]),
            g(DEVICES, &[Put]),
        ],
    },
    FunctionAccess {
        // Passkey login (issue 24): the options store a ceremony and charge the client's
        // window; the assertion reads the ceremony, the credential's lookup and the client's
        // failures, then the account and this browser's device, and in one transaction uses
        // the ceremony up, moves the key's counter (lookup and list), checks the account
        // and the line, starts a session (the browser's old one deleted); a refusal deletes
        // the ceremony and counts the failure.
        function: "login-passkey",
        grants: &[
            g(CEREMONY_AUTH, &[Batch, Put, Del]),
            g(PASSKEY_CRED, &[Batch, Upd]),
            g(PASSKEY, &[Upd]),
            g(RATE, &[Batch, Upd]),
            g(ACCOUNT, &[Batch, Upd]),
            g(LINE, &[Check]),
            g(SESSION, &[Put, Del]),
            g(SESSIONS, &[Put, Del]),
            g(ACCESS_LOG, &[Put]),
            g(DEVICES, &[Batch, Put]),
        ],
    },
    FunctionAccess {
        // Private home: the session check, and the line for an account whose item carries
        // no copy of it (`lines::copy_on_account`); NON ORA on the passkey offer.
        function: "account",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch, Upd]),
            g(CONSENTS, &[Batch]),
            g(LINE, &[Get]),
        ],
    },
    FunctionAccess {
        // The entity's lines for its referente: the session check, the user's line (its
        // profile and entity), one page of the entity's partition.
        function: "account-lines",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch]),
            g(CONSENTS, &[Batch]),
            g(LINE, &[Get]),
            g(ENTE, &[Query]),
        ],
    },
    FunctionAccess {
        // Current password (the login's lock counter), then one transaction: the new hash
        // and epoch, this browser's new session (the old one and its list entry deleted).
        function: "account-password",
        grants: &[
            g(SESSION, &[Batch, Upd, Del, Put]),
            g(ACCOUNT, &[Batch, Upd]),
            g(CONSENTS, &[Batch]),
            g(LOCK, &[Batch, Put, Del]),
            g(SESSIONS, &[Put, Del]),
        ],
    },
    FunctionAccess {
        // The address's (and username's) claims read, then reserved, the daily cap, the link;
        // the password again when the login is old (the lock counter, the re-authentication).
        function: "account-email",
        grants: &[
            g(SESSION, &[Batch, Upd, Del]),
            g(ACCOUNT, &[Batch]),
            g(CONSENTS, &[Batch]),
            g(LOCK, &[Batch, Put, Del]),
            g(RATE, &[Upd]),
            g(EMAIL, &[Batch, Put]),
            g(USERNAME, &[Batch, Put]),
            g(TOKEN_EMAIL_CHANGE, &[Put]),
        ],
    },
    FunctionAccess {
        // The link (public): its change and account read, then one transaction moving the
        // claims and rewriting the account's email (and username).
        function: "account-email-confirm",
        grants: &[
            g(TOKEN_EMAIL_CHANGE, &[Get, Del]),
            g(ACCOUNT, &[Get, Upd]),
            g(EMAIL, &[Put, Del]),
            g(USERNAME, &[Put, Del]),
        ],
    },
    FunctionAccess {
        // The account's session list (every page) and its sessions; ending one deletes it
        // (conditioned on its account), ending all the others moves the account's epoch on
        // and renews this browser's session (the old one and its entry deleted).
        function: "account-sessions",
        grants: &[
            g(SESSION, &[Batch, Upd, Del, Put]),
            g(ACCOUNT, &[Batch, Upd]),
            g(CONSENTS, &[Batch]),
            g(SESSIONS, &[Query, Del, Put]),
        ],
    },
    FunctionAccess {
        // The access history, read only.
        function: "account-history",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch]),
            g(CONSENTS, &[Batch]),
            g(ACCESS_LOG, &[Query]),
        ],
    },
    FunctionAccess {
        // "Scarica i tuoi dati": everything about the person, read only.
        function: "account-privacy",
        grants: &[
            g(SESSION, &[Batch, Upd, Del]),
            g(ACCOUNT, &[Batch, Query]),
            g(CONSENTS, &[Batch]),
            g(LINE, &[Get]),
            g(CONSENT_LOG, &[Query]),
            g(SESSIONS, &[Query]),
            g(ACCESS_LOG, &[Query]),
            g(DEVICES, &[Query]),
            g(PASSKEY, &[Query]),
        ],
    },
    FunctionAccess {
        // The password (lock counter), the SMS caps, the code and a deletion flow.
        function: "account-delete",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch]),
            g(CONSENTS, &[Batch]),
            g(LOCK, &[Batch, Put, Del]),
            g(RATE, &[Upd]),
            g(OTP_DELETE, &[Put, Del]),
            g(FLOW_DELETE, &[Put]),
        ],
    },
    FunctionAccess {
        // The code (counted, used up) or a new one; then one transaction: the account
        // ceased, its claims released, this session ended, the consents' audit noted, and
        // its lists (read whole) erased: sessions, known browsers, access history; what
        // does not fit, right after, each batch checking the account is ceased.
        function: "account-delete-otp",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch, Upd, Check]),
            g(CONSENTS, &[Batch]),
            g(OTP_DELETE, &[Put, Upd, Get, Del]),
            g(RATE, &[Upd]),
            g(FLOW_DELETE, &[Get, Put, Del]),
            g(USERNAME, &[Del]),
            g(EMAIL, &[Del]),
            g(NUMBER, &[Del]),
            g(PERSON, &[Del]),
            g(SESSIONS, &[Query, Del]),
            g(DEVICES, &[Query, Del]),
            g(ACCESS_LOG, &[Query, Del]),
            g(CONSENT_LOG, &[Put]),
            // Every passkey voided with the account (the list read, its items deleted).
            g(PASSKEY, &[Query, Del]),
            g(PASSKEY_CRED, &[Del]),
        ],
    },
    FunctionAccess {
        // "Passkey": the list (one Query of the account's partition), a name changed, one
        // removed (its item, its lookup, the count) with the access history noted.
        function: "account-passkeys",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch]),
            g(CONSENTS, &[Batch]),
            g(PASSKEY, &[Query, Upd, Del]),
            g(PASSKEY_CRED, &[Del]),
            g(ACCESS_LOG, &[Put]),
        ],
    },
    FunctionAccess {
        // A passkey created: the password again when the login is old (the browser's lock
        // counter), the list read (its ids excluded, the cap), the ceremony stored; then the
        // ceremony taken (deleted as read) and one transaction: the credential, its lookup,
        // the count under the cap, the account checked active, the access history.
        function: "account-passkey-create",
        grants: &[
            g(SESSION, &[Batch, Upd, Del]),
            g(ACCOUNT, &[Batch, Check]),
            g(CONSENTS, &[Batch]),
            g(LOCK, &[Batch, Put, Del]),
            g(PASSKEY, &[Query, Put, Upd]),
            g(PASSKEY_CRED, &[Put]),
            g(CEREMONY_REG, &[Put, Del]),
            g(ACCESS_LOG, &[Put]),
        ],
    },
    FunctionAccess {
        // New terms accepted: the versions the page showed checked still in force, the
        // account's versions, the consents' audit.
        function: "account-consents",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch, Upd]),
            g(CONSENTS, &[Batch, Check]),
            g(CONSENT_LOG, &[Put]),
        ],
    },
    FunctionAccess {
        // The session check and its deletion. Reads the account, never writes it: logout
        // cannot rewrite a password hash.
        function: "logout",
        grants: &[
            g(SESSION, SESSION_CHECK),
            g(ACCOUNT, &[Batch]),
            g(CONSENTS, &[Batch]),
            g(SESSIONS, &[Del]),
        ],
    },
    FunctionAccess {
        // The three modes: per-IP / per-account / per-number caps and once-guards (Put),
        // number or username → account, a reset link, the mode-3 code, a recovery flow.
        function: "recover-start",
        grants: &[
            g(RATE, &[Batch, Put, Upd]),
            g(NUMBER, &[Batch]),
            g(USERNAME, &[Batch]),
            g(ACCOUNT, &[Get]),
            g(TOKEN_RESET, &[Put]),
            g(OTP_RECOVERY, &[Batch, Put, Del]),
            g(FLOW_RECOVER, &[Put]),
        ],
    },
    FunctionAccess {
        // Mode-3 / reset code: verify or resend; then the reset link by email.
        function: "recover-otp",
        grants: &[
            g(FLOW_RECOVER, &[Get, Put]),
            g(OTP_RECOVERY, &[Get, Put, Upd, Del]),
            g(RATE, &[Batch, Put, Upd]),
            g(ACCOUNT, &[Batch]),
            g(TOKEN_RESET, &[Put]),
        ],
    },
    FunctionAccess {
        // The link (token → account), its code, then one transaction: new hash + epoch,
        // token used up, flow completed; the login lock is cleared. SALVA reads the flow's
        // record with the account (one batch) before it hashes anything.
        function: "recover-reset",
        grants: &[
            g(TOKEN_RESET, &[Get, Del]),
            g(ACCOUNT, &[Batch, Get, Upd]),
            g(OTP_RECOVERY, &[Get, Put, Del]),
            g(RATE, &[Upd]),
            g(FLOW_RECOVER, &[Batch, Get, Put]),
            g(LOCK, &[Del]),
        ],
    },
    FunctionAccess {
        // The outbox's consumer: messages in, SNS and SES out; of the table only the
        // delivery records (`store::sent`): claimed (Put), read when the claim is refused,
        // marked sent (Update), released when the provider refused the message (Delete).
        function: SEND_MESSAGES,
        grants: &[g(SENT, &[Get, Put, Upd, Del])],
    },
];

/// The outbox queue's consumer (`functions/send-messages`).
pub const SEND_MESSAGES: &str = "send-messages";

/// The functions that are not routes of `routes::ROUTES`: triggered by a queue.
pub const QUEUE_FUNCTIONS: &[&str] = &[SEND_MESSAGES];

/// Every function (crate under `functions/`): the route table's and the queue's, sorted.
pub fn functions() -> Vec<&'static str> {
    let mut f = domain::routes::functions();
    f.extend_from_slice(QUEUE_FUNCTIONS);
    f.sort_unstable();
    f.dedup();
    f
}

/// What a function does with messages (SMS, email), beyond the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Messaging {
    /// Posts its step's messages to the outbox queue.
    Posts,
    /// Consumes the outbox queue and delivers through SNS and SES.
    Delivers,
}

impl Messaging {
    /// The IAM actions it needs: on the outbox queue, and SNS / SES for the consumer.
    pub fn iam(self) -> &'static [&'static str] {
        match self {
            Messaging::Posts => &["sqs:SendMessage"],
            // ReceiveMessage / DeleteMessage / GetQueueAttributes: what Lambda's SQS event
            // source does with the function's role.
            Messaging::Delivers => &[
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sns:Publish",
                "ses:SendEmail",
            ],
        }
    }
}

/// The functions that read the flow secret (`store::secret`: sealed flow cookies, OTP
/// hashes, slider challenges). Only these are given `FLOW_SECRET_ARN` and
/// `secretsmanager:GetSecretValue` on that secret (infra/template.yaml,
/// `FlowSecretReadPolicy`); send-messages and the private area's other pages never.
pub const FLOW_SECRET_READERS: &[&str] = &[
    "account-delete",
    "account-delete-otp",
    "confirm-email",
    "login",
    "login-otp",
    "recover-otp",
    "recover-reset",
    "recover-start",
    "register-email",
    "register-number",
    "register-otp",
    "register-password",
    "register-profile",
];

/// True when `function` reads the flow secret (`FLOW_SECRET_READERS`).
pub fn reads_flow_secret(function: &str) -> bool {
    FLOW_SECRET_READERS.contains(&function)
}

/// Who sends messages, and how. A function not listed sends none.
pub const MESSAGING: &[(&str, Messaging)] = &[
    ("register-number", Messaging::Posts),
    ("register-otp", Messaging::Posts),
    ("register-profile", Messaging::Posts),
    ("register-email", Messaging::Posts),
    ("register-password", Messaging::Posts),
    ("login", Messaging::Posts),
    ("login-otp", Messaging::Posts),
    // The new-device email of a passkey login.
    ("login-passkey", Messaging::Posts),
    ("recover-start", Messaging::Posts),
    ("recover-otp", Messaging::Posts),
    ("recover-reset", Messaging::Posts),
    ("account-password", Messaging::Posts),
    ("account-email", Messaging::Posts),
    ("account-email-confirm", Messaging::Posts),
    ("account-delete", Messaging::Posts),
    ("account-delete-otp", Messaging::Posts),
    ("account-passkeys", Messaging::Posts),
    ("account-passkey-create", Messaging::Posts),
    (SEND_MESSAGES, Messaging::Delivers),
];

/// How `function` sends messages, if it does.
pub fn messaging(function: &str) -> Option<Messaging> {
    MESSAGING
        .iter()
        .find(|(f, _)| *f == function)
        .map(|(_, m)| *m)
}

/// The IAM actions (besides the table and its logs) `function` is allowed.
pub fn messaging_actions(function: &str) -> BTreeSet<&'static str> {
    messaging(function)
        .map(|m| m.iam().iter().copied().collect())
        .unwrap_or_default()
}

/// The declaration of one function.
pub fn of(function: &str) -> Option<&'static FunctionAccess> {
    ACCESS.iter().find(|a| a.function == function)
}

/// The `dynamodb:LeadingKeys` pattern of a prefix (`StringLike`).
pub fn leading_key(prefix: &str) -> String {
    format!("{prefix}*")
}

/// Every (IAM action, LeadingKeys pattern) pair a function is allowed.
pub fn pairs(function: &str) -> BTreeSet<(&'static str, String)> {
    of(function)
        .into_iter()
        .flat_map(|a| a.grants)
        .flat_map(|g| {
            g.actions
                .iter()
                .map(move |x| (x.iam(), leading_key(g.prefix)))
        })
        .collect()
}

/// One IAM statement: these actions on keys matching these patterns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Statement {
    pub actions: Vec<&'static str>,
    pub leading_keys: Vec<String>,
}

/// The statements that grant exactly `pairs(function)`: ONE statement per action, listing
/// every prefix the function may touch with it (actions with the same prefixes share it).
///
/// Why per action: AWS authorises a request once, with all its partition keys in the
/// multi-valued `dynamodb:LeadingKeys`, and `ForAllValues:StringLike` holds only if each key
/// matches one of that statement's patterns. A BatchGetItem of a session, its account and
/// the consents in force is denied when `SESSION#*` and `ACCOUNT#*` sit in two statements,
/// though each key alone is allowed. With every prefix of an action in one statement, any
/// request made of declared keys is allowed by that statement, and nothing else is.
pub fn statements(function: &str) -> Vec<Statement> {
    let mut by_action: BTreeMap<Action, BTreeSet<String>> = BTreeMap::new();
    for g in of(function).into_iter().flat_map(|a| a.grants) {
        for a in g.actions {
            by_action
                .entry(*a)
                .or_default()
                .insert(leading_key(g.prefix));
        }
    }
    let mut by_keys: BTreeMap<BTreeSet<String>, BTreeSet<Action>> = BTreeMap::new();
    for (a, keys) in by_action {
        by_keys.entry(keys).or_default().insert(a);
    }
    let mut out: Vec<Statement> = by_keys
        .into_iter()
        .map(|(k, a)| Statement {
            actions: a.into_iter().map(Action::iam).collect(),
            leading_keys: k.into_iter().collect(),
        })
        .collect();
    // In the order of their first action (GetItem, BatchGetItem, ..., Query).
    out.sort_by_key(|s| {
        Action::ALL
            .iter()
            .position(|a| a.iam() == s.actions[0])
            .unwrap_or(usize::MAX)
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::{challenge, login, recovery, registration};
    use crate::record;
    use domain::routes;
    use domain::{CodiceFiscaleEnte, MobileNumber, OtpCode};
    use store::limits;
    use store::memory::MemoryStore;
    use store::uniqueness::{self, Kind};
    use store::AccountId;
    use store::{accounts, lines, lockout, otp, rate, sessions, tokens, TxOp};

    fn aid(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    #[test]
    fn access_declares_exactly_the_route_table_functions() {
        let declared: BTreeSet<&str> = ACCESS.iter().map(|a| a.function).collect();
        let all: BTreeSet<&str> = functions().into_iter().collect();
        assert_eq!(
            declared, all,
            "engine::access must have one row per function of routes::ROUTES and QUEUE_FUNCTIONS"
        );
        assert_eq!(declared.len(), ACCESS.len(), "a function declared twice");
        for q in QUEUE_FUNCTIONS {
            assert!(
                !routes::functions().contains(q),
                "{q} is a queue function and a route"
            );
        }
    }

    #[test]
    fn messaging_is_declared_once_per_known_function() {
        let all = functions();
        let mut seen = BTreeSet::new();
        for (f, _) in MESSAGING {
            assert!(all.contains(f), "{f} is no function");
            assert!(seen.insert(*f), "{f} declared twice");
        }
        // Exactly one consumer, which is no route and touches only its delivery records;
        // no route delivers.
        let deliverers: Vec<_> = MESSAGING
            .iter()
            .filter(|(_, m)| *m == Messaging::Delivers)
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(deliverers, QUEUE_FUNCTIONS);
        assert!(pairs(SEND_MESSAGES)
            .iter()
            .all(|(_, k)| *k == leading_key(SENT)));
        assert!(ACCESS
            .iter()
            .filter(|a| a.function != SEND_MESSAGES)
            .all(|a| a.grants.iter().all(|g| g.prefix != SENT)));
        assert_eq!(
            messaging_actions("login"),
            BTreeSet::from(["sqs:SendMessage"])
        );
        assert!(messaging_actions("account").is_empty());
    }

    #[test]
    fn access_grants_are_well_formed() {
        for a in ACCESS {
            let mut seen = BTreeSet::new();
            for g in a.grants {
                assert!(
                    PREFIXES.contains(&g.prefix),
                    "{}: {} is not in PREFIXES",
                    a.function,
                    g.prefix
                );
                assert!(
                    !g.actions.is_empty(),
                    "{}: no action on {}",
                    a.function,
                    g.prefix
                );
                assert!(
                    seen.insert(g.prefix),
                    "{}: {} granted twice",
                    a.function,
                    g.prefix
                );
            }
            // Overlapping prefixes in one function would widen each other silently.
            for p in &seen {
                for q in &seen {
                    assert!(
                        p == q || !q.starts_with(p),
                        "{}: {p} overlaps {q}",
                        a.function
                    );
                }
            }
            // Every function reads or writes something.
            assert!(!statements(a.function).is_empty(), "{}", a.function);
        }
    }

    /// Who may write an account item, i.e. its password hash and session epoch: account
    /// creation, the login (hash upgrade, last login), the reset, and the private area's
    /// changes (password, email, consents, ending the other sessions, deletion), the login
    /// by passkey (last login) and the home's NON ORA on the passkey offer (`account`:
    /// one attribute, on condition the account is active). Never logout or the other pages
    /// that read.
    #[test]
    fn access_only_three_functions_write_accounts() {
        let writers: BTreeSet<&str> = ACCESS
            .iter()
            .filter(|a| {
                a.grants
                    .iter()
                    .any(|g| g.prefix == ACCOUNT && g.actions.iter().any(|x| x.is_write()))
            })
            .map(|a| a.function)
            .collect();
        assert_eq!(
            writers,
            BTreeSet::from([
                "account",
                "account-consents",
                "account-delete-otp",
                "account-email-confirm",
                "account-password",
                "account-sessions",
                "login",
                "login-otp",
                "login-passkey",
                "recover-reset",
                "register-password"
            ])
        );
        assert!(!pairs("logout")
            .iter()
            .any(|(a, k)| !a.ends_with("GetItem") && k.starts_with(ACCOUNT)));
    }

    /// Each action of a function is in exactly one of its statements, which lists every
    /// prefix the function may touch with it: a multi-key request (BatchGetItem) made of
    /// declared keys is then allowed by one statement, as AWS requires.
    #[test]
    fn access_statements_hold_each_action_once() {
        for a in ACCESS {
            let statements = statements(a.function);
            for x in Action::ALL {
                let with: Vec<_> = statements
                    .iter()
                    .filter(|s| s.actions.contains(&x.iam()))
                    .collect();
                let prefixes: BTreeSet<String> = a
                    .grants
                    .iter()
                    .filter(|g| g.actions.contains(&x))
                    .map(|g| leading_key(g.prefix))
                    .collect();
                if prefixes.is_empty() {
                    assert!(with.is_empty(), "{}: {x:?}", a.function);
                    continue;
                }
                assert_eq!(
                    with.len(),
                    1,
                    "{}: {x:?} in {} statements",
                    a.function,
                    with.len()
                );
                let listed: BTreeSet<String> = with[0].leading_keys.iter().cloned().collect();
                assert_eq!(listed, prefixes, "{}: {x:?}", a.function);
            }
        }
        // The session guard's batch of the private home is one statement.
        let home = statements("account");
        let batch: Vec<_> = home
            .iter()
            .filter(|s| s.actions.contains(&"dynamodb:BatchGetItem"))
            .collect();
        assert_eq!(batch.len(), 1);
        for p in [SESSION, ACCOUNT, CONSENTS] {
            assert!(batch[0].leading_keys.contains(&leading_key(p)), "{p}");
        }
    }

    #[test]
    fn access_statements_grant_exactly_the_pairs() {
        for a in ACCESS {
            let mut from_statements = BTreeSet::new();
            for s in statements(a.function) {
                for x in &s.actions {
                    from_statements.extend(s.leading_keys.iter().map(|k| (*x, k.clone())));
                }
            }
            assert_eq!(from_statements, pairs(a.function), "{}", a.function);
        }
    }

    /// The prefixes are the shapes of the keys the code really writes: every repository
    /// writes one item into a memory store, and each key must fall under exactly one
    /// declared prefix; every declared prefix must be met (a renamed key format fails here).
    #[tokio::test]
    async fn access_prefixes_are_the_real_key_formats() {
        let s = MemoryStore::new();
        let keys = store::secret::FlowKeys::fixed(b"k".as_slice());
        let secret = keys.current();
        let n = MobileNumber::parse("333 123 4567").unwrap();
        let mut pks: Vec<String> = vec![
            accounts::key(&aid("a")).pk,
            uniqueness::key(Kind::Username, "u").pk,
            uniqueness::key(Kind::Email, "e@x.it").pk,
            uniqueness::key(Kind::Number, n.e164()).pk,
            uniqueness::key(
                Kind::Person,
                &uniqueness::person_value("00488410010", "RSSMRA85T10A562S"),
            )
            .pk,
            record::key_for(registration::KIND, "c").pk,
            record::key_for(login::KIND, "c").pk,
            record::key_for(recovery::KIND, "c").pk,
        ];
        for kind in [
            registration::TOKEN_KIND,
            recovery::RESET_TOKEN,
            crate::area::email::TOKEN_KIND,
            registration::consent::TOKEN_KIND,
        ] {
            pks.push(tokens::key(kind, "h").pk);
        }
        pks.push(record::key_for(crate::area::deletion::KIND, "c").pk);
        pks.push(store::sent::key(&notify::MessageId::draw()).pk);
        pks.push(sessions::entry_key(&aid("a"), "h").pk);
        pks.push(store::devices::key(&aid("a"), "d").pk);
        pks.push(store::consent_log::in_force_key().pk);
        pks.push(store::passkeys::count_key(&aid("a")).pk);
        pks.push(store::passkeys::lookup_key("c").pk);
        for kind in [
            store::ceremonies::Kind::Registration,
            store::ceremonies::Kind::Authentication,
        ] {
            pks.push(store::ceremonies::key(kind, "c").pk);
        }
        for op in [
            store::access_log::record_op(&aid("a"), store::access_log::Event::Completed, "", 0),
            store::consent_log::record_op(
                &aid("a"),
                store::consent_log::Action::Accepted,
                "1",
                "1",
                0,
            ),
        ] {
            let TxOp::Put { key, .. } = op else {
                unreachable!("records are puts")
            };
            pks.push(key.pk);
        }
        let code = OtpCode::parse("123456").unwrap();
        for p in [
            otp::Purpose::Registration,
            otp::Purpose::Login,
            otp::Purpose::Recovery,
            otp::Purpose::Deletion,
        ] {
            otp::issue(&s, secret, p, "x", &code, 0).await.unwrap();
        }
        rate::hit(&s, limits::LOGIN_WRONG_PER_IP, "198.51.100.1", 0)
            .await
            .unwrap();
        rate::first_within(&s, "recover-once", "a", 30, 0)
            .await
            .unwrap();
        lockout::attempt(&s, limits::LOGIN_LOCK_PER_USERNAME, "u", 0)
            .await
            .unwrap();
        lockout::attempt(&s, limits::LOGIN_LOCK_PER_CLIENT, "u#198.51.100.1", 0)
            .await
            .unwrap();
        sessions::create(&s, &aid("a"), 0, 0).await.unwrap();
        let line = lines::Line {
            number: n,
            entity_cf: CodiceFiscaleEnte::parse("00488410010").unwrap(),
            ragione_sociale: "E".into(),
            active: true,
            profile: store::lines::Profile::Utente,
        };
        lines::upsert(&s, &line).await.unwrap();
        let token = challenge::issue(secret, 0);
        challenge::verify(&s, &keys, &token, challenge::SLIDER_END, "", 10)
            .await
            .unwrap()
            .unwrap();
        pks.extend(s.dump().into_iter().map(|(k, _)| k.pk));

        let mut met = BTreeSet::new();
        for pk in &pks {
            let matching: Vec<_> = PREFIXES.iter().filter(|p| pk.starts_with(**p)).collect();
            assert_eq!(
                matching.len(),
                1,
                "key {pk} must fall under exactly one prefix of crate::access, found {matching:?}"
            );
            met.insert(*matching[0]);
        }
        // PERSON# is written by the duplicate-registration claim being added on another
        // branch; when it lands, write one here and drop it from this list.
        let not_yet_in_code = [PERSON];
        let unmet: Vec<_> = PREFIXES
            .iter()
            .filter(|p| !met.contains(*p) && !not_yet_in_code.contains(p))
            .collect();
        assert!(
            unmet.is_empty(),
            "declared prefixes no code writes: {unmet:?}"
        );
    }
}
