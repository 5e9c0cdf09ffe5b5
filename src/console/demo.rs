//! Demo accounts for `tongdai demo`: one per role, with fresh random passwords to print.

use chrono::{DateTime, Utc};

use crate::auth::audit::{Actor, DEMO_ACTOR};
use crate::auth::users::{self, PasswordRules, Role, UserInput};
use crate::store::Store;

/// An account made (or refreshed) for the demo, with its password in clear for printing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub department: Option<String>,
}

/// (username, display name, role, department) of the demo accounts.
const ACCOUNTS: [(&str, &str, Role, Option<&str>); 6] = [
    ("admin", "Quản trị hệ thống", Role::Admin, None),
    ("dieuphoi.snv", "Phòng Cải cách hành chính, Sở Nội vụ", Role::Coordinator, Some("SNV")),
    ("canbo.snv", "Nguyễn Thị Lan (Sở Nội vụ)", Role::Officer, Some("SNV")),
    ("canbo.vpubnd", "Trần Văn Minh (Văn phòng UBND tỉnh)", Role::Officer, Some("VPUBND")),
    ("kiemtra", "Tổ Kiểm tra đột xuất", Role::Inspector, None),
    ("lanhdao", "Lãnh đạo UBND tỉnh", Role::Viewer, None),
];

/// Creates one account per role — admin, coordinator (SNV), officers of SNV and VPUBND,
/// inspector, viewer — or, when they exist, enables them and gives them new passwords.
/// Idempotent: running it again never adds accounts. Every change is audited as `demo`.
pub async fn create_demo_accounts(
    store: &Store,
    rules: PasswordRules,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<DemoAccount>> {
    let actor = Actor { user_id: None, name: DEMO_ACTOR.to_owned(), ip: None };
    let departments = &super::catalogue_facts().departments;
    let mut made = Vec::with_capacity(ACCOUNTS.len());
    for (username, display_name, role, department) in ACCOUNTS {
        let password = rules.generate();
        match store.users.user_by_username(username).await? {
            Some(existing) => {
                users::reset_password(store, &actor, username, password.clone(), false, rules, now).await?;
                if existing.disabled {
                    users::set_user_disabled(store, &actor, username, false, now).await?;
                }
            }
            None => {
                let input = UserInput {
                    username: username.to_owned(),
                    display_name: display_name.to_owned(),
                    role,
                    department: department.map(str::to_owned),
                    password: password.clone(),
                    must_change_password: false,
                };
                users::add_user(store, &actor, input, rules, departments, now).await?;
            }
        }
        made.push(DemoAccount {
            username: username.to_owned(),
            password,
            role,
            department: department.map(str::to_owned),
        });
    }
    Ok(made)
}
