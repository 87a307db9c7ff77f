//! Who runs `portale-admin`: the AWS caller identity (`sts:GetCallerIdentity`), the IAM
//! principal every AWS call of the tool is made and authorised as, and the one CloudTrail
//! records for each of them (the table's data events, infra/template.yaml `TableTrail`).
//! Every audit record names it; `--operatore` (or `$USER`) is at most a note beside it,
//! since anyone can type any name there.
//!
//! `GetCallerIdentity` needs no IAM permission (an explicit deny cannot block it), so a
//! help-desk role needs nothing more. One call, the first time a write needs it (the
//! read-only commands make none); if STS cannot be reached, nothing is changed.

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

/// The caller identity, asked of STS once.
pub struct Caller {
    sts: aws_sdk_sts::Client,
    arn: OnceCell<String>,
}

impl Caller {
    pub fn new(sdk: &SdkConfig) -> Caller {
        Caller {
            sts: aws_sdk_sts::Client::new(sdk),
            arn: OnceCell::new(),
        }
    }

    /// The caller's ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>` for a role
    /// session, `arn:aws:iam::<account>:user/<name>` for an IAM user).
    pub async fn arn(&self) -> Result<&str, String> {
        self.arn
            .get_or_try_init(|| async {
                let out =
                    self.sts.get_caller_identity().send().await.map_err(|e| {
                        format!("sts:GetCallerIdentity: {}", e.into_service_error())
                    })?;
                out.arn
                    .filter(|a| a.starts_with("arn:"))
                    .ok_or_else(|| "sts:GetCallerIdentity: nessun ARN nella risposta".to_owned())
            })
            .await
            .map(String::as_str)
    }
}
