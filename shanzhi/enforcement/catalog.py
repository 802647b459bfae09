"""The demo's power catalog: the 750 penalty powers of 12 county departments that 徐霞客镇's
comprehensive enforcement bureau exercises (the sources: 647–750 items of 12–13 departments), and
the powers that stay with the county's departments (专业执法).

Three dozen items are written out with their real laws, articles and fine ranges; the rest are
generated from realistic templates of each department's field (the law it enforces, the kind of
violation, a range of the size that law sets). Every item gets discretion bands derived from its
legal range the way Jiangsu's 裁量基准 split it — minor, general, serious — and, where the law
allows, a first-violation-no-penalty band (首违不罚, 《行政处罚法》第三十三条).
"""

from __future__ import annotations

import random
from decimal import Decimal

W, C, F, G, P, S, D, R, ST, CL = ("warning", "criticism", "fine", "gains", "property", "suspend", "downgrade", "revoke",
                                  "stop", "close")
FIRST = "初次违法且危害后果轻微并及时改正的，可以不予行政处罚（《中华人民共和国行政处罚法》第三十三条第一款）"

DOMAIN_OF = {"JY-CG": "city", "JY-SJ": "market", "JY-HB": "ecology", "JY-ZR": "land", "JY-ZJ": "building",
             "JY-JT": "transport", "JY-SL": "water", "JY-YJ": "safety", "JY-WJ": "health", "JY-MZ": "civil",
             "JY-RS": "labour", "JY-GA": "police"}

# name (violation), department, law, article, clause, penalty kinds, (basis, min, max) or None,
# simple procedure possible, first violation may go unpunished, delegated to the town
FULL = [
    ("擅自在街道两侧和公共场地堆放物料，搭建建筑物、构筑物或者其他设施，影响市容", "JY-CG", "《城市市容和环境卫生管理条例》", "第三十六条第（二）项",
     "由城市人民政府市容环境卫生行政主管部门或者其委托的单位责令其停止违法行为，限期清理、拆除或者采取其他补救措施，并可处以罚款。",
     [F], ("amount", 500, 5000), False, True, True),
    ("未经同意擅自设置大型户外广告，影响市容", "JY-CG", "《城市市容和环境卫生管理条例》", "第三十六条第（一）项",
     "责令其停止违法行为，限期清理、拆除或者采取其他补救措施，并可处以罚款。", [F], ("amount", 1000, 10000), False, True, True),
    ("随意倾倒、抛撒或者堆放建筑垃圾（单位）", "JY-CG", "《城市建筑垃圾管理规定》", "第二十六条",
     "责令限期改正，给予警告，并对单位处5000元以上5万元以下罚款，对个人处200元以下罚款。", [W, F], ("amount", 5000, 50000), False, False, True),
    ("随意倾倒、抛撒或者堆放建筑垃圾（个人）", "JY-CG", "《城市建筑垃圾管理规定》", "第二十六条",
     "责令限期改正，给予警告，并对单位处5000元以上5万元以下罚款，对个人处200元以下罚款。", [W, F], ("amount", 0, 200), True, True, True),
    ("处置建筑垃圾的单位在运输建筑垃圾过程中沿途丢弃、遗撒建筑垃圾", "JY-CG", "《城市建筑垃圾管理规定》", "第二十三条",
     "责令限期改正，给予警告，处5000元以上5万元以下罚款。", [W, F], ("amount", 5000, 50000), False, False, True),
    ("未按照批准的位置、面积、期限占用或者挖掘城市道路", "JY-CG", "《城市道路管理条例》", "第四十二条第（三）项",
     "由市政工程行政主管部门或者其他有关部门责令限期改正，可以处以2万元以下的罚款；造成损失的，应当依法承担赔偿责任。",
     [F], ("amount", 0, 20000), False, True, True),
    ("未取得建设工程规划许可证进行建设，尚可采取改正措施消除对规划实施的影响", "JY-CG", "《中华人民共和国城乡规划法》", "第六十四条",
     "由县级以上地方人民政府城乡规划主管部门责令停止建设；尚可采取改正措施消除对规划实施的影响的，限期改正，处建设工程造价百分之五以上百分之十以下的罚款。",
     [F], ("cost_pct", 5, 10), False, False, True),
    ("未取得建设工程规划许可证进行建设，无法采取改正措施消除影响", "JY-CG", "《中华人民共和国城乡规划法》", "第六十四条",
     "无法采取改正措施消除影响的，限期拆除，不能拆除的，没收实物或者违法收入，可以并处建设工程造价百分之十以下的罚款。",
     [P, G, F], ("cost_pct", 0, 10), False, False, True),
    ("在乡、村庄规划区内未依法取得乡村建设规划许可证或者未按照乡村建设规划许可证的规定进行建设", "JY-CG", "《中华人民共和国城乡规划法》",
     "第六十五条", "由乡、镇人民政府责令停止建设、限期改正；逾期不改正的，可以拆除。", [], None, False, False, True),
    ("排放油烟的餐饮服务业经营者未安装油烟净化设施、不正常使用油烟净化设施或者未采取其他油烟净化措施，超过排放标准排放油烟", "JY-CG",
     "《中华人民共和国大气污染防治法》", "第一百一十八条第一款",
     "由县级以上地方人民政府确定的监督管理部门责令改正，处五千元以上五万元以下的罚款；拒不改正的，责令停业整治。",
     [F, ST], ("amount", 5000, 50000), False, True, True),
    ("露天焚烧秸秆、落叶等产生烟尘污染的物质", "JY-CG", "《中华人民共和国大气污染防治法》", "第一百一十九条第一款",
     "由县级以上地方人民政府确定的监督管理部门责令改正，并可以处五百元以上二千元以下的罚款。", [F], ("amount", 500, 2000), False, True, True),
    ("在人口集中地区和其他依法需要特殊保护的区域内焚烧沥青、油毡、橡胶、塑料、皮革、垃圾以及其他产生有毒有害烟尘和恶臭气体的物质", "JY-CG",
     "《中华人民共和国大气污染防治法》", "第一百一十九条第二款",
     "由县级人民政府确定的监督管理部门责令改正，对单位处一万元以上十万元以下的罚款，对个人处五百元以上二千元以下的罚款。",
     [F], ("amount", 10000, 100000), False, False, True),
    ("施工工地未设置硬质围挡，或者未采取覆盖、分段作业、择时施工、洒水抑尘、冲洗地面和车辆等有效防尘降尘措施", "JY-CG",
     "《中华人民共和国大气污染防治法》", "第一百一十五条第一款第（一）项",
     "由县级以上人民政府住房城乡建设等主管部门按照职责责令改正，处一万元以上十万元以下的罚款；拒不改正的，责令停工整治。",
     [F, ST], ("amount", 10000, 100000), False, True, True),
    ("未按照规定取得证明，在噪声敏感建筑物集中区域夜间进行产生噪声的建筑施工作业", "JY-CG", "《中华人民共和国噪声污染防治法》",
     "第七十七条第一款第（二）项", "由工程所在地人民政府指定的部门责令改正，处一万元以上十万元以下的罚款；拒不改正的，可以责令暂停施工。",
     [F, ST], ("amount", 10000, 100000), False, True, True),
    ("未取得食品生产经营许可从事食品生产经营活动", "JY-SJ", "《中华人民共和国食品安全法》", "第一百二十二条第一款",
     "没收违法所得和违法生产经营的食品以及用于违法生产经营的工具、设备、原料等物品；违法生产经营的食品货值金额不足一万元的，并处五万元以上十万元以下罚款；货值金额一万元以上的，并处货值金额十倍以上二十倍以下罚款。",
     [G, P, F], ("amount", 50000, 100000), False, False, True),
    ("食品经营者未按规定建立并遵守进货查验记录、出厂检验记录和销售记录制度", "JY-SJ", "《中华人民共和国食品安全法》", "第一百二十六条第一款第（三）项",
     "由县级以上人民政府食品安全监督管理部门责令改正，给予警告；拒不改正的，处五千元以上五万元以下罚款；情节严重的，责令停产停业，直至吊销许可证。",
     [W, F, ST, R], ("amount", 5000, 50000), False, True, True),
    ("未经设立登记从事经营活动，拒不改正", "JY-SJ", "《中华人民共和国市场主体登记管理条例》", "第四十三条",
     "由登记机关责令改正，没收违法所得；拒不改正的，处1万元以上10万元以下的罚款；情节严重的，依法责令关闭停业，并处10万元以上50万元以下的罚款。",
     [G, F, CL], ("amount", 10000, 100000), False, True, True),
    ("销售不符合保障人体健康和人身、财产安全的国家标准、行业标准的产品", "JY-SJ", "《中华人民共和国产品质量法》", "第四十九条",
     "责令停止生产、销售，没收违法生产、销售的产品，并处违法生产、销售产品（包括已售出和未售出的产品，下同）货值金额等值以上三倍以下的罚款；有违法所得的，并处没收违法所得；情节严重的，吊销营业执照。",
     [P, F, G, R], ("value_x", 1, 3), False, False, True),
    ("经营者不按照规定明码标价", "JY-SJ", "《中华人民共和国价格法》", "第四十二条",
     "经营者违反明码标价规定的，责令改正，没收违法所得，可以并处五千元以下的罚款。", [G, F], ("amount", 0, 5000), True, True, True),
    ("超过水污染物排放标准或者超过重点水污染物排放总量控制指标排放水污染物", "JY-HB", "《中华人民共和国水污染防治法》", "第八十三条第（二）项",
     "由县级以上人民政府环境保护主管部门责令改正或者责令限制生产、停产整治，并处十万元以上一百万元以下的罚款；情节严重的，报经有批准权的人民政府批准，责令停业、关闭。",
     [F, ST, CL], ("amount", 100000, 1000000), False, False, False),
    ("建设单位未依法报批建设项目环境影响报告书、报告表，擅自开工建设", "JY-HB", "《中华人民共和国环境影响评价法》", "第三十一条第一款",
     "由县级以上生态环境主管部门责令停止建设，根据违法情节和危害后果，处建设项目总投资额百分之一以上百分之五以下的罚款，并可以责令恢复原状。",
     [F], ("invest_pct", 1, 5), False, False, False),
    ("未经批准或者采取欺骗手段骗取批准，非法占用土地", "JY-ZR", "《中华人民共和国土地管理法》、《中华人民共和国土地管理法实施条例》",
     "第七十七条第一款；实施条例第五十七条", "责令退还非法占用的土地……可以并处罚款；罚款额为非法占用土地每平方米100元以上1000元以下。",
     [P, F], ("per_m2", 100, 1000), False, False, False),
    ("农村村民未经批准或者采取欺骗手段骗取批准，非法占用土地建住宅", "JY-ZR", "《中华人民共和国土地管理法》", "第七十八条第一款",
     "由县级以上人民政府农业农村主管部门责令退还非法占用的土地，限期拆除在非法占用的土地上新建的房屋。", [], None, False, False, True),
    ("建设单位未取得施工许可证擅自施工", "JY-ZJ", "《建筑工程施工许可管理办法》", "第十二条",
     "由有权颁发施工许可证的机关责令停止施工，限期改正，对建设单位处工程合同价款1%以上2%以下罚款；对施工单位处3万元以下罚款。",
     [F], ("contract_pct", 1, 2), False, False, True),
    ("未取得燃气经营许可证从事燃气经营活动", "JY-ZJ", "《城镇燃气管理条例》", "第四十五条第一款",
     "由燃气管理部门责令停止违法行为，处5万元以上50万元以下罚款；有违法所得的，没收违法所得；构成犯罪的，依法追究刑事责任。",
     [F, G], ("amount", 50000, 500000), False, False, True),
    ("未取得道路运输经营许可，擅自从事道路普通货物运输经营", "JY-JT", "《中华人民共和国道路运输条例》", "第六十三条",
     "由县级以上地方人民政府交通运输主管部门责令停止经营，并处罚款；有违法所得的，没收违法所得，处违法所得2倍以上10倍以下的罚款；没有违法所得或者违法所得不足2万元的，处1万元以上10万元以下的罚款。",
     [G, F], ("amount", 10000, 100000), False, False, True),
    ("在河道、湖泊管理范围内建设妨碍行洪的建筑物、构筑物", "JY-SL", "《中华人民共和国防洪法》", "第五十五条第（一）项",
     "责令停止违法行为，排除阻碍或者采取其他补救措施，可以处五万元以下的罚款。", [F], ("amount", 0, 50000), False, True, True),
    ("未经批准擅自取水", "JY-SL", "《中华人民共和国水法》", "第六十九条第（一）项",
     "由县级以上人民政府水行政主管部门或者流域管理机构依据职权，责令停止违法行为，限期采取补救措施，处二万元以上十万元以下的罚款；情节严重的，吊销其取水许可证。",
     [F, R], ("amount", 20000, 100000), False, False, True),
    ("生产经营单位未按照规定对从业人员进行安全生产教育和培训", "JY-YJ", "《中华人民共和国安全生产法》", "第九十七条第（三）项",
     "责令限期改正，处十万元以下的罚款；逾期未改正的，责令停产停业整顿，并处十万元以上二十万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处二万元以上五万元以下的罚款。",
     [F, ST], ("amount", 0, 100000), False, True, True),
    ("未在有较大危险因素的生产经营场所和有关设施、设备上设置明显的安全警示标志", "JY-YJ", "《中华人民共和国安全生产法》", "第九十九条第（一）项",
     "责令限期改正，处五万元以下的罚款；逾期未改正的，处五万元以上二十万元以下的罚款。", [F, ST], ("amount", 0, 50000), False, True, True),
    ("公共场所经营者未依法取得公共场所卫生许可证擅自营业", "JY-WJ", "《公共场所卫生管理条例实施细则》", "第三十五条第一款",
     "由县级以上地方人民政府卫生计生行政部门责令限期改正，给予警告，并处以五百元以上五千元以下罚款。", [W, F], ("amount", 500, 5000), False, True, True),
    ("制造、销售不符合国家技术标准的殡葬设备", "JY-MZ", "《殡葬管理条例》", "第二十二条第一款",
     "由民政部门会同工商行政管理部门责令停止制造、销售，可以并处制造、销售金额1倍以上3倍以下的罚款。", [F], ("sales_x", 1, 3), False, False, True),
    ("用人单位使用童工", "JY-RS", "《禁止使用童工规定》", "第六条第一款",
     "由劳动保障行政部门按照每使用一名童工每月处5000元罚款的标准给予处罚。", [F], ("per_person_month", 5000, 5000), False, False, True),
    ("无理抗拒、阻挠劳动保障行政部门实施劳动保障监察", "JY-RS", "《劳动保障监察条例》", "第三十条第一款第（一）项",
     "由劳动保障行政部门责令改正；对有第（一）项、第（二）项或者第（三）项规定的行为的，处2000元以上2万元以下的罚款。",
     [F], ("amount", 2000, 20000), False, False, True),
    ("行人、乘车人、非机动车驾驶人违反道路交通安全法律、法规关于道路通行规定", "JY-GA", "《中华人民共和国道路交通安全法》", "第八十九条",
     "处警告或者五元以上五十元以下罚款；非机动车驾驶人拒绝接受罚款处罚的，可以扣留其非机动车。", [W, F], ("amount", 5, 50), True, True, False),
    ("单位占用、堵塞、封闭疏散通道、安全出口或者有其他妨碍安全疏散行为", "JY-GA", "《中华人民共和国消防法》", "第六十条第一款第（三）项",
     "责令改正，处五千元以上五万元以下罚款。", [F], ("amount", 5000, 50000), False, True, False),
]

# Templates for the generated tail: department → (law, article numbers, violations, ranges, kinds).
TEMPLATES = {
    "JY-CG": ("《江苏省城市市容和环境卫生管理条例》", range(40, 62),
              ["在主要街道临街建筑物的阳台外、窗外、屋顶吊挂或者堆放有碍市容的物品", "擅自在建筑物、构筑物上涂写、刻画、张贴",
               "擅自设置户外广告设施", "店招标牌不符合设置规范", "户外广告设施破损未及时维修", "跨门营业、占道经营",
               "运输液体、散装货物未密封、包扎、覆盖", "在城市道路上洗车", "饲养家禽家畜影响市容和环境卫生",
               "随地吐痰、便溺，乱扔果皮、纸屑、烟头", "擅自占用城市绿地", "损毁城市绿化设施", "擅自砍伐城市树木",
               "在公共场所擅自设置摊点", "夜间经营烧烤占用人行道", "未按规定分类投放生活垃圾", "餐厨废弃物未交有资质单位收运",
               "擅自拆除环境卫生设施", "施工现场泥浆外溢污染道路", "擅自在城市道路上设置障碍物"],
              [(50, 200), (200, 2000), (500, 5000), (1000, 10000), (2000, 20000), (5000, 50000)], [W, F]),
    "JY-ZJ": ("《建设工程质量管理条例》", range(54, 75),
              ["施工单位未对建筑材料进行检验", "建设单位明示或者暗示施工单位使用不合格的建筑材料", "未按照国家规定办理工程质量监督手续",
               "建设工程竣工验收后未按规定报送备案", "施工单位不履行保修义务", "擅自变动房屋建筑主体和承重结构",
               "物业服务企业擅自改变物业管理用房用途", "擅自改变住宅外立面", "房地产经纪机构未按规定公示信息",
               "预售商品房未按规定使用预售款监管账户", "建筑起重机械未经验收即投入使用", "未按规定设置工地实名制管理"],
              [(10000, 30000), (20000, 100000), (50000, 200000), (100000, 300000)], [F, ST, D]),
    "JY-ZR": ("《中华人民共和国矿产资源法》、《江苏省土地管理条例》", range(60, 80),
              ["擅自改变土地用途", "临时用地期满不恢复种植条件", "非法转让、出租集体土地", "破坏耕地种植条件", "擅自开采矿产资源",
               "拒不履行土地复垦义务"], [(1000, 10000), (5000, 50000), (10000, 100000)], [F, P, G]),
    "JY-SJ": ("《中华人民共和国食品安全法》、《江苏省食品小作坊和食品摊贩管理条例》", range(120, 140),
              ["食品摊贩未办理登记卡从事经营", "经营超过保质期的食品", "食品从业人员未取得健康证明", "未按规定贮存食品",
               "餐具饮具未经消毒", "销售无标签的预包装食品", "计量器具未经检定", "虚假宣传", "未建立特种设备安全技术档案",
               "经营掺杂掺假商品", "网络餐饮服务未公示许可信息", "药品零售企业未凭处方销售处方药"],
              [(500, 5000), (2000, 20000), (5000, 50000), (10000, 100000)], [W, F, G, P]),
    "JY-HB": ("《中华人民共和国固体废物污染环境防治法》、《中华人民共和国大气污染防治法》", range(100, 125),
              ["未按规定贮存工业固体废物", "露天喷涂作业", "畜禽养殖场未建设粪污处理设施", "擅自倾倒危险废物", "未按规定公开排污信息",
               "未安装挥发性有机物处理设施"], [(10000, 100000), (20000, 200000), (50000, 500000)], [F, ST]),
    "JY-JT": ("《中华人民共和国公路法》、《江苏省公路条例》", range(70, 90),
              ["擅自占用、挖掘公路", "在公路用地范围内设置非公路标志", "超限运输车辆擅自行驶公路", "在公路两侧建筑控制区内修建建筑物",
               "擅自在公路上设置平面交叉道口", "出租汽车未按规定使用计价器"], [(500, 5000), (2000, 20000), (5000, 30000)], [F]),
    "JY-SL": ("《中华人民共和国河道管理条例》、《江苏省河道管理条例》", range(40, 60),
              ["在河道管理范围内弃置、堆放阻碍行洪的物体", "擅自在河道管理范围内采砂", "围垦河道", "在堤防上种植农作物",
               "擅自填堵农村河塘"], [(1000, 10000), (5000, 50000)], [F]),
    "JY-YJ": ("《中华人民共和国安全生产法》、《江苏省安全生产条例》", range(94, 112),
              ["未建立安全生产责任制", "未按规定进行隐患排查治理", "特种作业人员未持证上岗", "未按规定配备劳动防护用品",
               "危险化学品未按规定储存", "有限空间作业未审批", "未制定生产安全事故应急救援预案"],
              [(10000, 50000), (20000, 100000), (50000, 200000)], [F, ST]),
    "JY-WJ": ("《中华人民共和国传染病防治法》、《江苏省爱国卫生条例》", range(65, 80),
              ["公共场所未按规定进行卫生检测", "集中空调通风系统未按规定清洗", "饮用水供水单位未取得卫生许可", "医疗废物未分类收集",
               "生活饮用水水质不符合标准", "在禁止吸烟场所吸烟"], [(50, 200), (500, 5000), (1000, 20000)], [W, F]),
    "JY-MZ": ("《殡葬管理条例》、《江苏省殡葬管理办法》", range(18, 30),
              ["在公墓和农村公益性墓地以外的区域建造坟墓", "在丧事活动中妨害公共秩序", "擅自经营殡葬服务"],
              [(1000, 5000), (2000, 20000)], [W, F, G]),
    "JY-RS": ("《劳动保障监察条例》、《江苏省工资支付条例》", range(23, 33),
              ["未按规定建立职工名册", "安排女职工从事禁忌劳动", "未按规定支付加班工资逾期不改", "违反规定延长劳动者工作时间",
               "未按规定办理社会保险登记"], [(2000, 20000), (1000, 5000)], [W, F]),
    "JY-GA": ("《中华人民共和国治安管理处罚法》、《江苏省电动自行车管理条例》", range(23, 45),
              ["电动自行车在室内违规停放充电", "违规改装电动自行车", "制造噪声干扰他人正常生活", "在公共场所寻衅滋事",
               "饲养动物干扰他人正常生活"], [(50, 200), (200, 500), (500, 1000)], [W, F]),
}
QUALIFIERS = ["", "，逾期不改正", "，情节严重", "（单位）", "（个人）", "，造成损失", "，拒不改正", "，经责令限期改正逾期未改正",
              "，影响市容环境", "，造成安全隐患", "，一年内再次违反", "，在重点区域", "，在主要道路两侧", "，数量较大"]
# How many of each department's powers the showcase town exercises (750 in all), and how many
# more stay with the county's department.
DELEGATED = {"JY-CG": 260, "JY-ZJ": 90, "JY-ZR": 50, "JY-SJ": 110, "JY-HB": 40, "JY-JT": 35, "JY-SL": 30,
             "JY-YJ": 45, "JY-WJ": 40, "JY-MZ": 15, "JY-RS": 20, "JY-GA": 15}
RETAINED = {"JY-HB": 30, "JY-GA": 25, "JY-SJ": 20, "JY-YJ": 15, "JY-ZR": 15, "JY-JT": 15}
CN_NUM = "零一二三四五六七八九"

GENERAL_FACTORS = [
    ("mitigating", "主动消除或者减轻违法行为危害后果的", "《中华人民共和国行政处罚法》第三十二条第（一）项"),
    ("mitigating", "受他人胁迫或者诱骗实施违法行为的", "《中华人民共和国行政处罚法》第三十二条第（二）项"),
    ("mitigating", "主动供述行政机关尚未掌握的违法行为的", "《中华人民共和国行政处罚法》第三十二条第（三）项"),
    ("mitigating", "配合行政机关查处违法行为有立功表现的", "《中华人民共和国行政处罚法》第三十二条第（四）项"),
    ("exempting", "违法行为轻微并及时改正，没有造成危害后果的", "《中华人民共和国行政处罚法》第三十三条第一款"),
    ("exempting", "当事人有证据足以证明没有主观过错的", "《中华人民共和国行政处罚法》第三十三条第二款"),
    ("exempting", "不满十四周岁的未成年人有违法行为的", "《中华人民共和国行政处罚法》第三十条"),
    ("aggravating", "在突发事件应对期间实施违法行为的", "《中华人民共和国行政处罚法》第四十九条"),
    ("aggravating", "一年内因同一种违法行为受过行政处罚的", "江苏省行政处罚裁量基准通用规则"),
    ("aggravating", "违法行为造成严重后果或者恶劣社会影响的", "江苏省行政处罚裁量基准通用规则"),
    ("aggravating", "拒不配合调查、隐匿或者销毁证据的", "江苏省行政处罚裁量基准通用规则"),
]


def _article(n: int) -> str:
    def cn(x):
        if x < 10:
            return CN_NUM[x]
        if x < 20:
            return "十" + (CN_NUM[x % 10] if x % 10 else "")
        if x < 100:
            return CN_NUM[x // 10] + "十" + (CN_NUM[x % 10] if x % 10 else "")
        rest = x % 100
        tail = "" if rest == 0 else ("零" + CN_NUM[rest] if rest < 10 else ("一" + cn(rest) if rest < 20 else cn(rest)))
        return CN_NUM[x // 100] + "百" + tail
    return f"第{cn(n)}条"


def _nice(value: float) -> Decimal:
    """Band edges as an officer would write them: 50, 200, 1,500, 12,000 …"""
    if value <= 0:
        return Decimal(0)
    step = 10 if value < 1000 else 100 if value < 10000 else 1000 if value < 100000 else 10000
    return Decimal(int(round(value / step)) * step)


def bands_for(spec, *, first_exempt: bool) -> list[dict]:
    """Jiangsu's split of a legal range: minor up to 30 % of it, general 30–70 %, serious the rest."""
    rows = []
    if first_exempt:
        rows.append({"level": "exempt", "circumstances": "初次违法，危害后果轻微并及时改正", "basis": "amount",
                     "fine_min": None, "fine_max": None, "other": "不予行政处罚，进行教育"})
    if spec is None:
        rows.append({"level": "general", "circumstances": "违法事实清楚", "basis": "amount", "fine_min": None,
                     "fine_max": None, "other": "责令停止违法行为、限期改正；逾期不改正的，依法拆除或者采取其他措施"})
        return rows
    basis, lo, hi = spec
    lo, hi = Decimal(lo), Decimal(hi)
    if lo == hi:  # a fixed rate (e.g. ¥5,000 per child per month)
        rows.append({"level": "general", "circumstances": "违法事实清楚", "basis": basis, "fine_min": lo, "fine_max": hi,
                     "other": ""})
        return rows
    span = hi - lo
    exact = basis != "amount"
    cut1 = lo + span * Decimal("0.3") if exact else _nice(float(lo + span * Decimal("0.3")))
    cut2 = lo + span * Decimal("0.7") if exact else _nice(float(lo + span * Decimal("0.7")))
    rows += [
        {"level": "minor", "circumstances": "违法行为轻微，持续时间短，危害后果较小，能够主动改正", "basis": basis,
         "fine_min": lo, "fine_max": cut1.quantize(Decimal("0.01")), "other": ""},
        {"level": "general", "circumstances": "违法事实清楚，有一定危害后果，经责令后改正", "basis": basis,
         "fine_min": cut1.quantize(Decimal("0.01")), "fine_max": cut2.quantize(Decimal("0.01")), "other": ""},
        {"level": "serious", "circumstances": "违法行为持续时间长或者多次违法，危害后果较重，或者拒不改正", "basis": basis,
         "fine_min": cut2.quantize(Decimal("0.01")), "fine_max": hi, "other": "情节严重的，可以依法并处其他处罚"},
    ]
    return rows


def item_rows(seed: int = 8) -> list[dict]:
    """Every item of the demo catalog as plain data (the seed and the tests read the same rows)."""
    rng = random.Random(seed)
    rows, per_dept = [], {}

    def add(dept, **row):
        per_dept[dept] = per_dept.get(dept, 0) + 1
        rows.append({"department": dept, "code": f"320281-{dept[3:]}-XZCF-{per_dept[dept]:04d}", **row})

    for (violation, dept, law, article, clause, kinds, spec, simple, first, delegated) in FULL:
        add(dept, name=f"对{violation}的处罚", violation=violation, law=law, article=article, legal_basis=clause,
            penalty_types=kinds, spec=spec, simple=simple, first=first, delegated=delegated, written_out=True)
    for dept in DOMAIN_OF:
        law, articles, violations, ranges, kinds = TEMPLATES[dept]
        have_delegated = sum(1 for r in rows if r["department"] == dept and r["delegated"])
        have_retained = sum(1 for r in rows if r["department"] == dept and not r["delegated"])
        plan = [True] * max(0, DELEGATED[dept] - have_delegated) + [False] * max(0, RETAINED.get(dept, 0) - have_retained)
        used = {r["violation"] for r in rows if r["department"] == dept}
        combos = [v + q for v in violations for q in QUALIFIERS if v + q not in used]
        rng.shuffle(combos)
        for n, delegated in enumerate(plan):
            violation = combos[n] if n < len(combos) else f"{rng.choice(violations)}（第{n + 1}类情形）"
            article = _article(rng.choice(list(articles)))
            lo, hi = rng.choice(ranges)
            simple = hi <= 3000 and rng.random() < 0.5
            add(dept, name=f"对{violation}的处罚", violation=violation, law=law.split("、")[rng.randrange(len(law.split("、")))],
                article=article, legal_basis=f"{violation}的，责令改正，处{lo}元以上{hi}元以下的罚款。",
                penalty_types=kinds, spec=("amount", lo, hi), simple=simple, first=rng.random() < 0.4,
                delegated=delegated, written_out=False)
    return rows


def seed_powers(showcase_town, other_towns=()) -> int:
    """Write the catalog: the showcase town exercises every delegated item, the other towns the
    first 400 of them (towns received 567–750 in the sources)."""
    from django.db import transaction

    from shanzhi.accounts.models import Department

    from .models import DiscretionBand, Factor, PenaltyItem

    departments = {d.code: d for d in Department.objects.filter(code__in=DOMAIN_OF)}
    rows = item_rows()
    with transaction.atomic():
        items = PenaltyItem.objects.bulk_create([
            PenaltyItem(code=r["code"], name=r["name"][:200], department=departments[r["department"]],
                        domain=DOMAIN_OF[r["department"]], law=r["law"], article=r["article"], legal_basis=r["legal_basis"],
                        violation=r["violation"], penalty_types=r["penalty_types"], simple_procedure=r["simple"],
                        first_violation_exempt=FIRST if r["first"] else "", written_out=r["written_out"])
            for r in rows])
        bands = []
        for item, r in zip(items, rows, strict=True):
            for order, b in enumerate(bands_for(r["spec"], first_exempt=r["first"]), start=1):
                bands.append(DiscretionBand(item=item, order=order, **b))
        DiscretionBand.objects.bulk_create(bands, batch_size=2000)
        Factor.objects.bulk_create([Factor(kind=k, text=t, basis=b) for k, t, b in GENERAL_FACTORS])
        through = PenaltyItem.towns.through
        delegated = [i for i, r in zip(items, rows, strict=True) if r["delegated"]]
        links = [through(penaltyitem_id=i.pk, region_id=showcase_town.pk) for i in delegated]
        for town in other_towns:
            links += [through(penaltyitem_id=i.pk, region_id=town.pk) for i in delegated[:400]]
        through.objects.bulk_create(links, batch_size=5000)
    return len(items)
