//! What "ready to serve" means: the database answers, its schema matches this binary, and the
//! Zalo access token has not been refused a refresh (which needs the operator to re-authorise).

use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
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

/// Not ready when Zalo refused to refresh the access token: sends fail until an operator
/// re-authorises the Official Account.
async fn zalo_tokens(store: &Store) -> Readiness {
    match store.zalo_tokens.refresh_status().await {
        Err(e) => Readiness::NotReady(vec![format!("cannot read the Zalo token state: {e}")]),
        Ok(status) => match status.failure {
            None => Readiness::Ready,
            Some(failure) => Readiness::NotReady(vec![format!(
                "Zalo refused to refresh the access token at {} ({}); messages cannot be sent: {}",
                failure.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                crate::zalo::tokens::describe_failure(&failure),
                crate::zalo::tokens::REAUTHORISE_ADVICE
            )]),
        },
    }
}
