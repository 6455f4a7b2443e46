//! Fake personal data that is well-formed: Chinese names, 18-digit resident ID numbers with a
//! valid GB 11643 check digit, 11-digit mobile numbers. Masking is tested on them, so they must
//! look exactly like the real thing while belonging to nobody.

use rand::Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋",
    "郑", "谢", "韩", "唐", "冯", "于", "董", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾",
    "丁", "魏", "薛", "叶", "阎", "欧阳", "司马", "诸葛",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英",
    "文", "辉", "建华", "玉兰", "志强", "海燕", "晓东", "子涵", "浩然", "欣怡", "宇轩", "梓萱", "俊杰", "雨桐", "淑珍", "凤兰", "德明",
    "国庆", "建国", "红梅", "春生", "秋菊", "立新", "卫东", "佳怡", "思远", "一鸣", "若曦",
];

/// Area codes (行政区划代码) used as the first six digits of ID numbers: Shandong districts.
const AREAS: &[&str] = &[
    "370102", "370103", "370104", "370105", "370112", "370113", "370114", "370115", "370116", "370117", "370124", "370126", "370181",
    "370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281", "370283", "370302", "370303", "370502", "370602",
    "370702", "370811", "370902", "371002", "371102", "371302", "371402", "371502", "371602", "371702",
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157", "158", "159", "166", "173",
    "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
];

pub fn person_name(rng: &mut impl Rng) -> String {
    let s = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let mut g = GIVEN[rng.random_range(0..GIVEN.len())].to_string();
    if g.chars().count() == 1 && rng.random_bool(0.5) {
        g.push_str(GIVEN[rng.random_range(0..GIVEN.len())].chars().next().map(String::from).as_deref().unwrap_or(""));
    }
    format!("{s}{g}")
}

/// The GB 11643-1999 check character of the first 17 digits (ISO 7064 MOD 11-2).
pub fn id_check_char(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17.bytes().zip(W).map(|(b, w)| (b - b'0') as u32 * w).sum();
    C[(sum % 11) as usize]
}

pub fn id_number(rng: &mut impl Rng) -> String {
    let area = AREAS[rng.random_range(0..AREAS.len())];
    let year = rng.random_range(1945..=2008);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let seq = rng.random_range(0..1000);
    let first17 = format!("{area}{year:04}{month:02}{day:02}{seq:03}");
    let c = id_check_char(&first17);
    format!("{first17}{c}")
}

pub fn mobile(rng: &mut impl Rng) -> String {
    let p = MOBILE_PREFIXES[rng.random_range(0..MOBILE_PREFIXES.len())];
    format!("{p}{:08}", rng.random_range(0..100_000_000u32))
}

/// A staff member's 工号.
pub fn staff_id(hall: &str, n: usize) -> String {
    format!("YB{}{:03}", &hall[hall.len().saturating_sub(3)..], n)
}

/// Leaders who sign extensions and denials.
pub fn leader(rng: &mut impl Rng) -> String {
    person_name(rng)
}

/// The signer of a denial: the leader in charge, or the collective meeting by its name.
pub fn denial_approver(rng: &mut impl Rng, approval_type: &str) -> String {
    if approval_type == "办公会" { format!("2026年第{}次局长办公会", rng.random_range(5..=24)) } else { person_name(rng) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn id_numbers_are_well_formed() {
        // The example of GB 11643-1999.
        assert_eq!(id_check_char("11010519491231002"), 'X');
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let id = id_number(&mut rng);
            assert_eq!(id.len(), 18);
            assert_eq!(id.chars().last(), Some(id_check_char(&id[..17])));
            let m = mobile(&mut rng);
            assert_eq!(m.len(), 11);
            assert!(m.starts_with('1') && m.bytes().all(|b| b.is_ascii_digit()));
            let n = person_name(&mut rng);
            assert!((2..=4).contains(&n.chars().count()), "{n}");
        }
    }
}
