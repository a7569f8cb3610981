//! The names and shapes the generator draws from: Anhui's cities, syllables of place names,
//! drug stems, dosage forms, strengths, company suffixes, lines per order.

use crate::domain::catalog::{Category, Unit};

/// Anhui's 16 prefecture-level cities: code digits 3–4, name, English name.
pub(super) const CITIES: &[(&str, &str, &str)] = &[
    ("01", "合肥市", "Hefei"),
    ("02", "芜湖市", "Wuhu"),
    ("03", "蚌埠市", "Bengbu"),
    ("04", "淮南市", "Huainan"),
    ("05", "马鞍山市", "Ma'anshan"),
    ("06", "淮北市", "Huaibei"),
    ("07", "铜陵市", "Tongling"),
    ("08", "安庆市", "Anqing"),
    ("10", "黄山市", "Huangshan"),
    ("11", "滁州市", "Chuzhou"),
    ("12", "阜阳市", "Fuyang"),
    ("13", "宿州市", "Suzhou"),
    ("15", "六安市", "Lu'an"),
    ("16", "亳州市", "Bozhou"),
    ("17", "池州市", "Chizhou"),
    ("18", "宣城市", "Xuancheng"),
];

pub(super) const SYL1: &[(&str, &str)] = &[
    ("东", "Dong"),
    ("西", "Xi"),
    ("南", "Nan"),
    ("北", "Bei"),
    ("长", "Chang"),
    ("青", "Qing"),
    ("石", "Shi"),
    ("金", "Jin"),
    ("白", "Bai"),
    ("临", "Lin"),
    ("安", "An"),
    ("永", "Yong"),
    ("丰", "Feng"),
    ("平", "Ping"),
    ("和", "He"),
    ("新", "Xin"),
    ("兴", "Xing"),
    ("宁", "Ning"),
    ("太", "Tai"),
    ("龙", "Long"),
];
pub(super) const SYL2: &[(&str, &str)] = &[
    ("山", "shan"),
    ("河", "he"),
    ("城", "cheng"),
    ("阳", "yang"),
    ("溪", "xi"),
    ("桥", "qiao"),
    ("湖", "hu"),
    ("岗", "gang"),
    ("集", "ji"),
    ("店", "dian"),
    ("庄", "zhuang"),
    ("埠", "bu"),
];

pub(super) fn place(i: usize) -> (&'static str, &'static str, &'static str, &'static str) {
    let a = SYL1[i % SYL1.len()];
    let b = SYL2[(i / SYL1.len() + i) % SYL2.len()];
    (a.0, b.0, a.1, b.1)
}

/// Generic-name stems: Chinese name, INN, ATC code, category (as `benches/catalog_load.sh`).
pub(super) const STEMS: &[(&str, &str, Option<&str>, Category)] = &[
    (
        "阿莫西林",
        "Amoxicillin",
        Some("J01CA04"),
        Category::Chemical,
    ),
    (
        "头孢呋辛",
        "Cefuroxime",
        Some("J01DC02"),
        Category::Chemical,
    ),
    ("头孢克洛", "Cefaclor", Some("J01DC04"), Category::Chemical),
    (
        "左氧氟沙星",
        "Levofloxacin",
        Some("J01MA12"),
        Category::Chemical,
    ),
    (
        "阿奇霉素",
        "Azithromycin",
        Some("J01FA10"),
        Category::Chemical,
    ),
    (
        "克拉霉素",
        "Clarithromycin",
        Some("J01FA09"),
        Category::Chemical,
    ),
    (
        "甲硝唑",
        "Metronidazole",
        Some("J01XD01"),
        Category::Chemical,
    ),
    ("二甲双胍", "Metformin", Some("A10BA02"), Category::Chemical),
    (
        "格列美脲",
        "Glimepiride",
        Some("A10BB12"),
        Category::Chemical,
    ),
    ("阿卡波糖", "Acarbose", Some("A10BF01"), Category::Chemical),
    (
        "硝苯地平",
        "Nifedipine",
        Some("C08CA05"),
        Category::Chemical,
    ),
    (
        "氨氯地平",
        "Amlodipine",
        Some("C08CA01"),
        Category::Chemical,
    ),
    ("卡托普利", "Captopril", Some("C09AA01"), Category::Chemical),
    ("依那普利", "Enalapril", Some("C09AA02"), Category::Chemical),
    ("缬沙坦", "Valsartan", Some("C09CA03"), Category::Chemical),
    ("氯沙坦", "Losartan", Some("C09CA01"), Category::Chemical),
    (
        "美托洛尔",
        "Metoprolol",
        Some("C07AB02"),
        Category::Chemical,
    ),
    (
        "比索洛尔",
        "Bisoprolol",
        Some("C07AB07"),
        Category::Chemical,
    ),
    (
        "阿托伐他汀",
        "Atorvastatin",
        Some("C10AA05"),
        Category::Chemical,
    ),
    (
        "辛伐他汀",
        "Simvastatin",
        Some("C10AA01"),
        Category::Chemical,
    ),
    (
        "瑞舒伐他汀",
        "Rosuvastatin",
        Some("C10AA07"),
        Category::Chemical,
    ),
    ("阿司匹林", "Aspirin", Some("B01AC06"), Category::Chemical),
    (
        "氯吡格雷",
        "Clopidogrel",
        Some("B01AC04"),
        Category::Chemical,
    ),
    ("华法林", "Warfarin", Some("B01AA03"), Category::Chemical),
    (
        "奥美拉唑",
        "Omeprazole",
        Some("A02BC01"),
        Category::Chemical,
    ),
    (
        "兰索拉唑",
        "Lansoprazole",
        Some("A02BC03"),
        Category::Chemical,
    ),
    (
        "雷尼替丁",
        "Ranitidine",
        Some("A02BA02"),
        Category::Chemical,
    ),
    (
        "多潘立酮",
        "Domperidone",
        Some("A03FA03"),
        Category::Chemical,
    ),
    ("布洛芬", "Ibuprofen", Some("M01AE01"), Category::Chemical),
    (
        "双氯芬酸",
        "Diclofenac",
        Some("M01AB05"),
        Category::Chemical,
    ),
    (
        "对乙酰氨基酚",
        "Paracetamol",
        Some("N02BE01"),
        Category::Chemical,
    ),
    (
        "氯雷他定",
        "Loratadine",
        Some("R06AX13"),
        Category::Chemical,
    ),
    (
        "西替利嗪",
        "Cetirizine",
        Some("R06AE07"),
        Category::Chemical,
    ),
    (
        "沙丁胺醇",
        "Salbutamol",
        Some("R03AC02"),
        Category::Chemical,
    ),
    (
        "氨茶碱",
        "Aminophylline",
        Some("R03DA05"),
        Category::Chemical,
    ),
    (
        "地塞米松",
        "Dexamethasone",
        Some("H02AB02"),
        Category::Chemical,
    ),
    ("泼尼松", "Prednisone", Some("H02AB07"), Category::Chemical),
    (
        "左甲状腺素",
        "Levothyroxine",
        Some("H03AA01"),
        Category::Chemical,
    ),
    ("呋塞米", "Furosemide", Some("C03CA01"), Category::Chemical),
    (
        "氢氯噻嗪",
        "Hydrochlorothiazide",
        Some("C03AA03"),
        Category::Chemical,
    ),
    (
        "螺内酯",
        "Spironolactone",
        Some("C03DA01"),
        Category::Chemical,
    ),
    ("地高辛", "Digoxin", Some("C01AA05"), Category::Chemical),
    ("胺碘酮", "Amiodarone", Some("C01BD01"), Category::Chemical),
    (
        "卡马西平",
        "Carbamazepine",
        Some("N03AF01"),
        Category::Chemical,
    ),
    (
        "丙戊酸钠",
        "Sodium Valproate",
        Some("N03AG01"),
        Category::Chemical,
    ),
    ("地西泮", "Diazepam", Some("N05BA01"), Category::Chemical),
    ("艾司唑仑", "Estazolam", Some("N05CD04"), Category::Chemical),
    ("氟西汀", "Fluoxetine", Some("N06AB03"), Category::Chemical),
    (
        "帕罗西汀",
        "Paroxetine",
        Some("N06AB05"),
        Category::Chemical,
    ),
    ("利培酮", "Risperidone", Some("N05AX08"), Category::Chemical),
    ("奥氮平", "Olanzapine", Some("N05AH03"), Category::Chemical),
    ("阿昔洛韦", "Aciclovir", Some("J05AB01"), Category::Chemical),
    ("利巴韦林", "Ribavirin", Some("J05AB04"), Category::Chemical),
    ("氟康唑", "Fluconazole", Some("J02AC01"), Category::Chemical),
    (
        "重组人胰岛素",
        "Insulin Human",
        Some("A10AB01"),
        Category::Biological,
    ),
    (
        "复方丹参",
        "Compound Danshen",
        None,
        Category::ChinesePatent,
    ),
    ("板蓝根", "Banlangen", None, Category::ChinesePatent),
    ("六味地黄", "Liuwei Dihuang", None, Category::ChinesePatent),
    ("双黄连", "Shuanghuanglian", None, Category::ChinesePatent),
    ("银黄", "Yinhuang", None, Category::ChinesePatent),
];

/// Dosage forms: name prefix, suffix, dosage form, unit, package sizes, unit price range
/// (1/10,000 yuan per unit of use).
pub(super) struct Form {
    pub(super) prefix: &'static str,
    pub(super) suffix: &'static str,
    pub(super) dosage_form: &'static str,
    pub(super) unit: Unit,
    pub(super) packages: &'static [i32],
    pub(super) price: (i64, i64),
}

pub(super) const FORMS: &[Form] = &[
    Form {
        prefix: "",
        suffix: "片",
        dosage_form: "片剂",
        unit: Unit::Tablet,
        packages: &[12, 24, 28, 30, 48, 100],
        price: (500, 30_000),
    },
    Form {
        prefix: "",
        suffix: "胶囊",
        dosage_form: "胶囊剂",
        unit: Unit::Capsule,
        packages: &[12, 24, 36],
        price: (1_000, 30_000),
    },
    Form {
        prefix: "",
        suffix: "注射液",
        dosage_form: "注射剂",
        unit: Unit::Ampoule,
        packages: &[5, 10],
        price: (5_000, 300_000),
    },
    Form {
        prefix: "注射用",
        suffix: "",
        dosage_form: "注射用无菌粉末",
        unit: Unit::Vial,
        packages: &[1, 10],
        price: (20_000, 800_000),
    },
    Form {
        prefix: "",
        suffix: "缓释片",
        dosage_form: "缓释片",
        unit: Unit::Tablet,
        packages: &[14, 28, 30],
        price: (2_000, 40_000),
    },
    Form {
        prefix: "",
        suffix: "分散片",
        dosage_form: "分散片",
        unit: Unit::Tablet,
        packages: &[12, 24],
        price: (1_000, 20_000),
    },
    Form {
        prefix: "",
        suffix: "颗粒",
        dosage_form: "颗粒剂",
        unit: Unit::Gram,
        packages: &[10, 20, 30],
        price: (2_000, 20_000),
    },
    Form {
        prefix: "",
        suffix: "氯化钠注射液",
        dosage_form: "大容量注射剂",
        unit: Unit::Bag,
        packages: &[1],
        price: (20_000, 150_000),
    },
];

pub(super) const STRENGTHS: &[&str] = &[
    "5mg",
    "10mg",
    "20mg",
    "25mg",
    "50mg",
    "0.1g",
    "0.125g",
    "0.25g",
    "0.5g",
    "1g",
    "2ml:10mg",
    "100ml:0.2g",
];

pub(super) const MAKER_SUFFIXES: &[&str] = &[
    "药业有限公司",
    "制药有限公司",
    "生物制药有限公司",
    "医药股份有限公司",
];
pub(super) const DISTRIBUTOR_SUFFIXES: &[&str] = &["医药物流有限公司", "医药有限公司"];

/// Lines per order and their weights (mean 4).
pub(super) const LINE_WEIGHTS: &[(usize, u32)] =
    &[(1, 5), (2, 10), (3, 20), (4, 30), (5, 20), (6, 10), (7, 5)];
