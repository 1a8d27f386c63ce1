"""Who and what the demo is about: each agency's staff, where it works, and the people its cases concern.

Made-up people with made-up numbers (identity numbers carry a valid check digit, phone numbers
are in the 138 0000 test range); one agency per rule pack in shared/rules.
"""

from __future__ import annotations

from dataclasses import dataclass

# Chinese first, English second: what the printed sign-in list calls each role.
ROLE_TITLES = {
    "admin": ("管理员", "administrator"),
    "officer": ("执法人员", "officer"),
    "approver": ("审批负责人", "approver"),
    "supervisor": ("执法监督", "supervisor"),
    "legal_reviewer": ("法制审核", "legal reviewer"),
    "archivist": ("档案管理", "archivist"),
}
ROLE_ORDER = ("admin", "officer", "approver", "supervisor", "legal_reviewer", "archivist")
# How the demo calls each agency's seven people, in the order `_staff` lists them.
STAFF_KEYS = (
    "admin",
    "officer",
    "officer2",
    "approver",
    "supervisor",
    "legal_reviewer",
    "archivist",
)


@dataclass(frozen=True)
class Person:
    """A staff member of the demo agency."""

    name: str
    roles: tuple[str, ...]
    unit: str
    cert: str | None = None  # 执法证号; officers and others who sign records have one


@dataclass(frozen=True)
class Party:
    name: str
    kind: str  # person | organisation
    address: str
    phone: str
    id_number: str | None = None
    sign: str = ""  # what is written over the door, for photos

    def as_json(self) -> dict[str, str]:
        out = {"name": self.name, "kind": self.kind, "address": self.address, "phone": self.phone}
        if self.id_number:
            out["id_number"] = self.id_number
        return out


@dataclass(frozen=True)
class Matter:
    """One case's story: title, party, what was found, the legal basis and the outcome."""

    title: str
    party: Party
    place: str
    findings: str
    basis: str
    outcome: str
    fine: float
    plate: str = ""


@dataclass(frozen=True)
class AgencyCast:
    agency_id: str
    short: str  # document number prefix, e.g. 蒸人社罚
    lat: float
    lon: float
    staff: tuple[Person, ...]
    matters: tuple[Matter, ...]


def id_number(region: str, birthday: str, serial: str) -> str:
    """An 18-digit resident identity number with its GB 11643 check digit."""
    body = f"{region}{birthday}{serial}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _staff(
    prov: str, base: int, units: tuple[str, str], names: tuple[str, ...]
) -> tuple[Person, ...]:
    admin, off1, off2, approver, supervisor, legal, archivist = names
    field, office = units

    def cert(n: int) -> str:
        return f"{prov}{base + n:08d}"

    return (
        Person(admin, ("admin",), office),
        Person(off1, ("officer",), field, cert(11)),
        Person(off2, ("officer",), field, cert(12)),
        Person(approver, ("approver",), office, cert(3)),
        Person(supervisor, ("supervisor",), office, cert(5)),
        Person(legal, ("legal_reviewer",), "法制审核科", cert(7)),
        Person(archivist, ("archivist",), office),
    )


CASTS: tuple[AgencyCast, ...] = (
    AgencyCast(
        "hebei-hrss",
        "冀人社罚",
        38.0428,
        114.5149,
        _staff(
            "冀",
            13010000,
            ("劳动保障监察一队", "办公室"),
            ("赵丽", "王建国", "刘洋", "孙志强", "周敏", "吴静", "郑晓燕"),
        ),  # fmt: skip
        (
            Matter(
                "石家庄某餐饮管理有限公司拖欠工资案",
                Party(
                    "石家庄某餐饮管理有限公司",
                    "organisation",
                    "石家庄市长安区中山东路188号",
                    "13800000101",
                    sign="某某餐饮",
                ),
                "石家庄市长安区中山东路188号",
                "查实拖欠12名员工2026年8月至9月工资共计14.6万元。",
                "《劳动保障监察条例》第二十六条",
                "责令限期支付拖欠工资，逾期加付赔偿金",
                0,
            ),  # fmt: skip
            Matter(
                "某建筑劳务公司未依法签订劳动合同案",
                Party(
                    "河北某建筑劳务有限公司",
                    "organisation",
                    "石家庄市桥西区新华路66号",
                    "13800000102",
                    sign="建筑劳务",
                ),
                "石家庄市桥西区新华路66号工地",
                "现场核查工人花名册，31人中19人未签订书面劳动合同。",
                "《劳动合同法》第八十二条",
                "责令改正并处罚款",
                20000,
            ),  # fmt: skip
            Matter(
                "李某违法使用童工案",
                Party(
                    "李建华",
                    "person",
                    "石家庄市新华区民族路12号",
                    "13800000103",
                    id_number("130105", "19780312", "151"),
                    "建华五金",
                ),
                "石家庄市新华区民族路12号建华五金店",
                "店内发现一名15周岁未成年人从事搬运工作。",
                "《禁止使用童工规定》第六条",
                "罚款",
                5000,
            ),  # fmt: skip
            Matter(
                "某物业公司未按规定缴纳社会保险费案",
                Party(
                    "石家庄某物业服务有限公司",
                    "organisation",
                    "石家庄市裕华区槐安路300号",
                    "13800000104",
                    sign="物业服务",
                ),
                "石家庄市裕华区槐安路300号",
                "2026年1月至6月未为46名职工缴纳社会保险费。",
                "《社会保险法》第八十六条",
                "责令限期缴纳",
                0,
            ),  # fmt: skip
            Matter(
                "某保洁公司超时加班案",
                Party(
                    "石家庄某保洁服务有限公司",
                    "organisation",
                    "石家庄市长安区建设北大街9号",
                    "13800000105",
                    sign="保洁服务",
                ),
                "石家庄市长安区建设北大街9号",
                "举报称每日工作12小时，正在调取考勤记录。",
                "《劳动保障监察条例》第二十五条",
                "警告",
                0,
            ),  # fmt: skip
        ),
    ),
    AgencyCast(
        "lingchuan-finance",
        "陵财罚",
        35.7756,
        113.2806,
        _staff(
            "晋",
            14050000,
            ("会计监督检查组", "综合股"),
            ("杨帆", "陈志刚", "马丽娜", "高德明", "胡晓梅", "林涛", "何秀英"),
        ),  # fmt: skip
        (
            Matter(
                "陵川县某煤业公司虚列成本案",
                Party(
                    "陵川县某煤业有限公司",
                    "organisation",
                    "陵川县崇文镇东街18号",
                    "13800000201",
                    sign="某某煤业",
                ),
                "陵川县崇文镇东街18号财务室",
                "2025年度会计账簿虚列运输成本86.3万元，原始凭证系虚开发票。",
                "《会计法》第四十一条",
                "罚款并通报",
                50000,
            ),  # fmt: skip
            Matter(
                "某乡镇卫生院违规采购医疗设备案",
                Party(
                    "陵川县某乡镇卫生院",
                    "organisation",
                    "陵川县附城镇正街5号",
                    "13800000202",
                    sign="卫生院",
                ),
                "陵川县附城镇正街5号",
                "化整为零规避公开招标，采购B超设备合同金额合计98万元。",
                "《政府采购法》第七十一条",
                "责令限期改正，给予警告",
                0,
            ),  # fmt: skip
            Matter(
                "张某代理记账无证经营案",
                Party(
                    "张海军",
                    "person",
                    "陵川县崇文镇西街33号",
                    "13800000203",
                    id_number("140524", "19850621", "273"),
                    "海军财税",
                ),
                "陵川县崇文镇西街33号",
                "未取得代理记账许可证从事代理记账业务，代理客户14户。",
                "《代理记账管理办法》第二十七条",
                "责令停止违法行为并罚款",
                3000,
            ),  # fmt: skip
            Matter(
                "某商贸公司会计资料不全案",
                Party(
                    "陵川县某商贸有限公司",
                    "organisation",
                    "陵川县礼义镇北街7号",
                    "13800000204",
                    sign="某某商贸",
                ),
                "陵川县礼义镇北街7号",
                "2024年度部分记账凭证缺失，无法提供原始凭证。",
                "《会计法》第四十二条",
                "责令限期改正并罚款",
                5000,
            ),  # fmt: skip
            Matter(
                "某旅游公司财政补贴资金使用检查",
                Party(
                    "陵川县某旅游开发有限公司",
                    "organisation",
                    "陵川县六泉乡锡崖沟",
                    "13800000205",
                    sign="旅游开发",
                ),
                "陵川县六泉乡锡崖沟",
                "检查2025年度文旅补贴资金使用情况。",
                "《财政违法行为处罚处分条例》第十四条",
                "责令改正",
                0,
            ),  # fmt: skip
        ),
    ),
    AgencyCast(
        "mingshan-emergency",
        "明应急罚",
        41.3027,
        123.8178,
        _staff(
            "辽",
            21050000,
            ("安全生产执法一中队", "办公室"),
            ("于海燕", "李振华", "张宇航", "王德福", "刘秀兰", "谢文博", "姜丽华"),
        ),  # fmt: skip
        (
            Matter(
                "明山区某机械厂未开展安全培训案",
                Party(
                    "本溪某机械制造有限公司",
                    "organisation",
                    "本溪市明山区高峪路77号",
                    "13800000301",
                    sign="机械制造",
                ),
                "本溪市明山区高峪路77号车间",
                "抽查8名特种作业人员，5人无有效特种作业操作证上岗。",
                "《安全生产法》第九十七条",
                "责令限期改正并罚款",
                30000,
            ),  # fmt: skip
            Matter(
                "某加油站安全设施缺失案",
                Party(
                    "本溪某石油销售有限公司明山加油站",
                    "organisation",
                    "本溪市明山区明兴路2号",
                    "13800000302",
                    sign="加油站",
                ),
                "本溪市明山区明兴路2号",
                "卸油区静电接地报警器损坏，消防沙池缺沙。",
                "《安全生产法》第九十九条",
                "责令限期改正并罚款",
                20000,
            ),  # fmt: skip
            Matter(
                "孙某违规储存烟花爆竹案",
                Party(
                    "孙立新",
                    "person",
                    "本溪市明山区北地街道新明小区3号楼",
                    "13800000303",
                    id_number("210504", "19700905", "356"),
                    "立新杂货",
                ),
                "本溪市明山区北地街道新明小区3号楼底商",
                "店铺内违规储存烟花爆竹12箱。",
                "《烟花爆竹安全管理条例》第三十六条",
                "没收并罚款",
                2000,
            ),  # fmt: skip
            Matter(
                "某化工公司重大隐患未整改案",
                Party(
                    "本溪某化工有限公司",
                    "organisation",
                    "本溪市明山区卧龙镇工业园8号",
                    "13800000304",
                    sign="某某化工",
                ),
                "本溪市明山区卧龙镇工业园8号",
                "复查发现储罐区可燃气体报警仪仍未投用。",
                "《安全生产法》第一百零二条",
                "责令停产停业整顿",
                0,
            ),  # fmt: skip
            Matter(
                "某商场消防通道堵塞检查",
                Party(
                    "本溪某购物广场有限公司",
                    "organisation",
                    "本溪市明山区永丰街道解放北路5号",
                    "13800000305",
                    sign="购物广场",
                ),
                "本溪市明山区解放北路5号",
                "日常检查安全出口及疏散通道。",
                "《安全生产法》第一百零二条",
                "责令改正",
                0,
            ),  # fmt: skip
        ),
    ),
    AgencyCast(
        "pingluo-transport",
        "平交执罚",
        38.9063,
        106.5445,
        _staff(
            "宁",
            64020000,
            ("路政执法中队", "综合办"),
            ("马晓梅", "丁国强", "白永刚", "田志远", "纳秀英", "拓晓东", "冯丽"),  # fmt: skip
        ),
        (
            Matter(
                "宁夏某运输公司车辆超限运输案",
                Party(
                    "宁夏某物流运输有限公司",
                    "organisation",
                    "平罗县城关镇鼓楼南街15号",
                    "13800000401",
                    sign="平罗县某物流有限公司",
                ),
                "G109国道平罗段超限检测站",
                "车货总重62.4吨，超过限定标准13.4吨。",
                "《公路安全保护条例》第六十四条",
                "罚款",
                10000,
                "宁B·6C321",
            ),  # fmt: skip
            Matter(
                "未取得道路运输证从事货运经营案",
                Party(
                    "马金山",
                    "person",
                    "平罗县黄渠桥镇金星村3组",
                    "13800000402",
                    id_number("640221", "19820418", "391"),
                    "金山货运",
                ),
                "平罗县京藏高速平罗收费站",
                "驾驶未取得道路运输证的重型货车从事货物运输。",
                "《道路运输条例》第六十三条",
                "责令停止经营并罚款",
                3000,
                "宁B·2K778",
            ),  # fmt: skip
            Matter(
                "某客运站安全检查不到位案",
                Party(
                    "平罗县某客运服务有限公司",
                    "organisation",
                    "平罗县城关镇北大街1号",
                    "13800000403",
                    sign="客运站",
                ),
                "平罗县汽车客运站",
                "未按规定对进站车辆进行安全例检。",
                "《道路运输条例》第七十一条",
                "罚款",
                5000,
            ),  # fmt: skip
            Matter(
                "擅自占用公路设置摊点案",
                Party(
                    "何玉兰",
                    "person",
                    "平罗县头闸镇头闸村5组",
                    "13800000404",
                    id_number("640221", "19750130", "424"),
                    "玉兰瓜果",
                ),
                "S102省道K38处",
                "在公路用地范围内搭建摊棚销售瓜果。",
                "《公路法》第八十一条",
                "责令限期拆除",
                0,
            ),  # fmt: skip
            Matter(
                "出租车拒载投诉核查",
                Party(
                    "平罗县某出租汽车有限公司",
                    "organisation",
                    "平罗县城关镇南大街20号",
                    "13800000405",
                    sign="出租汽车",
                ),
                "平罗县城关镇",
                "接群众投诉，核查宁B·T0512出租车拒载情况。",
                "《巡游出租汽车经营服务管理规定》第四十八条",
                "罚款",
                0,
                "宁B·T0512",
            ),  # fmt: skip
        ),
    ),
    AgencyCast(
        "zhengxiang-hrss",
        "蒸人社罚",
        26.8966,
        112.5679,
        _staff(
            "湘",
            43040000,
            ("劳动保障监察大队", "办公室"),
            ("刘芳", "张伟", "李强", "陈建华", "黄丽", "周文", "罗秀珍"),
        ),  # fmt: skip
        (
            Matter(
                "衡阳某建筑公司拖欠农民工工资案",
                Party(
                    "衡阳某某建筑有限公司",
                    "organisation",
                    "衡阳市蒸湘区工业路1号",
                    "13800000501",
                    sign="衡阳某某建筑有限公司",
                ),
                "衡阳市蒸湘区红湘路88号工地",
                "拖欠36名农民工2026年7月至9月工资共计52.8万元。",
                "《保障农民工工资支付条例》第五十五条",
                "责令限期支付并罚款",
                50000,
            ),  # fmt: skip
            Matter(
                "某酒店未依法支付加班费案",
                Party(
                    "衡阳某大酒店有限公司",
                    "organisation",
                    "衡阳市蒸湘区解放大道12号",
                    "13800000502",
                    sign="某某大酒店",
                ),
                "衡阳市蒸湘区解放大道12号",
                "2026年国庆期间安排加班未支付三倍工资。",
                "《劳动保障监察条例》第二十六条",
                "责令限期支付",
                0,
            ),  # fmt: skip
            Matter(
                "张某非法职业中介案",
                Party(
                    "张三丰",
                    "person",
                    "衡阳市蒸湘区红湘路88号",
                    "13800000503",
                    id_number("430408", "19900101", "123"),
                    "三丰中介",
                ),
                "衡阳市蒸湘区红湘路88号",
                "未经许可从事职业中介活动，收取求职者中介费。",
                "《就业促进法》第六十四条",
                "取缔并罚款",
                8000,
            ),  # fmt: skip
            Matter(
                "某电子厂未缴工伤保险案",
                Party(
                    "衡阳某电子科技有限公司",
                    "organisation",
                    "衡阳市蒸湘区联合街道船山路9号",
                    "13800000504",
                    sign="电子科技",
                ),
                "衡阳市蒸湘区船山路9号厂区",
                "一线员工128人中87人未参加工伤保险。",
                "《工伤保险条例》第六十二条",
                "责令限期参保",
                0,
            ),  # fmt: skip
            Matter(
                "某培训学校拖欠教师工资投诉",
                Party(
                    "衡阳某职业培训学校",
                    "organisation",
                    "衡阳市蒸湘区祝融路40号",
                    "13800000505",
                    sign="职业培训学校",
                ),
                "衡阳市蒸湘区祝融路40号",
                "接投诉称拖欠9名教师两个月工资。",
                "《劳动保障监察条例》第二十六条",
                "责令支付",
                0,
            ),  # fmt: skip
        ),
    ),
)
