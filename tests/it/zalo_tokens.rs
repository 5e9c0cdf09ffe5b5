//! The token manager against the fake Zalo on both backends: bootstrap from configuration,
//! encryption at rest, proactive refresh and rotation of single-use refresh tokens, one OAuth call
//! for two concurrent refreshers in two instances, and a refused refresh shown by readiness.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tongdai::clock::{Clock, ManualClock};
use tongdai::health::Readiness;
use tongdai::zalo::tokens::{RefreshOutcome, TokenError, TokenManager};

use crate::fake_zalo::{config_for, FakeZalo, OAUTH};
use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

fn manager(fake: &FakeZalo, store: &tongdai::store::Store, clock: &Arc<ManualClock>) -> Arc<TokenManager> {
    tongdai::zalo::service::token_manager(&config_for(fake), store, clock.clone()).unwrap()
}

async fn tokens_bootstrap_encrypted_then_refresh_before_expiry_and_rotate(db: TestDb) {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-0", "rt-0");
    let clock = Arc::new(ManualClock::new(t0()));
    let tokens = manager(&fake, &db.store, &clock);
    assert!(matches!(tokens.access_token().await, Err(TokenError::NotAuthorised)));
    assert_eq!(tokens.refresh_if_due().await.unwrap(), RefreshOutcome::NoTokens);

    assert!(tokens.bootstrap("at-0", "rt-0").await.unwrap());
    assert!(!tokens.bootstrap("at-other", "rt-other").await.unwrap(), "the database wins once it holds tokens");
    let stored = db.store.zalo_tokens.load_tokens().await.unwrap().unwrap();
    for plain in ["at-0", "rt-0"] {
        assert!(!stored.sealed.access_token.contains(plain) && !stored.sealed.refresh_token.contains(plain));
    }
    assert_eq!(tokens.access_token().await.unwrap().token.expose(), "at-0");

    // A configured pair is refreshed at the first tick (its expiry is unknown).
    let expires = t0() + Duration::seconds(90_000);
    assert_eq!(tokens.refresh_if_due().await.unwrap(), RefreshOutcome::Refreshed { expires_at: expires });
    assert_eq!(fake.received(OAUTH)[0].body["refresh_token"], "rt-0");
    let current = tokens.access_token().await.unwrap();
    assert_eq!((current.token.expose(), current.expires_at), ("at-1", expires));
    assert_eq!(tokens.refresh_if_due().await.unwrap(), RefreshOutcome::NotDue { expires_at: expires });

    // 2 h before expiry it is due again, and the new refresh token is the one used.
    clock.set(expires - Duration::hours(2) - Duration::seconds(1));
    assert!(matches!(tokens.refresh_if_due().await.unwrap(), RefreshOutcome::NotDue { .. }));
    clock.advance(Duration::seconds(1));
    assert!(matches!(tokens.refresh_if_due().await.unwrap(), RefreshOutcome::Refreshed { .. }));
    assert_eq!(fake.received(OAUTH)[1].body["refresh_token"], "rt-1");
    assert_eq!(tokens.access_token().await.unwrap().token.expose(), "at-2");
    assert_eq!(fake.oauth_calls(), 2);
    assert_eq!(tongdai::health::readiness(&db.store).await, Readiness::Ready(Vec::new()));
}

async fn two_instances_refreshing_at_once_make_one_oauth_call(db: TestDb) {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-0", "rt-0");
    fake.set_oauth_delay(StdDuration::from_millis(300));
    let clock = Arc::new(ManualClock::new(t0()));
    let first = manager(&fake, &db.store, &clock);
    let second_store = db.another_connection().await;
    let second = manager(&fake, &second_store, &clock);
    first.bootstrap("at-0", "rt-0").await.unwrap();
    let rejected = first.access_token().await.unwrap();

    let (a, b) = tokio::join!(first.refresh_after_rejection(&rejected), second.refresh_after_rejection(&rejected));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.token.expose(), b.token.expose()), ("at-1", "at-1"));
    assert_eq!(a.version, b.version);
    assert_eq!(fake.oauth_calls(), 1, "single flight across instances");

    // A worker still holding the old token gets the new one without another call.
    let late = second.refresh_after_rejection(&rejected).await.unwrap();
    assert_eq!(late.token.expose(), "at-1");
    assert_eq!(fake.oauth_calls(), 1);
    let lease_free = db.store.zalo_tokens.try_claim_refresh("probe", clock.now(), clock.now() + Duration::seconds(1));
    assert!(lease_free.await.unwrap(), "the refresh gave its lease back");
}

async fn a_refused_refresh_is_recorded_blocks_retries_and_shows_in_readiness(db: TestDb) {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-0", "");
    let clock = Arc::new(ManualClock::new(t0()));
    let tokens = manager(&fake, &db.store, &clock);
    tokens.bootstrap("at-0", "rt-spent-secret").await.unwrap();
    let err = tokens.refresh_if_due().await.unwrap_err();
    assert!(matches!(err, TokenError::ReauthorisationNeeded { .. }), "{err:?}");
    assert!(err.to_string().contains("/zalo/oauth/start"), "{err}");

    // Still ready (the state is shared by every instance; /zalo/oauth/start must stay reachable),
    // with a warning that tells the operator what to do.
    let Readiness::Ready(reasons) = tongdai::health::readiness(&db.store).await else {
        panic!("should stay ready with a warning")
    };
    let reason = reasons.join(" ");
    assert!(reason.contains("re-authorise the Official Account at /zalo/oauth/start"), "{reason}");
    assert!(reason.contains("-14014") && reason.contains("2026-03-02T01:00:00Z"), "{reason}");
    assert!(!reason.contains("rt-spent-secret") && !reason.contains("at-0"), "{reason}");

    // No more calls with a refresh token Zalo refused, from the tick or from senders.
    assert_eq!(tokens.refresh_if_due().await.unwrap(), RefreshOutcome::Blocked);
    let current = tokens.access_token().await.unwrap();
    assert!(matches!(tokens.refresh_after_rejection(&current).await, Err(TokenError::ReauthorisationNeeded { .. })));
    assert_eq!(fake.oauth_calls(), 1);

    // Re-authorising stores a new pair and makes the service ready again.
    let (verifier, challenge) = tongdai::zalo::oauth::pkce_pair();
    fake.issue_code("code-9", &challenge);
    tokens.exchange_code("code-9", &verifier).await.unwrap();
    assert_eq!(tongdai::health::readiness(&db.store).await, Readiness::Ready(Vec::new()));
    assert_eq!(tokens.access_token().await.unwrap().token.expose(), "at-1");
}

async fn an_access_token_without_refresh_token_is_used_until_rejected(db: TestDb) {
    let fake = FakeZalo::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let tokens = manager(&fake, &db.store, &clock);
    tokens.bootstrap("at-only", "").await.unwrap();
    let current = tokens.access_token().await.unwrap();
    assert_eq!(current.expires_at, t0() + Duration::hours(25), "assumed lifetime");
    assert!(matches!(tokens.refresh_if_due().await.unwrap(), RefreshOutcome::NotDue { .. }));
    let err = tokens.refresh_after_rejection(&current).await.unwrap_err();
    assert!(err.to_string().contains("no refresh token"), "{err}");
    assert_eq!(fake.oauth_calls(), 0);
    assert!(
        matches!(tongdai::health::readiness(&db.store).await, Readiness::Ready(warnings) if !warnings.is_empty()),
        "a refused token is reported as a warning"
    );
}

on_both_backends!(
    tokens_bootstrap_encrypted_then_refresh_before_expiry_and_rotate,
    two_instances_refreshing_at_once_make_one_oauth_call,
    a_refused_refresh_is_recorded_blocks_retries_and_shows_in_readiness,
    an_access_token_without_refresh_token_is_used_until_rejected,
);
