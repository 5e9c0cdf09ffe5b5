//! The store contract of the Zalo aggregates (tokens and refresh lease, pending OAuth
//! authorisations, citizens, outbound attempts, held messages) on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tongdai::jobs::JobState;
use tongdai::store::{
    EnqueueOutcome, NewOutboundRecord, PendingAuthorization, RefreshFailure, SealedTokens, TokenSource,
};
use tongdai::zalo::outbound::{
    OutboundMessage, SendRequest, TemplateFallback, TemplatePurpose, Unreachable, SEND_JOB_KIND,
};
use tongdai::zalo::records::{OutboundChannel, OutboundStatus};

use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

fn sealed(access: &str, refresh: &str, expires: DateTime<Utc>) -> SealedTokens {
    SealedTokens { access_token: access.into(), refresh_token: refresh.into(), access_expires_at: expires }
}

async fn tokens_bootstrap_once_then_rotate_with_versions(db: TestDb) {
    let tokens = &db.store.zalo_tokens;
    assert_eq!(tokens.load_tokens().await.unwrap(), None);
    assert!(tokens.bootstrap_tokens(&sealed("a0", "r0", t0()), t0()).await.unwrap());
    assert!(!tokens.bootstrap_tokens(&sealed("ax", "rx", t0()), t0()).await.unwrap(), "only when none is stored");
    let first = tokens.load_tokens().await.unwrap().unwrap();
    assert_eq!(first.sealed, sealed("a0", "r0", t0()));
    assert_eq!((first.source, first.updated_at), (TokenSource::Config, t0()));

    let later = t0() + Duration::hours(1);
    let version =
        tokens.save_tokens(&sealed("a1", "r1", later + Duration::hours(25)), TokenSource::Refresh, later).await;
    let version = version.unwrap();
    assert!(version > first.version);
    let second = tokens.load_tokens().await.unwrap().unwrap();
    assert_eq!(second.version, version);
    assert_eq!(second.sealed.access_token, "a1");
    assert_eq!(second.sealed.access_expires_at, later + Duration::hours(25));
    assert_eq!(second.source, TokenSource::Refresh);
    assert_eq!(tokens.refresh_status().await.unwrap().last_refresh_at, Some(later));

    let oauth_version = tokens.save_tokens(&sealed("a2", "r2", later), TokenSource::OAuth, later).await.unwrap();
    assert!(oauth_version > version);
    assert_eq!(tokens.refresh_status().await.unwrap().last_refresh_at, Some(later), "an OAuth grant is no refresh");
    assert!(!tokens.bootstrap_tokens(&sealed("a3", "r3", t0()), t0()).await.unwrap());
}

async fn the_refresh_lease_has_one_holder_until_released_or_expired(db: TestDb) {
    let tokens = &db.store.zalo_tokens;
    let until = t0() + Duration::seconds(30);
    assert!(tokens.try_claim_refresh("a", t0(), until).await.unwrap());
    assert!(!tokens.try_claim_refresh("b", t0(), until).await.unwrap());
    assert!(!tokens.try_claim_refresh("a", t0(), until).await.unwrap(), "not re-entrant");
    tokens.release_refresh("b").await.unwrap();
    assert!(
        !tokens.try_claim_refresh("b", t0() + Duration::seconds(29), until).await.unwrap(),
        "b cannot release a's lease"
    );
    assert!(tokens.try_claim_refresh("b", until, until + Duration::seconds(30)).await.unwrap(), "expired at its end");
    tokens.release_refresh("b").await.unwrap();
    assert!(tokens.try_claim_refresh("c", until, until + Duration::seconds(30)).await.unwrap());

    // Many claimers at once on separate connections: exactly one wins.
    tokens.release_refresh("c").await.unwrap();
    let second = db.another_connection().await;
    let claims = (0..8).map(|n| {
        let store = if n % 2 == 0 { db.store.clone() } else { second.clone() };
        tokio::spawn(async move { store.zalo_tokens.try_claim_refresh(&format!("h{n}"), t0(), until).await.unwrap() })
    });
    let mut winners = 0;
    for claim in claims {
        winners += usize::from(claim.await.unwrap());
    }
    assert_eq!(winners, 1);
}

async fn refresh_failures_are_recorded_until_a_pair_is_saved(db: TestDb) {
    let tokens = &db.store.zalo_tokens;
    assert_eq!(tokens.refresh_status().await.unwrap().failure, None);
    tokens.bootstrap_tokens(&sealed("a0", "r0", t0()), t0()).await.unwrap();
    let failure = RefreshFailure { at: t0(), code: Some(-14014), message: "Invalid refresh token".into() };
    tokens.record_refresh_failure(&failure).await.unwrap();
    assert_eq!(tokens.refresh_status().await.unwrap().failure, Some(failure));
    let no_code = RefreshFailure { at: t0() + Duration::minutes(1), code: None, message: "no refresh token".into() };
    tokens.record_refresh_failure(&no_code).await.unwrap();
    assert_eq!(tokens.refresh_status().await.unwrap().failure, Some(no_code));
    tokens.save_tokens(&sealed("a1", "r1", t0()), TokenSource::OAuth, t0()).await.unwrap();
    assert_eq!(tokens.refresh_status().await.unwrap().failure, None);
}

async fn pending_authorizations_are_taken_once_by_state_or_latest(db: TestDb) {
    let tokens = &db.store.zalo_tokens;
    let pending = |state: &str, at: DateTime<Utc>| PendingAuthorization {
        state: state.into(),
        verifier_sealed: format!("sealed-{state}"),
        created_at: at,
        expires_at: at + Duration::minutes(10),
    };
    tokens.save_pending_authorization(&pending("s1", t0()), t0()).await.unwrap();
    tokens.save_pending_authorization(&pending("s2", t0() + Duration::minutes(1)), t0()).await.unwrap();
    tokens.save_pending_authorization(&pending("s3", t0() + Duration::minutes(2)), t0()).await.unwrap();
    let now = t0() + Duration::minutes(3);

    assert_eq!(tokens.take_pending_authorization(Some("nope"), now).await.unwrap(), None);
    let s1 = tokens.take_pending_authorization(Some("s1"), now).await.unwrap().unwrap();
    assert_eq!(s1, pending("s1", t0()));
    assert_eq!(tokens.take_pending_authorization(Some("s1"), now).await.unwrap(), None, "used once");
    let latest = tokens.take_pending_authorization(None, now).await.unwrap().unwrap();
    assert_eq!(latest.state, "s3", "without a state, the most recent");
    let expired_time = t0() + Duration::minutes(11);
    assert_eq!(tokens.take_pending_authorization(None, expired_time).await.unwrap(), None, "s2 expired");
    // Saving a new one forgets expired ones; s2 cannot come back.
    tokens.save_pending_authorization(&pending("s4", expired_time), expired_time).await.unwrap();
    assert_eq!(tokens.take_pending_authorization(Some("s2"), t0() + Duration::minutes(5)).await.unwrap(), None);
    assert_eq!(tokens.take_pending_authorization(None, expired_time).await.unwrap().unwrap().state, "s4");
}

async fn citizens_keep_the_latest_interaction_and_follow_state(db: TestDb) {
    let citizens = &db.store.citizens;
    assert_eq!(citizens.get("u1").await.unwrap(), None);
    citizens.record_interaction("u1", t0()).await.unwrap();
    citizens.record_interaction("u1", t0() - Duration::hours(1)).await.unwrap();
    let citizen = citizens.get("u1").await.unwrap().unwrap();
    assert_eq!(citizen.last_interaction_at, Some(t0()), "an older interaction does not move it back");
    assert_eq!((citizen.created_at, citizen.updated_at, citizen.is_follower), (t0(), t0(), false));
    citizens.record_interaction("u1", t0() + Duration::days(2)).await.unwrap();
    assert_eq!(citizens.get("u1").await.unwrap().unwrap().last_interaction_at, Some(t0() + Duration::days(2)));

    citizens.set_follower("u2", true, t0()).await.unwrap();
    let u2 = citizens.get("u2").await.unwrap().unwrap();
    assert!(u2.is_follower);
    assert_eq!(u2.last_interaction_at, None, "following is recorded apart from interactions");
    citizens.set_follower("u2", false, t0() - Duration::minutes(1)).await.unwrap();
    assert!(citizens.get("u2").await.unwrap().unwrap().is_follower, "an older unfollow is ignored");
    citizens.set_follower("u2", false, t0() + Duration::minutes(1)).await.unwrap();
    assert!(!citizens.get("u2").await.unwrap().unwrap().is_follower);

    citizens.set_contact("u2", Some("Trần Thị Bích"), None, t0() + Duration::minutes(2)).await.unwrap();
    citizens.set_contact("u2", None, Some("0912345678"), t0() + Duration::minutes(3)).await.unwrap();
    let u2 = citizens.get("u2").await.unwrap().unwrap();
    assert_eq!(u2.display_name.as_deref(), Some("Trần Thị Bích"));
    assert_eq!(u2.phone.as_deref(), Some("0912345678"));
    assert_eq!(u2.updated_at, t0() + Duration::minutes(3));
    citizens.set_contact("u3", None, Some("84987654321"), t0()).await.unwrap();
    assert_eq!(citizens.get("u3").await.unwrap().unwrap().phone.as_deref(), Some("84987654321"));
}

fn attempt(job_id: i64, part: u32, channel: OutboundChannel, status: OutboundStatus) -> NewOutboundRecord {
    NewOutboundRecord {
        job_id: Some(job_id),
        part,
        user_id: Some("u1".into()),
        phone_masked: None,
        channel,
        purpose: "survey".into(),
        reference: Some("HS-001".into()),
        zalo_message_id: None,
        tracking_id: None,
        status,
        error_code: None,
        error_message: None,
        at: t0(),
    }
}

async fn outbound_attempts_are_recorded_and_found_by_zalo_ids(db: TestDb) {
    let outbound = &db.store.zalo_outbound;
    let failed = NewOutboundRecord {
        error_code: Some(-230),
        error_message: Some("Zalo -230: …".into()),
        ..attempt(7, 0, OutboundChannel::Cs, OutboundStatus::Failed)
    };
    let zbs = NewOutboundRecord {
        zalo_message_id: Some("msg-1".into()),
        ..attempt(7, 0, OutboundChannel::Zbs, OutboundStatus::Sent)
    };
    let zns_failed = NewOutboundRecord {
        tracking_id: Some("hs-001".into()),
        phone_masked: Some("849******78".into()),
        ..attempt(8, 0, OutboundChannel::Zns, OutboundStatus::Failed)
    };
    let zns = NewOutboundRecord {
        zalo_message_id: Some("zns-1".into()),
        tracking_id: Some("hs-001".into()),
        phone_masked: Some("849******78".into()),
        user_id: None,
        at: t0() + Duration::seconds(5),
        ..attempt(8, 0, OutboundChannel::Zns, OutboundStatus::Sent)
    };
    // The last two are stored together, as the sender's group commit stores them.
    let together = outbound.record_attempts(&[zns_failed.clone(), zns.clone()]).await.unwrap();
    let ids = [
        outbound.record_attempt(&failed).await.unwrap(),
        outbound.record_attempt(&zbs).await.unwrap(),
        together[0],
        together[1],
    ];
    assert_eq!(together.len(), 2);
    assert!(ids[0] < ids[1] && ids[2] < ids[3], "ids in the order of recording: {ids:?}");
    let of_7 = outbound.records_for_job(7).await.unwrap();
    assert_eq!(of_7.iter().map(|r| r.record.clone()).collect::<Vec<_>>(), vec![failed, zbs.clone()]);
    assert_eq!(of_7[1].id, ids[1]);
    assert!(outbound.records_for_job(99).await.unwrap().is_empty());
    assert_eq!(outbound.find_by_message_id("msg-1").await.unwrap().unwrap().record, zbs);
    assert_eq!(outbound.find_by_message_id("nope").await.unwrap(), None);
    let by_tracking = outbound.find_by_tracking_id("hs-001").await.unwrap().unwrap();
    assert_eq!(by_tracking.record, zns, "the sent one, not the failed attempt");
    assert_eq!(outbound.find_by_tracking_id("other").await.unwrap(), None);
}

fn held_request(text: &str) -> SendRequest {
    SendRequest {
        template: Some(TemplateFallback {
            purpose: TemplatePurpose::TicketReply,
            data: BTreeMap::from([("code".to_owned(), "PA-2026-000001".to_owned())]),
            tracking_id: None,
        }),
        if_unreachable: Unreachable::HoldUntilNextMessage,
        reference: Some("PA-2026-000001".into()),
        then: Vec::new(),
        ..SendRequest::chat("u1", OutboundMessage::text(text), "ticket_reply")
    }
}

async fn held_messages_are_released_once_in_order_with_their_jobs(db: TestDb) {
    let outbound = &db.store.zalo_outbound;
    let first = outbound.hold("u1", Some(11), &held_request("một"), 7, t0()).await.unwrap();
    assert_eq!(
        outbound.hold("u1", Some(11), &held_request("một"), 7, t0()).await.unwrap(),
        first,
        "same job, same hold"
    );
    let second = outbound.hold("u1", Some(12), &held_request("hai"), 5, t0()).await.unwrap();
    let other = outbound.hold("u2", None, &held_request("khác"), 5, t0()).await.unwrap();
    let held = outbound.held_for("u1").await.unwrap();
    assert_eq!(held.iter().map(|h| h.id).collect::<Vec<_>>(), vec![first, second]);
    assert_eq!(held[0].request, held_request("một"));
    assert_eq!((held[0].source_job_id, held[0].max_attempts, held[0].held_at), (Some(11), 7, t0()));
    assert_eq!(held[0].released_at, None);

    let now = t0() + Duration::days(3);
    let released = outbound.release_held("u1", now).await.unwrap();
    assert_eq!(released.len(), 2);
    assert!(released.iter().all(|o| matches!(o, EnqueueOutcome::Enqueued(_))));
    for (outcome, (held_id, text, attempts)) in released.iter().zip([(first, "một", 7), (second, "hai", 5)]) {
        let job = db.store.jobs.get(outcome.id()).await.unwrap().unwrap();
        assert_eq!(job.kind, SEND_JOB_KIND);
        assert_eq!(job.unique_key, Some(format!("held:{held_id}")));
        assert_eq!((job.state, job.max_attempts, job.run_at), (JobState::Available, attempts, now));
        let request: SendRequest = serde_json::from_value(job.payload).unwrap();
        assert_eq!(request, held_request(text));
    }
    assert!(released[0].id() < released[1].id(), "enqueued in the order they were held");
    assert!(outbound.held_for("u1").await.unwrap().is_empty());
    assert!(outbound.release_held("u1", now).await.unwrap().is_empty(), "released once");
    assert_eq!(outbound.held_for("u2").await.unwrap()[0].id, other, "other citizens keep theirs");
    assert!(outbound.release_held("nobody", now).await.unwrap().is_empty());

    // Two releases racing for the same citizen enqueue each message once.
    outbound.hold("u3", Some(21), &held_request("ba"), 5, t0()).await.unwrap();
    outbound.hold("u3", Some(22), &held_request("bốn"), 5, t0()).await.unwrap();
    let second_instance = db.another_connection().await;
    let (a, b) = tokio::join!(outbound.release_held("u3", now), second_instance.zalo_outbound.release_held("u3", now));
    let total: Vec<EnqueueOutcome> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(total.len(), 2, "{total:?}");
    assert!(total.iter().all(|o| matches!(o, EnqueueOutcome::Enqueued(_))));
}

on_both_backends!(
    tokens_bootstrap_once_then_rotate_with_versions,
    the_refresh_lease_has_one_holder_until_released_or_expired,
    refresh_failures_are_recorded_until_a_pair_is_saved,
    pending_authorizations_are_taken_once_by_state_or_latest,
    citizens_keep_the_latest_interaction_and_follow_state,
    outbound_attempts_are_recorded_and_found_by_zalo_ids,
    held_messages_are_released_once_in_order_with_their_jobs,
);
