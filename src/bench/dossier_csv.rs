//! Dossier CSV files for the import and survey benchmarks: the API's field names as headers,
//! rows varied like a province's (procedures, agencies, levels, channels, one mobile number per
//! dossier), completed at a given time.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

const PROCEDURES: [(&str, &str, &str); 5] = [
    ("1.001193", "Đăng ký khai sinh", "Hộ tịch"),
    ("1.000894", "Đăng ký kết hôn", "Hộ tịch"),
    ("2.000908", "Chứng thực bản sao từ bản chính", "Chứng thực"),
    ("1.009972", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng"),
    ("1.004227", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh"),
];
const AGENCIES: [(&str, &str, &str); 4] = [
    ("H27.07", "Sở Tư pháp tỉnh Hậu Giang", "tinh"),
    ("H27.32", "UBND thành phố Vị Thanh", "huyen"),
    ("H27.32.01", "UBND phường I, thành phố Vị Thanh", "xa"),
    ("H27.40.11", "UBND xã Vị Thủy, huyện Vị Thủy", "xa"),
];

/// One row's citizen: Zalo user id, if the dossier has one.
pub type ZaloIdOf<'a> = &'a dyn Fn(usize) -> Option<String>;

/// A CSV file of `rows` dossiers coded `{prefix}-{n}`, completed at `completed_at`.
pub fn dossiers(rows: usize, prefix: &str, completed_at: DateTime<Utc>, zalo_id: ZaloIdOf<'_>) -> String {
    let mut out = String::with_capacity(rows * 260 + 200);
    out.push_str(
        "code,procedure_code,procedure_name,field,agency_code,agency_name,level,received_at,completed_at,channel,citizen_name,phone,zalo_user_id\n",
    );
    let received = (completed_at - Duration::days(3)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let completed = completed_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    for n in 0..rows {
        let (procedure_code, procedure_name, field) = PROCEDURES[n % PROCEDURES.len()];
        let (agency_code, agency_name, level) = AGENCIES[(n / PROCEDURES.len()) % AGENCIES.len()];
        let channel = if n % 3 == 0 { "truc_tuyen" } else { "truc_tiep" };
        let phone = format!("09{:08}", n % 100_000_000);
        let zalo = zalo_id(n).unwrap_or_default();
        out.push_str(&format!(
            "{prefix}-{n:07},{procedure_code},{procedure_name},{field},{agency_code},\"{agency_name}\",{level},{received},{completed},{channel},Công dân {n},{phone},{zalo}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::csv_import::{check_rows, read_csv};
    use chrono::TimeZone;

    #[test]
    fn generated_rows_pass_the_import_checks() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).single().expect("valid time");
        let zalo = |n: usize| (n % 2 == 0).then(|| format!("{}", 5_000_000 + n));
        let text = dossiers(25, "BENCH", now - Duration::days(1), &zalo);
        let file = read_csv(text.as_bytes()).expect("readable");
        let dossiers = check_rows(&file, now).expect("valid rows");
        assert_eq!(dossiers.len(), 25);
        assert_eq!(dossiers[0].code, "BENCH-0000000");
        assert_eq!(dossiers[0].zalo_user_id.as_deref(), Some("5000000"));
        assert_eq!(dossiers[1].zalo_user_id, None);
        assert_eq!(dossiers[6].agency_name, "UBND thành phố Vị Thanh");
        assert_eq!(dossiers[3].phone.as_deref(), Some("84900000003"));
    }
}
