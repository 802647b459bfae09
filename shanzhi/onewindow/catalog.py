"""The demo's service item catalog: 228 handling items for the towns' service centers, as
徐霞客镇 standardised them (DOMAIN.md §2). Two dozen are written out in full with their real
legal bases, materials and review steps; the rest are generated from realistic templates of the
county's departments (names, types, limits and materials of the kind each department handles).

Department codes: JY-* are the county's departments; "@ZF", "@SH", "@JS", "@AJ" are the town's own
offices (综合行政执法局, 社会事业局, 建设管理局, 安全生产监督管理局) for items delegated to towns.
"""

from __future__ import annotations

TOTAL = 228
ALL_CHANNELS = ["window", "online", "mobile", "agent"]
ID_CARD = ("申请人身份证", True, "ZZ-SFZ")
BUSINESS_LICENCE = ("营业执照", True, "ZZ-YYZZ")

# name, item type, department, legal basis, statutory days, promised days, immediate, conditions,
# materials [(name, required, certificate type)], review steps [(name, department, group)],
# result, certificate type, certificate years, visits, online depth, variants, keywords
FULL = [
    ("个体工商户登记", "license", "JY-SJ", "《促进个体工商户发展条例》第八条；《中华人民共和国市场主体登记管理条例》第三条、第二十一条",
     15, 1, False, "有经营能力的公民，有固定的经营场所",
     [("个体工商户登记（备案）申请书", True, ""), ID_CARD, ("经营场所使用证明（房屋产权证明或租赁协议）", True, "")],
     [("登记审查", "JY-SJ", 1)], "营业执照", "ZZ-YYZZ", None, 0, 4, ["新办", "变更", "注销"], "开店,个体户,营业执照,小店"),
    ("食品经营许可", "license", "JY-SJ", "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》第十条",
     20, 5, False, "有与经营的食品品种、数量相适应的经营场所和设备设施，有食品安全管理人员和管理制度",
     [("食品经营许可申请书", True, ""), BUSINESS_LICENCE, ("与经营食品相适应的主要设备设施、经营布局、操作流程等文件", True, ""),
      ("食品安全自查、从业人员健康管理、进货查验记录等食品安全管理制度", True, "")],
     [("材料审查", "JY-SJ", 1), ("现场核查", "JY-SJ", 2)], "食品经营许可证", "ZZ-SPJYXK", 5, 1, 4, ["新办", "变更", "延续", "注销"],
     "餐饮,小饭店,食品,超市,许可证"),
    ("农村村民住宅用地审批", "license", "@JS", "《中华人民共和国土地管理法》第六十二条；《江苏省土地管理条例》第四十四条",
     20, 10, False, "本集体经济组织成员，一户一宅，符合国土空间规划和村庄规划",
     [("农村宅基地和建房（规划许可）申请表", True, ""), ID_CARD, ("户口簿", True, ""), ("村民小组会议讨论意见", True, ""),
      ("村集体经济组织审核意见", True, "")],
     [("自然资源审查", "JY-ZR", 1), ("建设规划审查", "@JS", 1), ("农业农村审查", "@SH", 1)], "农村宅基地批准书", "ZZ-ZJDPZS",
     None, 1, 2, ["新办"], "宅基地,建房,翻建,盖房"),
    ("乡村建设规划许可证核发", "license", "@JS", "《中华人民共和国城乡规划法》第四十一条",
     20, 10, False, "在乡、村庄规划区内进行建设，符合乡村规划",
     [("乡村建设规划许可申请表", True, ""), ID_CARD, ("建设工程设计方案或农房设计图", True, ""), ("用地批准文件", True, "ZZ-ZJDPZS")],
     [("规划审查", "@JS", 1), ("自然资源会审", "JY-ZR", 1)], "乡村建设规划许可证", "ZZ-XCGHXK", 2, 1, 2, ["新办", "变更"],
     "农房,规划许可,建房"),
    ("城镇污水排入排水管网许可", "license", "JY-ZJ", "《城镇排水与污水处理条例》第二十一条；《城镇污水排入排水管网许可管理办法》第四条",
     20, 7, False, "排水户向城镇排水设施排放污水，排放水质符合标准",
     [("城镇污水排入排水管网许可申请表", True, ""), BUSINESS_LICENCE, ("排水户内部排水管网、专用检测井、雨污分流管线平面图", True, ""),
      ("排水水质检测报告", True, "")],
     [("材料审查", "JY-ZJ", 1), ("现场勘查", "@JS", 1)], "城镇污水排入排水管网许可证", "ZZ-PSXK", 5, 1, 3, ["新办", "变更", "延续"],
     "排水,污水,纳管"),
    ("城市建筑垃圾处置核准", "license", "@ZF", "《城市市容和环境卫生管理条例》第十一条；《城市建筑垃圾管理规定》第七条",
     20, 3, False, "有建筑垃圾分类处置方案和运输、消纳合同",
     [("建筑垃圾处置核准申请表", True, ""), BUSINESS_LICENCE, ("建筑垃圾运输合同和消纳场所证明", True, ""), ("运输车辆行驶证", True, "")],
     [("处置方案审查", "@ZF", 1)], "建筑垃圾处置核准文件", "ZZ-JZLJ", 1, 1, 4, ["新办", "变更"], "渣土,装修垃圾,建筑垃圾"),
    ("临时占用城市道路审批", "license", "@ZF", "《城市道路管理条例》第三十一条", 20, 3, False, "因特殊情况需要临时占用城市道路",
     [("临时占用道路申请表", True, ""), ID_CARD, ("占道位置图和安全防护方案", True, "")],
     [("城管审查", "@ZF", 1), ("交通安全审查", "JY-GA", 1)], "临时占道许可决定书", "", None, 1, 3, ["新办", "延续"],
     "占道,搭棚,办酒,红白喜事"),
    ("设置大型户外广告及在城市建筑物、设施上悬挂、张贴宣传品审批", "license", "@ZF",
     "《城市市容和环境卫生管理条例》第十一条；《江苏省城市市容和环境卫生管理条例》第十七条", 20, 5, False,
     "广告设置符合城市户外广告设施设置规划", [("户外广告设置申请表", True, ""), BUSINESS_LICENCE, ("设计效果图和结构安全报告", True, ""),
                                          ("场地使用权证明", True, "")],
     [("城管审查", "@ZF", 1)], "户外广告设置许可决定书", "", None, 1, 3, ["新办", "延续", "注销"], "广告牌,招牌,横幅,店招"),
    ("最低生活保障审核确认", "benefit", "@SH", "《社会救助暂行办法》第十一条；《江苏省社会救助办法》第十二条", 30, 20, False,
     "共同生活家庭成员人均收入低于当地最低生活保障标准，且财产状况符合规定",
     [("最低生活保障申请书", True, ""), ID_CARD, ("户口簿", True, ""), ("家庭经济状况核对授权书", True, ""), ("收入证明", False, "")],
     [("入户调查", "@SH", 1), ("民主评议与公示", "@SH", 2), ("县级确认", "JY-MZ", 3)], "最低生活保障证", "ZZ-DBZ", 1, 0, 4,
     ["新办", "变更", "注销"], "低保,困难,救助,生活补助"),
    ("特困人员救助供养审核", "benefit", "@SH", "《社会救助暂行办法》第十四条；《特困人员认定办法》第三条", 30, 20, False,
     "无劳动能力、无生活来源、无法定赡养抚养扶养义务人或其无履行能力的老年人、残疾人和未成年人",
     [("特困人员救助供养申请书", True, ""), ID_CARD, ("户口簿", True, ""), ("残疾人证（残疾人提供）", False, "ZZ-CJRZ")],
     [("入户调查", "@SH", 1), ("县级确认", "JY-MZ", 2)], "特困人员救助供养证", "ZZ-TKGY", 1, 0, 3, ["新办", "注销"], "五保,特困,供养"),
    ("临时救助", "benefit", "@SH", "《社会救助暂行办法》第四十七条、第四十八条", 10, 5, False,
     "因火灾、交通事故等意外事件或家庭成员突发重大疾病等导致基本生活暂时出现严重困难",
     [("临时救助申请书", True, ""), ID_CARD, ("困难情况证明（医疗票据、事故证明等）", True, "")],
     [("审核", "@SH", 1)], "临时救助决定", "", None, 0, 4, ["新办"], "急难,临时救助,生病,意外"),
    ("困难残疾人生活补贴和重度残疾人护理补贴", "benefit", "@SH",
     "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）", 20, 10, False,
     "持有第二代残疾人证的低保家庭残疾人，或残疾等级为一、二级且需长期照护的重度残疾人",
     [("残疾人两项补贴申请审批表", True, ""), ("残疾人证", True, "ZZ-CJRZ"), ID_CARD],
     [("审核", "@SH", 1), ("县级审定", "JY-MZ", 2)], "补贴审批决定", "", None, 0, 4, ["新办", "注销"], "残疾,补贴,护理"),
    ("高龄津贴申领", "benefit", "@SH", "《江苏省老年人权益保障条例》第四十一条", 10, 3, False, "本县户籍年满 80 周岁的老年人",
     [("高龄津贴申请表", True, ""), ID_CARD, ("户口簿", True, "")], [("审核", "@SH", 1)], "高龄津贴发放决定", "", None, 0, 4,
     ["新办"], "老人,津贴,八十岁,尊老金"),
    ("城乡居民基本养老保险参保登记", "service", "JY-RS",
     "《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）", 5, 1, True,
     "年满 16 周岁（不含在校学生），非国家机关和事业单位工作人员及不属于职工基本养老保险覆盖范围的城乡居民",
     [("城乡居民基本养老保险参保登记表", True, ""), ID_CARD], [], "参保登记", "", None, 0, 4, ["新办", "变更", "注销"],
     "养老保险,社保,参保"),
    ("城乡居民基本医疗保险参保登记", "service", "JY-WJ", "《中华人民共和国社会保险法》第二十五条", 5, 1, True,
     "未参加职工基本医疗保险的城乡居民", [("参保登记表", True, ""), ID_CARD], [], "参保登记", "", None, 0, 4,
     ["新办", "变更"], "医保,医疗保险,参保"),
    ("就业困难人员认定", "confirmation", "JY-RS", "《中华人民共和国就业促进法》第五十二条；《江苏省就业促进条例》第三十四条",
     15, 5, False, "因身体状况、技能水平、家庭因素、失去土地等原因难以实现就业，连续失业一定时间",
     [("就业困难人员认定申请表", True, ""), ID_CARD, ("失业登记证明", True, "")], [("审核", "JY-RS", 1)], "就业困难人员认定",
     "", None, 0, 4, ["新办"], "失业,就业困难,找工作"),
    ("失业登记", "service", "JY-RS", "《就业服务与就业管理规定》第六十二条", 5, 1, True, "劳动年龄内、有劳动能力、有就业要求、处于无业状态",
     [("失业登记表", True, ""), ID_CARD, ("解除或终止劳动关系证明", False, "")], [], "失业登记", "", None, 0, 4, ["新办", "注销"],
     "失业,登记,失业金"),
    ("独生子女父母光荣证发放", "reward", "@SH", "《江苏省人口与计划生育条例》第三十二条", 10, 3, False, "只生育一个子女的夫妻",
     [("独生子女父母光荣证申请表", True, ""), ID_CARD, ("户口簿", True, ""), ("结婚证", True, "ZZ-JHZ")], [("审核", "@SH", 1)],
     "独生子女父母光荣证", "ZZ-DSZN", None, 0, 3, ["新办"], "独生子女,光荣证,奖励"),
    ("居住证申领", "confirmation", "JY-GA", "《居住证暂行条例》第二条、第九条", 15, 7, False,
     "离开常住户口所在地，在本县居住半年以上，符合有合法稳定就业、合法稳定住所、连续就读条件之一",
     [("居住证申领登记表", True, ""), ID_CARD, ("居住地住址证明", True, ""), ("就业、就读证明", True, "")],
     [("审核", "JY-GA", 1)], "居住证", "ZZ-JZZ", None, 1, 3, ["新办", "延续"], "居住证,外来人员,流动人口"),
    ("烟草专卖零售许可证核发", "license", "JY-SJ", "《中华人民共和国烟草专卖法》第十六条；《中华人民共和国烟草专卖法实施条例》第十二条",
     20, 10, False, "有与经营烟草制品零售业务相适应的资金和固定的经营场所，符合合理布局要求",
     [("烟草专卖零售许可证申请表", True, ""), BUSINESS_LICENCE, ("经营场所产权证明或租赁协议", True, "")],
     [("材料审查", "JY-SJ", 1), ("实地核查", "JY-SJ", 2)], "烟草专卖零售许可证", "ZZ-YCLS", 5, 1, 3, ["新办", "变更", "延续", "注销"],
     "香烟,烟草,小卖部"),
    ("公共场所卫生许可", "license", "JY-WJ", "《公共场所卫生管理条例》第八条；《公共场所卫生管理条例实施细则》第二十二条",
     20, 5, False, "住宿、沐浴、美容美发等公共场所，卫生设施和管理制度符合要求",
     [("公共场所卫生许可申请表", True, ""), BUSINESS_LICENCE, ("公共场所地址方位示意图、平面图和卫生设施平面布局图", True, ""),
      ("公共场所卫生检测或评价报告", True, "")],
     [("材料审查", "JY-WJ", 1), ("现场审查", "JY-WJ", 2)], "公共场所卫生许可证", "ZZ-GGCS", 4, 1, 3, ["新办", "变更", "延续"],
     "美容美发,宾馆,浴室,卫生许可"),
    ("河道管理范围内建设项目工程建设方案审批", "license", "JY-SL", "《中华人民共和国防洪法》第二十七条；《中华人民共和国河道管理条例》第十一条",
     20, 10, False, "在河道管理范围内建设跨河、穿河、临河工程设施",
     [("建设项目工程建设方案申请书", True, ""), BUSINESS_LICENCE, ("防洪评价报告", True, ""), ("建设项目所涉河段的平面图", True, "")],
     [("水利审查", "JY-SL", 1), ("专家评审", "JY-SL", 2)], "工程建设方案审批决定书", "", None, 1, 2, ["新办"], "河道,防洪,码头,桥梁"),
    ("生产经营单位生产安全事故应急预案备案", "filing", "@AJ", "《生产安全事故应急条例》第七条；《生产安全事故应急预案管理办法》第二十六条",
     5, 2, False, "生产经营单位编制的应急预案经评审或论证后",
     [("应急预案备案申请表", True, ""), BUSINESS_LICENCE, ("应急预案文本及评审意见", True, "")], [("备案审查", "@AJ", 1)],
     "应急预案备案登记表", "", None, 0, 4, ["新办", "变更"], "应急预案,安全生产,备案"),
    ("犬只登记", "confirmation", "JY-GA", "《江苏省城市市容和环境卫生管理条例》第三十条；《江阴市养犬管理规定》", 10, 3, False,
     "在限养区内饲养犬只，已接种狂犬病疫苗", [("犬只登记申请表", True, ""), ID_CARD, ("犬只狂犬病免疫证明", True, "")],
     [("登记审核", "JY-GA", 1)], "犬只登记证", "ZZ-QZDJ", 1, 1, 3, ["新办", "延续", "注销"], "养狗,犬证,宠物"),
    ("农业机械购置补贴申领", "benefit", "JY-SL", "《中华人民共和国农业机械化促进法》第二十七条", 20, 10, False,
     "从事农业生产的个人和农业生产经营组织购置列入补贴范围的农业机械",
     [("农机购置补贴申请表", True, ""), ID_CARD, ("购机发票", True, ""), ("机具铭牌照片", True, "")],
     [("核验机具", "JY-SL", 1)], "补贴发放决定", "", None, 1, 3, ["新办"], "农机,补贴,收割机,拖拉机"),
]

# Generated items: department → [(stem, item type, statutory, promised, immediate, [materials], certificate?)]
TEMPLATES = {
    "JY-SJ": [("企业设立登记", "license", 15, 1, False, ["设立登记申请书", "公司章程", "法定代表人身份证明", "住所使用证明"], "ZZ-YYZZ"),
              ("农民专业合作社登记", "license", 15, 3, False, ["登记申请书", "合作社章程", "成员名册", "住所使用证明"], "ZZ-YYZZ"),
              ("药品零售企业许可", "license", 30, 15, False, ["许可申请表", "营业执照", "质量管理制度", "执业药师资格证明"], "ZZ-YPLS"),
              ("小作坊登记", "license", 20, 5, False, ["登记申请表", "营业执照", "生产场所平面图", "生产工艺流程"], "ZZ-XZF"),
              ("计量器具强制检定", "service", 10, 3, False, ["检定申请表", "计量器具清单"], "")],
    "JY-ZJ": [("建筑工程施工许可", "license", 7, 3, False, ["施工许可申请表", "用地批准文件", "工程规划许可证", "施工合同"], "ZZ-SGXK"),
              ("房屋建筑工程竣工验收备案", "filing", 15, 5, False, ["竣工验收备案表", "竣工验收报告", "质量保修书"], ""),
              ("燃气经营许可", "license", 20, 10, False, ["许可申请书", "营业执照", "安全评价报告", "人员资格证书"], "ZZ-RQJY"),
              ("物业服务企业备案", "filing", 10, 3, False, ["备案表", "营业执照", "物业服务合同"], "")],
    "JY-ZR": [("建设项目用地预审与选址意见书", "license", 20, 10, False, ["申请表", "项目批准文件", "勘测定界图"], "ZZ-YDYS"),
              ("不动产首次登记", "confirmation", 30, 4, False, ["登记申请书", "身份证明", "土地权属来源材料"], "ZZ-BDC"),
              ("不动产转移登记", "confirmation", 30, 4, False, ["登记申请书", "身份证明", "不动产权证书", "买卖合同"], "ZZ-BDC"),
              ("临时用地审批", "license", 20, 10, False, ["临时用地申请表", "土地复垦方案", "临时使用土地合同"], "")],
    "JY-HB": [("建设项目环境影响报告表审批", "license", 30, 15, False, ["审批申请书", "环境影响报告表", "公众参与说明"], ""),
              ("排污许可", "license", 20, 10, False, ["排污许可证申请表", "营业执照", "自行监测方案"], "ZZ-PWXK"),
              ("危险废物经营许可", "license", 20, 15, False, ["许可申请书", "技术人员证明", "处置设施材料"], "ZZ-WFJY")],
    "JY-JT": [("道路货物运输经营许可", "license", 20, 5, False, ["经营申请表", "车辆行驶证", "驾驶员从业资格证"], "ZZ-DLYS"),
              ("公路超限运输许可", "license", 15, 5, False, ["超限运输申请表", "车辆行驶证", "货物说明"], ""),
              ("涉路施工许可", "license", 20, 10, False, ["涉路施工申请书", "施工方案", "安全保障措施"], "")],
    "JY-WJ": [("医疗机构执业登记", "license", 45, 20, False, ["执业登记申请书", "设置批准书", "人员名录及资格证书"], "ZZ-YLJG"),
              ("母婴保健技术服务执业许可", "license", 20, 10, False, ["许可申请书", "技术人员资格证明", "设备清单"], ""),
              ("再生育审批", "confirmation", 20, 5, False, ["申请表", "户口簿", "子女情况证明"], "")],
    "JY-RS": [("职业技能培训补贴申领", "benefit", 20, 10, False, ["补贴申请表", "职业资格证书", "培训合格证明"], ""),
              ("灵活就业社会保险补贴", "benefit", 20, 10, False, ["补贴申请表", "就业困难人员证明", "社保缴费凭证"], ""),
              ("劳务派遣经营许可", "license", 20, 10, False, ["许可申请书", "营业执照", "经营场所证明", "管理制度"], "ZZ-LWPQ")],
    "JY-MZ": [("社会团体成立登记", "license", 60, 20, False, ["登记申请书", "章程草案", "负责人身份证明", "住所使用证明"], "ZZ-SHTT"),
              ("民办非企业单位成立登记", "license", 60, 20, False, ["登记申请书", "章程草案", "验资报告", "场所使用证明"], "ZZ-MFQY"),
              ("经营性公墓审批", "license", 30, 15, False, ["申请报告", "选址意见", "建设方案"], "")],
    "JY-GA": [("户口迁移（迁入）", "confirmation", 10, 3, False, ["户口迁移申请表", "居民户口簿", "居住证明"], ""),
              ("大型群众性活动安全许可", "license", 7, 5, False, ["活动申请书", "安全工作方案", "场地使用协议"], ""),
              ("剧毒化学品购买许可", "license", 3, 2, False, ["购买申请表", "营业执照", "用途说明"], "")],
    "JY-SL": [("取水许可", "license", 45, 20, False, ["取水申请书", "水资源论证报告", "营业执照"], "ZZ-QSXK"),
              ("生产建设项目水土保持方案审批", "license", 20, 10, False, ["审批申请", "水土保持方案报告书"], ""),
              ("农村集体经济组织资产登记", "confirmation", 15, 5, False, ["登记申请表", "资产清单", "村民会议决议"], "")],
    "@ZF": [("城市绿化树木砍伐、迁移审批", "license", 20, 5, False, ["砍伐申请表", "树木位置图", "补植方案"], ""),
            ("城市道路挖掘审批", "license", 20, 5, False, ["挖掘申请表", "施工方案", "安全防护措施"], ""),
            ("设置临时摊点审批", "license", 20, 3, False, ["摊点申请表", "身份证明", "位置示意图"], ""),
            ("生活垃圾清运服务备案", "filing", 10, 3, False, ["备案表", "营业执照", "清运车辆清单"], "")],
    "@SH": [("孤儿基本生活费申领", "benefit", 30, 15, False, ["申请表", "身份证明", "父母死亡证明"], ""),
            ("困境儿童基本生活保障", "benefit", 30, 15, False, ["申请表", "户口簿", "困难情况证明"], ""),
            ("老年人优待证办理", "service", 5, 1, True, ["申请表", "身份证明", "照片"], "ZZ-LNYD"),
            ("退役军人优待证申领", "service", 10, 3, False, ["申领表", "退役证明", "身份证明"], "ZZ-TYJR"),
            ("义务兵家庭优待金发放", "benefit", 20, 10, False, ["申请表", "入伍通知书", "户口簿"], ""),
            ("残疾人证办理", "confirmation", 20, 10, False, ["申请表", "身份证明", "残疾评定表"], "ZZ-CJRZ"),
            ("医疗救助申请", "benefit", 20, 10, False, ["申请书", "医疗费用票据", "病历资料"], ""),
            ("耕地地力保护补贴申报", "benefit", 20, 10, False, ["申报表", "土地承包合同", "银行账户"], "")],
    "@JS": [("农村危房改造补助申请", "benefit", 30, 15, False, ["申请表", "房屋安全鉴定", "户口簿"], ""),
            ("建设工程竣工规划核实（农房）", "license", 15, 5, False, ["核实申请表", "乡村建设规划许可证", "竣工测绘报告"], ""),
            ("地名命名、更名审批", "license", 30, 15, False, ["命名申请书", "命名理由说明", "位置图"], "")],
    "@AJ": [("安全生产标准化三级企业评审", "confirmation", 30, 15, False, ["评审申请表", "自评报告", "营业执照"], ""),
            ("烟花爆竹零售经营许可", "license", 20, 10, False, ["许可申请书", "营业执照", "安全管理制度", "从业人员培训证明"], "ZZ-YHBZ"),
            ("危险化学品经营许可（不带储存）", "license", 30, 15, False, ["许可申请书", "营业执照", "安全管理制度", "安全生产责任制"], "ZZ-WHPJY")],
}
VARIANTS = ["新办", "变更", "延续", "注销"]
TOWN_ROOT = {"@ZF": "ZF", "@SH": "SH", "@JS": "JS", "@AJ": "AJ"}


def item_rows():
    """The 228 handling items, deterministic: the full ones first, then the templates' items with
    their variants round by round until the count is reached."""
    rows = []
    for (name, kind, dept, basis, statutory, promised, immediate, conditions, materials, steps, result, cert, years,
         visits, depth, variants, keywords) in FULL:
        for variant in variants:
            rows.append({"name": name, "type": kind, "department": dept, "basis": basis, "statutory": statutory,
                         "promised": promised, "immediate": immediate, "conditions": conditions,
                         "materials": materials if variant in ("新办", "") else materials[:2] + [("变更或注销说明", True, "")],
                         "steps": steps, "result": result, "certificate": cert if variant != "注销" else "",
                         "years": years, "visits": visits, "depth": depth, "variant": variant, "keywords": keywords,
                         "full": True})
    stems = [(dept, t) for dept, items in TEMPLATES.items() for t in items]
    round_no = 0
    while len(rows) < TOTAL:
        variant = VARIANTS[round_no % len(VARIANTS)]
        for dept, (stem, kind, statutory, promised, immediate, materials, cert) in stems:
            if len(rows) >= TOTAL:
                break
            if kind in ("benefit", "service") and variant in ("延续",):
                continue
            rows.append({"name": stem, "type": kind, "department": dept,
                         "basis": _basis(dept), "statutory": statutory, "promised": promised, "immediate": immediate,
                         "conditions": "", "materials": [(m, True, "") for m in materials] + [ID_CARD],
                         "steps": [("审查", dept, 1)], "result": f"{stem}决定", "certificate": cert if variant != "注销" else "",
                         "years": 3 if cert else None, "visits": 1 if kind == "license" else 0, "depth": 3,
                         "variant": variant, "keywords": stem, "full": False})
        round_no += 1
    return rows[:TOTAL]


LAWS = {"JY-SJ": "《中华人民共和国行政许可法》；《中华人民共和国市场主体登记管理条例》",
        "JY-ZJ": "《中华人民共和国建筑法》；《建设工程质量管理条例》", "JY-ZR": "《中华人民共和国土地管理法》；《不动产登记暂行条例》",
        "JY-HB": "《中华人民共和国环境影响评价法》；《排污许可管理条例》", "JY-JT": "《中华人民共和国道路运输条例》；《公路安全保护条例》",
        "JY-WJ": "《医疗机构管理条例》；《中华人民共和国母婴保健法》", "JY-RS": "《中华人民共和国就业促进法》；《中华人民共和国劳动合同法》",
        "JY-MZ": "《社会团体登记管理条例》；《民办非企业单位登记管理暂行条例》", "JY-GA": "《中华人民共和国户口登记条例》；《大型群众性活动安全管理条例》",
        "JY-SL": "《中华人民共和国水法》；《取水许可和水资源费征收管理条例》", "@ZF": "《城市绿化条例》；《城市道路管理条例》",
        "@SH": "《社会救助暂行办法》；《中华人民共和国老年人权益保障法》", "@JS": "《中华人民共和国城乡规划法》；《地名管理条例》",
        "@AJ": "《中华人民共和国安全生产法》；《烟花爆竹安全管理条例》"}


def _basis(dept: str) -> str:
    return LAWS.get(dept, "《中华人民共和国行政许可法》")


TYPE_PREFIX = {"license": "XK", "confirmation": "QR", "adjudication": "CJ", "benefit": "JF", "reward": "JL",
               "filing": "BA", "other": "QT", "service": "GF"}
VARIANT_CODE = {"新办": "01", "变更": "02", "延续": "03", "注销": "04", "": "00"}


def seed_catalog(town) -> int:
    """Create the catalog for one town's service center (idempotent): a main item per name, its
    handling items per variant, their materials and review steps."""
    from shanzhi.accounts.models import Department

    from .models import Material, ReviewStep, ServiceItem

    departments = {d.code: d for d in Department.objects.filter(region__level__lte=3)}
    for suffix in TOWN_ROOT.values():
        office = Department.objects.filter(code=f"{town.code[:9]}-{suffix}").first()
        if office:
            departments[f"@{suffix}"] = office
    created, mains = 0, {}
    for n, row in enumerate(item_rows(), start=1):
        dept = departments.get(row["department"])
        if dept is None:
            continue
        prefix = TYPE_PREFIX[row["type"]]
        main_key = (row["name"], dept.pk)
        if main_key not in mains:
            base = f"{prefix}-{len(mains) + 1:04d}"
            mains[main_key] = ServiceItem.objects.get_or_create(
                code=f"{dept.region.code[:9]}-{base}", defaults={
                    "base_code": base, "name": row["name"], "item_type": row["type"], "level": ServiceItem.Level.MAIN,
                    "department": dept, "legal_basis": row["basis"], "is_active": True})[0]
        main = mains[main_key]
        code = f"{main.code}-{VARIANT_CODE[row['variant']]}"
        item, new = ServiceItem.objects.get_or_create(code=code, defaults={
            "base_code": main.base_code, "name": row["name"], "item_type": row["type"],
            "level": ServiceItem.Level.HANDLING, "parent": main, "variant": row["variant"], "department": dept,
            "authority": ServiceItem.Authority.ENTRUSTED if row["department"].startswith("@") else ServiceItem.Authority.STATUTORY,
            "exercise_level": ServiceItem.Exercise.TOWN if row["department"].startswith("@") else ServiceItem.Exercise.COUNTY,
            "delegated": row["department"].startswith("@"), "legal_basis": row["basis"],
            "applicant_kind": ServiceItem.Applicant.ORGANISATION if any(m[0] == "营业执照" for m in row["materials"])
            else ServiceItem.Applicant.PERSON if row["type"] in ("benefit", "reward") else ServiceItem.Applicant.BOTH,
            "immediate": row["immediate"], "statutory_days": row["statutory"], "promised_days": row["promised"],
            "conditions": row["conditions"], "result_name": row["result"], "certificate_type": row["certificate"],
            "certificate_years": row["years"], "channels": ALL_CHANNELS if row["depth"] >= 3 else ["window", "agent"],
            "visits": row["visits"], "online_depth": row["depth"], "county_wide": True, "keywords": row["keywords"],
            "contact": "0510-86" + f"{(n * 7919) % 1000000:06d}"})
        if new:
            created += 1
            Material.objects.bulk_create([
                Material(item=item, order=i, name=name, required=required, certificate_type=cert,
                         form=Material.Form.BOTH if not cert else Material.Form.ELECTRONIC,
                         source=Material.Source.GOVERNMENT if cert else Material.Source.APPLICANT)
                for i, (name, required, cert) in enumerate(row["materials"], start=1)])
            ReviewStep.objects.bulk_create([
                ReviewStep(item=item, order=i, name=name, department=departments.get(d, dept), parallel_group=group)
                for i, (name, d, group) in enumerate(row["steps"], start=1) if departments.get(d)])
    return created


# 江阴 "2440": 企业开办 2 个工作日、不动产登记 4 个工作日、工业建设项目施工许可 40 个工作日 (DOMAIN.md §2).
TARGETS = [
    ("企业开办", 2, ["企业设立登记", "个体工商户登记"], "江阴“2440”：企业开办 2 个工作日内办结"),
    ("不动产登记", 4, ["不动产首次登记", "不动产转移登记"], "江阴“2440”：不动产登记 4 个工作日内办结"),
    ("工业建设项目施工许可", 40, ["建筑工程施工许可"], "江阴“2440”：工业建设项目施工许可 40 个工作日内办结"),
]


def seed_targets() -> int:
    """The county's time targets per group of items (an administrator changes them in the admin)."""
    from .models import ServiceItem, ServiceTarget

    for order, (name, days, items, note) in enumerate(TARGETS, start=1):
        target, _ = ServiceTarget.objects.get_or_create(name=name, defaults={"limit_days": days, "note": note,
                                                                              "order": order})
        target.items.add(*ServiceItem.objects.filter(level=ServiceItem.Level.HANDLING, name__in=items,
                                                     variant__in=["新办", ""]))
    return len(TARGETS)
