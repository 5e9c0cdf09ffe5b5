//! The console's store contract — accounts, sessions, audit log — on SQLite and PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use tongdai::auth::audit::{Actor, AuditAction, AuditFilter, NewAuditEntry};
use tongdai::auth::sessions::{Flash, NewSession};
use tongdai::auth::users::{LockoutPolicy, NewUser, Role};
use tongdai::store::BackendKind;

use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

fn new_user(username: &str, role: Role, department: Option<&str>) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: format!("Người dùng {username}"),
        role,
        department: department.map(str::to_owned),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_owned(),
        must_change_password: false,
    }
}

fn entry(at: DateTime<Utc>, actor: &str, action: AuditAction) -> NewAuditEntry {
    NewAuditEntry::new(at, &Actor::anonymous(actor, Some("192.0.2.1".into())), action)
}

fn session(id_hash: &str, user_id: i64, at: DateTime<Utc>) -> NewSession {
    NewSession {
        id_hash: id_hash.to_owned(),
        user_id,
        csrf_token: format!("csrf-{id_hash}"),
        created_at: at,
        expires_at: at + Duration::hours(12),
    }
}

async fn users_are_unique_without_regard_to_case(db: TestDb) {
    let users = &db.store.users;
    let audit = entry(t0(), "cli", AuditAction::UserAdded).target("user:an.nv");
    let created = users.create_user(&new_user("an.nv", Role::Officer, Some("SNV")), &audit).await.unwrap().unwrap();
    assert_eq!(created.username, "an.nv");
    assert_eq!(created.role, Role::Officer);
    assert_eq!(created.department.as_deref(), Some("SNV"));
    assert_eq!(created.created_at, t0());
    assert!(!created.disabled && !created.must_change_password);
    assert_eq!(created.failures.failed_logins, 0);
    assert_eq!(created.last_login_at, None);

    let again = users.create_user(&new_user("AN.NV", Role::Viewer, None), &audit).await.unwrap();
    assert_eq!(again, None, "the same name in another case is taken");
    assert_eq!(users.user_by_username("An.Nv").await.unwrap().unwrap().id, created.id);
    assert_eq!(users.user(created.id).await.unwrap().unwrap(), created);
    assert_eq!(users.user(created.id + 100).await.unwrap(), None);
    assert_eq!(users.user_by_username("nobody").await.unwrap(), None);

    users.create_user(&new_user("admin", Role::Admin, None), &audit).await.unwrap().unwrap();
    let names: Vec<String> = users.list_users().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, vec!["admin", "an.nv"]);
    assert_eq!(db.store.audit.count(&AuditFilter::default()).await.unwrap(), 2, "one audit entry per account made");
}

async fn password_changes_end_other_sessions_and_clear_the_lock(db: TestDb) {
    let users = &db.store.users;
    let sessions = &db.store.sessions;
    let audit = entry(t0(), "cli", AuditAction::UserAdded);
    let user = users.create_user(&new_user("binh", Role::Viewer, None), &audit).await.unwrap().unwrap();
    let other = users.create_user(&new_user("chi", Role::Viewer, None), &audit).await.unwrap().unwrap();
    for id in ["a", "b", "c"] {
        sessions.create_session(&session(id, user.id, t0())).await.unwrap();
    }
    sessions.create_session(&session("other", other.id, t0())).await.unwrap();
    let policy = LockoutPolicy { max_failures: 1, window: Duration::minutes(15), lockout: Duration::minutes(15) };
    users.record_login_failure(user.id, &policy, t0()).await.unwrap();
    assert!(users.user(user.id).await.unwrap().unwrap().is_locked(t0()));

    let changed = entry(t0(), "binh", AuditAction::PasswordChanged);
    assert!(users.set_password(user.id, "$argon2id$new", true, Some("b"), &changed).await.unwrap());
    let after = users.user(user.id).await.unwrap().unwrap();
    assert_eq!(after.password_hash, "$argon2id$new");
    assert!(after.must_change_password);
    assert!(!after.is_locked(t0()), "a new password clears the lock-out");
    assert_eq!(sessions.count_user_sessions(user.id).await.unwrap(), 1);
    assert!(sessions.session_with_user("b").await.unwrap().is_some(), "the kept session survives");
    assert_eq!(sessions.count_user_sessions(other.id).await.unwrap(), 1, "other users are untouched");

    assert!(users.set_password(user.id, "$argon2id$newer", false, None, &changed).await.unwrap());
    assert_eq!(sessions.count_user_sessions(user.id).await.unwrap(), 0, "no kept session: all end");
    assert!(!users.set_password(9999, "x", false, None, &changed).await.unwrap());
    let filter = AuditFilter { action: Some(AuditAction::PasswordChanged), ..AuditFilter::default() };
    assert_eq!(db.store.audit.count(&filter).await.unwrap(), 2, "a refused change is not audited");
}

async fn disabling_ends_sessions_and_enabling_does_not_restore_them(db: TestDb) {
    let users = &db.store.users;
    let audit = entry(t0(), "cli", AuditAction::UserAdded);
    let user = users.create_user(&new_user("dung", Role::Inspector, None), &audit).await.unwrap().unwrap();
    db.store.sessions.create_session(&session("s1", user.id, t0())).await.unwrap();
    let disable = entry(t0(), "admin", AuditAction::UserDisabled);
    assert!(users.set_disabled(user.id, true, &disable).await.unwrap());
    assert!(users.user(user.id).await.unwrap().unwrap().disabled);
    assert_eq!(db.store.sessions.count_user_sessions(user.id).await.unwrap(), 0);
    let enable = entry(t0(), "admin", AuditAction::UserEnabled);
    assert!(users.set_disabled(user.id, false, &enable).await.unwrap());
    assert!(!users.user(user.id).await.unwrap().unwrap().disabled);
    assert!(!users.set_disabled(9999, true, &disable).await.unwrap());
    assert_eq!(db.store.audit.count(&AuditFilter::default()).await.unwrap(), 3);
}

async fn failed_sign_ins_count_and_lock_until_a_success(db: TestDb) {
    let users = &db.store.users;
    let audit = entry(t0(), "cli", AuditAction::UserAdded);
    let user = users.create_user(&new_user("giang", Role::Viewer, None), &audit).await.unwrap().unwrap();
    let policy = LockoutPolicy { max_failures: 3, window: Duration::minutes(15), lockout: Duration::minutes(15) };
    for minute in 0..2 {
        let state = users.record_login_failure(user.id, &policy, t0() + Duration::minutes(minute)).await.unwrap();
        assert_eq!(state.unwrap().failed_logins, i32::try_from(minute + 1).unwrap());
    }
    users.record_login_success(user.id, t0() + Duration::minutes(3)).await.unwrap();
    let cleared = users.user(user.id).await.unwrap().unwrap();
    assert_eq!(cleared.failures.failed_logins, 0);
    assert_eq!(cleared.last_login_at, Some(t0() + Duration::minutes(3)));
    for minute in 4..7 {
        users.record_login_failure(user.id, &policy, t0() + Duration::minutes(minute)).await.unwrap();
    }
    let locked = users.user(user.id).await.unwrap().unwrap();
    assert_eq!(locked.failures.locked_until, Some(t0() + Duration::minutes(21)));
    assert!(locked.is_locked(t0() + Duration::minutes(20)));
    assert_eq!(users.record_login_failure(9999, &policy, t0()).await.unwrap(), None);
}

async fn sessions_carry_their_user_flash_and_expiry(db: TestDb) {
    let users = &db.store.users;
    let sessions = &db.store.sessions;
    let audit = entry(t0(), "cli", AuditAction::UserAdded);
    let user = users.create_user(&new_user("hoa", Role::Officer, Some("STP")), &audit).await.unwrap().unwrap();
    sessions.create_session(&session("live", user.id, t0())).await.unwrap();
    let (record, owner) = sessions.session_with_user("live").await.unwrap().unwrap();
    assert_eq!(owner, user);
    assert_eq!(record.csrf_token, "csrf-live");
    assert_eq!((record.created_at, record.last_seen_at), (t0(), t0()));
    assert_eq!(record.expires_at, t0() + Duration::hours(12));
    assert_eq!(record.flash, None);

    sessions.touch_session("live", t0() + Duration::minutes(5)).await.unwrap();
    let flash = Flash::success("Đã đổi mật khẩu.");
    sessions.set_flash("live", Some(&flash)).await.unwrap();
    let (record, _) = sessions.session_with_user("live").await.unwrap().unwrap();
    assert_eq!(record.last_seen_at, t0() + Duration::minutes(5));
    assert_eq!(record.flash, Some(flash));
    sessions.set_flash("live", None).await.unwrap();
    assert_eq!(sessions.session_with_user("live").await.unwrap().unwrap().0.flash, None);

    sessions.create_session(&session("idle", user.id, t0() - Duration::hours(1))).await.unwrap();
    let mut old = session("old", user.id, t0() - Duration::hours(13));
    old.expires_at = t0() - Duration::hours(1);
    sessions.create_session(&old).await.unwrap();
    let purged = sessions.purge_expired_sessions(t0() - Duration::minutes(30), t0()).await.unwrap();
    assert_eq!(purged, 2, "the idle and the past-its-end sessions go");
    assert_eq!(sessions.count_user_sessions(user.id).await.unwrap(), 1);

    assert!(sessions.delete_session("live").await.unwrap());
    assert!(!sessions.delete_session("live").await.unwrap());
    assert_eq!(sessions.session_with_user("live").await.unwrap(), None);
}

async fn audit_entries_filter_page_and_cannot_change(db: TestDb) {
    let audit = &db.store.audit;
    for i in 0..7 {
        let action = if i % 2 == 0 { AuditAction::SignIn } else { AuditAction::SignInFailed };
        let actor = if i < 4 { "Lan.NT" } else { "minh" };
        let mut e = entry(t0() + Duration::hours(i), actor, action).target(format!("user:{i}"));
        e.details = json!({"n": i});
        audit.append(&e).await.unwrap();
    }
    let all = audit.query(&AuditFilter::default(), 100, 0).await.unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].at, t0() + Duration::hours(6), "newest first");
    assert_eq!(all[0].details, json!({"n": 6}));
    assert_eq!(all[0].ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(all[0].target.as_deref(), Some("user:6"));
    assert_eq!(all[0].action, "sign_in");

    let by_actor = AuditFilter { actor: Some("lan.nt".into()), ..AuditFilter::default() };
    assert_eq!(audit.count(&by_actor).await.unwrap(), 4, "actor matches without regard to case");
    let failures = AuditFilter { action: Some(AuditAction::SignInFailed), ..by_actor.clone() };
    assert_eq!(audit.count(&failures).await.unwrap(), 2);
    let window = AuditFilter {
        from: Some(t0() + Duration::hours(2)),
        until: Some(t0() + Duration::hours(5)),
        ..AuditFilter::default()
    };
    let hours: Vec<i64> =
        audit.query(&window, 100, 0).await.unwrap().iter().map(|e| (e.at - t0()).num_hours()).collect();
    assert_eq!(hours, vec![4, 3, 2], "from inclusive, until exclusive");

    let page2 = audit.query(&AuditFilter::default(), 3, 3).await.unwrap();
    let page2_hours: Vec<i64> = page2.iter().map(|e| (e.at - t0()).num_hours()).collect();
    assert_eq!(page2_hours, vec![3, 2, 1]);

    // The database itself refuses to change or delete entries.
    let (update, delete) = ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log");
    match db.store.kind {
        BackendKind::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.config.url).await.unwrap();
            assert!(sqlx::query(update).execute(&pool).await.is_err());
            assert!(sqlx::query(delete).execute(&pool).await.is_err());
        }
        BackendKind::Postgres => {
            let pool = sqlx::PgPool::connect(&db.config.url).await.unwrap();
            assert!(sqlx::query(update).execute(&pool).await.is_err());
            assert!(sqlx::query(delete).execute(&pool).await.is_err());
        }
    }
    assert_eq!(audit.count(&AuditFilter::default()).await.unwrap(), 7);
}

on_both_backends!(
    users_are_unique_without_regard_to_case,
    password_changes_end_other_sessions_and_clear_the_lock,
    disabling_ends_sessions_and_enabling_does_not_restore_them,
    failed_sign_ins_count_and_lock_until_a_success,
    sessions_carry_their_user_flash_and_expiry,
    audit_entries_filter_page_and_cannot_change,
);
