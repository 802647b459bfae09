"""The seed catalog of incident classes: GB/T 30428.2 events and components plus the grid-
governance classes, arranged as the 14 major classes of 徐霞客镇. Time limits follow the
examples in DOMAIN.md §4 (≈ local practice: administrators edit them)."""

WH, WD, H = "working_hours", "working_days", "clock_hours"

# (major code, major name, kind, [(code, name, department code, tier, handle limit, unit, keywords,
#   filing standard, closing standard)])
CATALOG = [
    ("01", "市容环境", "event", [
        ("0101", "暴露垃圾", "JY-CG", "town", 4, WH, "垃圾,垃圾堆,乱倒,垃圾桶满", "公共区域可见成堆垃圾", "垃圾清运干净，无残留"),
        ("0102", "道路不洁", "JY-CG", "town", 2, WH, "路面脏,泥土,撒漏,污渍", "车行道、人行道有明显污物", "路面清扫干净"),
        ("0103", "乱张贴乱涂写", "JY-CG", "town", 2, WD, "小广告,牛皮癣,涂鸦,张贴", "墙面、设施上有非法小广告", "清除干净"),
        ("0104", "占道经营", "JY-CG", "town", 4, WH, "占道,摆摊,流动摊贩,出店经营", "占用道路经营", "恢复通行"),
    ]),
    ("02", "违法建设", "governance", [
        ("0201", "违法搭建", "JY-ZR", "town", 4, WH, "违建,搭建,加盖,私建,违章建筑", "未经批准正在或已经搭建", "停工并拆除或依法处理"),
        ("0202", "违法用地", "JY-ZR", "county", 5, WD, "占用耕地,违法用地,非法占地", "未批先用、少批多占", "依法查处"),
    ]),
    ("03", "生态环境", "governance", [
        ("0301", "水体污染", "JY-HB", "county", 3, WD, "河道,水质,排污,黑臭,死鱼", "水体异色、异味或排污口排放", "污染源切断，水质恢复"),
        ("0302", "大气污染", "JY-HB", "town", 1, WD, "焚烧,烟尘,异味,秸秆,扬尘", "露天焚烧、扬尘或异味", "停止污染行为"),
        ("0303", "噪声扰民", "JY-HB", "town", 1, WD, "噪音,噪声,扰民,施工声", "夜间施工或持续噪声", "噪声消除"),
    ]),
    ("04", "安全隐患", "governance", [
        ("0401", "消防安全隐患", "JY-YJ", "town", 1, WD, "消防通道,灭火器,电动车充电,飞线,堵塞", "消防通道堵塞、违规充电等", "隐患消除"),
        ("0402", "燃气泄漏", "JY-YJ", "county", 2, H, "燃气,煤气,漏气,液化气", "闻到燃气味或燃气设施损坏", "泄漏排除，设施修复"),
        ("0403", "生产安全隐患", "JY-YJ", "town", 3, WD, "安全生产,危化品,无防护,脚手架", "企业或工地存在安全隐患", "整改到位"),
        ("0404", "出租房安全隐患", "JY-GA", "town", 3, WD, "出租房,群租,隔断", "出租房存在群租、隔断等隐患", "整改到位"),
    ]),
    ("05", "矛盾纠纷", "governance", [
        ("0501", "邻里纠纷", "", "village", 5, WD, "邻里,纠纷,吵架,矛盾", "邻里间矛盾需调解", "调解成功或转入其他途径"),
        ("0502", "劳资纠纷", "JY-RS", "town", 5, WD, "欠薪,工资,讨薪,劳资", "拖欠工资等劳动争议", "调处完毕"),
        ("0503", "土地山林纠纷", "JY-ZR", "town", 10, WD, "宅基地,土地纠纷,承包地", "土地权属争议", "调处完毕"),
    ]),
    ("06", "社会治安", "governance", [
        ("0601", "治安隐患", "JY-GA", "town", 1, WD, "治安,盗窃,可疑人员,打架", "治安隐患或可疑情况", "处置完毕"),
    ]),
    ("07", "道路交通", "event", [
        ("0701", "道路破损", "JY-JT", "county", 5, WD, "坑洼,路面破损,塌陷,坑", "路面坑洼、塌陷", "修复平整"),
        ("0702", "乱停车", "JY-GA", "town", 2, WH, "乱停,违停,占用车道", "车辆违规停放", "车辆驶离"),
    ]),
    ("08", "公用设施", "component", [
        ("0801", "井盖缺损", "JY-SL", "town", 4, WH, "井盖,窨井,下水道盖", "井盖缺失、破损、移位", "井盖修复或更换"),
        ("0802", "路灯不亮", "JY-CG", "town", 3, WD, "路灯,不亮,灯坏", "路灯不亮或损坏", "恢复照明"),
        ("0803", "消防栓损坏", "JY-YJ", "town", 2, WD, "消防栓,消火栓", "消防栓损坏、漏水", "修复可用"),
    ]),
    ("09", "园林绿化", "component", [
        ("0901", "绿地养护", "JY-CG", "town", 5, WD, "绿化,草坪,枯死,修剪,树木", "绿地缺损、树木倒伏", "养护到位"),
    ]),
    ("10", "水利防汛", "governance", [
        ("1001", "河道堤防", "JY-SL", "county", 3, WD, "河堤,堤防,漂浮物,水草,河面", "河面漂浮物、堤防破损", "清理或修复"),
    ]),
    ("11", "食品药品", "governance", [
        ("1101", "食品安全", "JY-SJ", "town", 3, WD, "食品,过期,无证,餐饮,卫生", "无证经营、过期食品", "依法处理"),
    ]),
    ("12", "民生诉求", "governance", [
        ("1201", "生活困难", "JY-MZ", "town", 5, WD, "困难,救助,低保,生病,无人照料", "群众生活困难需帮扶", "落实帮扶"),
        ("1202", "供水供电", "", "town", 1, WD, "停水,停电,水压,电压", "停水停电、水压不足", "恢复正常"),
    ]),
    ("13", "宣传广告", "event", [
        ("1301", "违规广告牌", "JY-CG", "town", 5, WD, "广告牌,招牌,横幅", "未经审批或破损的广告设施", "拆除或整改"),
    ]),
    ("14", "其他", "event", [
        ("1401", "其他事件", "", "town", 5, WD, "", "其他需要政府处置的问题", "处置完毕"),
    ]),
]


# What the public Open311 feed may publish per subclass (the rest are public with exact positions).
# Disputes, public security, hardship and rental-house checks concern identifiable households and are
# never published; matters at people's homes are published with positions rounded to ~100 m.
PRIVATE = {"0501", "0502", "0503", "0601", "0404", "1201"}
COARSE = {"0201", "0202", "0303", "0401", "0402", "1101", "1202", "1401"}


def open_data_for(code: str) -> str:
    return "private" if code in PRIVATE else "coarse" if code in COARSE else "public"


def seed_classes() -> int:
    """Create missing classes (idempotent); link departments by code where they exist."""
    from shanzhi.accounts.models import Department

    from .models import IncidentClass

    depts = dict(Department.objects.values_list("code", "id"))
    created = 0
    for major_code, major_name, kind, subs in CATALOG:
        major, new = IncidentClass.objects.get_or_create(code=major_code, defaults={"name": major_name, "kind": kind})
        created += new
        for code, name, dept, tier, limit, unit, keywords, filing, closing in subs:
            _obj, new = IncidentClass.objects.get_or_create(code=code, defaults={
                "name": name, "kind": kind, "parent": major, "department_id": depts.get(dept), "tier": tier,
                "handle_limit": limit, "handle_unit": unit, "keywords": keywords, "filing_standard": filing,
                "closing_standard": closing, "open_data": open_data_for(code),
                # Urgent classes (clock hours) are registered and dispatched within the hour.
                "register_limit": 0.5 if unit == H else 1, "register_unit": H if unit == H else WH,
                "dispatch_limit": 0.5 if unit == H else 1, "dispatch_unit": H if unit == H else WH,
            })
            created += new
    return created


# Daily-patrol items (日常巡查事项) every grid of a town checks; Jiangyin lists 154 county-wide.
PATROL_ITEMS = [
    ("XC01", "沿街垃圾是否及时清运", "市容环境", "0101"), ("XC02", "有无占道经营、出店经营", "市容环境", "0104"),
    ("XC03", "有无乱张贴乱涂写", "市容环境", "0103"), ("XC04", "有无新增违法搭建", "违法建设", "0201"),
    ("XC05", "有无违法占用耕地", "违法建设", "0202"), ("XC06", "河道有无漂浮物、排污口", "生态环境", "0301"),
    ("XC07", "有无露天焚烧", "生态环境", "0302"), ("XC08", "消防通道是否畅通", "安全隐患", "0401"),
    ("XC09", "有无电动车违规充电、飞线", "安全隐患", "0401"), ("XC10", "出租房有无群租隔断", "安全隐患", "0404"),
    ("XC11", "企业安全生产防护", "安全隐患", "0403"), ("XC12", "井盖、路灯等设施是否完好", "公用设施", "0801"),
    ("XC13", "消防栓是否完好", "公用设施", "0803"), ("XC14", "道路有无坑洼塌陷", "道路交通", "0701"),
    ("XC15", "有无车辆乱停占道", "道路交通", "0702"), ("XC16", "独居老人、困难群众走访", "民生诉求", "1201"),
    ("XC17", "矛盾纠纷排查", "矛盾纠纷", "0501"), ("XC18", "食品经营户有无无证经营", "食品药品", "1101"),
    ("XC19", "广告牌、招牌是否牢固", "宣传广告", "1301"), ("XC20", "治安隐患、可疑情况", "社会治安", "0601"),
]


def seed_patrol_items() -> int:
    from shanzhi.geo.models import Region

    from .models import IncidentClass, PatrolItem

    classes = dict(IncidentClass.objects.values_list("code", "id"))
    rows = [PatrolItem(town=town, code=code, name=name, category=cat, subclass_id=classes.get(sub))
            for town in Region.objects.filter(level=Region.Level.TOWN)
            for code, name, cat, sub in PATROL_ITEMS
            if not PatrolItem.objects.filter(town=town, code=code).exists()]
    PatrolItem.objects.bulk_create(rows)
    return len(rows)
