//! What "ready to serve" means: the database answers and its schema matches this binary.
//! A Zalo token refresh that was refused is reported as a warning, not as "not ready": the
//! state is shared by every instance, and taking them all out of the load balancer would also
//! cut off `/zalo/oauth/start`, the only way to fix it.

use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Ready; each warning says what needs an operator's attention.
    Ready(Vec<String>),
    /// Each reason says what is wrong and what the operator can do.
    NotReady(Vec<String>),
}

pub async fn readiness(store: &Store) -> Readiness {
    if let Err(e) = store.health.ping().await {
        return Readiness::NotReady(vec![format!("database unreachable: {e}")]);
    }
    match store.health.schema_status().await {
        Err(e) => Readiness::NotReady(vec![format!("cannot read the schema version: {e}")]),
        Ok(status) if !status.is_current() => Readiness::NotReady(vec![format!(
            "database schema not current: {} of {} migrations applied; run `tongdai migrate`",
            status.applied, status.expected
        )]),
        Ok(_) => zalo_tokens(store).await,
    }
}

/// Warns when Zalo refused to refresh the access token: sends fail until an operator
/// re-authorises the Official Account.
async fn zalo_tokens(store: &Store) -> Readiness {
    match store.zalo_tokens.refresh_status().await {
        Err(e) => Readiness::NotReady(vec![format!("cannot read the Zalo token state: {e}")]),
        Ok(status) => match status.failure {
            None => Readiness::Ready(Vec::new()),
            Some(failure) => Readiness::Ready(vec![format!(
                "Zalo refused to refresh the access token at {} ({}); messages cannot be sent: {}",
                failure.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                crate::zalo::tokens::describe_failure(&failure),
                crate::zalo::tokens::REAUTHORISE_ADVICE
            )]),
        },
    }
}
