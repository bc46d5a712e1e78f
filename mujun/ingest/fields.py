"""The fields a bureau's file can carry: each maps to a canonical table and column, has a kind
(a quantity with units, a code, a date, text) and the header names people write for it.

One catalog for every agency: a profile (mujun/ingest/profiles/*.toml) says which fields make up an
agency's file; a county adds header names of its own in a profile, without code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    table: str
    column: str
    kind: str
    """'money', 'area', 'energy', 'electricity', 'emissions', 'persons', 'fraction' (quantities with
    units), or 'uscc', 'text', 'code', 'industry', 'division', 'date', 'year', 'scale', 'event',
    'qualification', 'level', 'parcel_status'."""
    headers: tuple[str, ...]


QUANTITIES = ("money", "area", "energy", "electricity", "emissions", "persons", "fraction")

_FIELDS = (
    # who
    Field(
        "uscc",
        "*",
        "uscc",
        "uscc",
        (
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "纳税人识别号",
            "纳税识别号",
            "税号",
            "统一代码",
            "企业代码",
            "uscc",
        ),
    ),
    Field(
        "name",
        "enterprises",
        "name",
        "text",
        (
            "企业名称",
            "单位名称",
            "纳税人名称",
            "单位详细名称",
            "企业(单位)名称",
            "用电户名",
            "户名",
            "公司名称",
            "名称",
        ),
    ),
    Field(
        "industry_code",
        "enterprises",
        "industry_code",
        "industry",
        ("行业代码", "国民经济行业代码", "行业小类代码", "所属行业代码", "行业类别代码"),
    ),
    Field(
        "division_code",
        "enterprises",
        "division_code",
        "division",
        (
            "所属街道",
            "所属镇街",
            "镇街",
            "镇(街道)",
            "街道",
            "乡镇街道",
            "所在镇街",
            "镇街代码",
            "街道代码",
            "所属乡镇",
        ),
    ),
    Field(
        "established",
        "enterprises",
        "established",
        "date",
        ("成立日期", "成立时间", "开业时间", "开业日期", "注册日期", "登记日期"),
    ),
    Field("zones", "enterprises", "zones", "text", ("所属园区", "园区", "平台")),
    # when
    Field(
        "year",
        "*",
        "year",
        "year",
        ("年度", "年份", "所属年度", "统计年度", "评价年度", "税款所属年度", "数据年度"),
    ),
    # statistics
    Field(
        "scale",
        "annual",
        "scale",
        "scale",
        ("是否规上", "规模", "企业规模", "是否规模以上", "规上规下", "规模类型"),
    ),
    Field(
        "revenue",
        "annual",
        "revenue",
        "money",
        ("营业收入", "主营业务收入", "销售收入", "营业收入合计"),
    ),
    Field(
        "output",
        "annual",
        "output",
        "money",
        ("工业总产值", "总产值", "工业总产值(当年价)", "产值"),
    ),
    Field("value_added", "annual", "value_added", "money", ("工业增加值", "增加值")),
    Field(
        "employees",
        "annual",
        "employees",
        "persons",
        (
            "年末从业人员",
            "从业人员",
            "从业人员平均人数",
            "年平均职工人数",
            "职工人数",
            "从业人员期末人数",
            "员工人数",
        ),
    ),
    Field(
        "rd_expense",
        "annual",
        "rd_expense",
        "money",
        ("研发费用", "R&D经费支出", "研究开发费用", "研发经费", "研发投入", "R&D经费内部支出"),
    ),
    Field(
        "energy_tce",
        "annual",
        "energy_tce",
        "energy",
        ("综合能耗", "综合能源消费量", "能源消费总量", "能耗总量", "综合能耗(等价值)"),
    ),
    # tax
    Field(
        "tax_paid",
        "annual",
        "tax_paid",
        "money",
        (
            "实缴税金",
            "实缴税额",
            "实缴税收",
            "入库税收",
            "实际入库税收",
            "税收实际贡献",
            "实缴税费",
            "税收合计",
            "纳税总额",
        ),
    ),
    Field(
        "fixed_asset_vat_credit",
        "annual",
        "fixed_asset_vat_credit",
        "money",
        (
            "固定资产进项税抵扣",
            "固定资产进项税额抵扣",
            "固定资产进项税额",
            "固定资产进项税",
            "设备进项税抵扣",
        ),
    ),
    Field(
        "vat_refund", "annual", "vat_refund", "money", ("留抵退税", "增值税留抵退税", "留抵退税额")
    ),
    Field(
        "export_vat_offset",
        "annual",
        "export_vat_offset",
        "money",
        ("免抵调库", "免抵税额", "免抵调库税额"),
    ),
    Field(
        "one_off_tax",
        "annual",
        "one_off_tax",
        "money",
        ("一次性税收", "偶发性税收", "一次性税收(房地产转让等)", "非经常性税收"),
    ),
    Field(
        "export_refund",
        "annual",
        "export_refund",
        "money",
        ("出口退税", "出口退税额", "出口退(免)税", "出口退免税", "出口退税(已退)"),
    ),
    Field(
        "energy_quota_tce",
        "annual",
        "energy_quota_tce",
        "energy",
        ("用能限额", "用能指标", "能耗限额", "用能权指标", "年度用能指标", "核定用能量"),
    ),
    # electricity and environment
    Field(
        "electricity_kwh",
        "annual",
        "electricity_kwh",
        "electricity",
        ("用电量", "全年用电量", "年用电量", "总用电量", "用电总量", "售电量"),
    ),
    Field(
        "emissions_eq",
        "annual",
        "emissions_eq",
        "emissions",
        (
            "主要污染物排放当量",
            "污染物排放当量",
            "排放当量",
            "主要污染物排放量",
            "污染物排放量",
            "排放量",
        ),
    ),
    # land
    Field(
        "parcel_id",
        "parcels",
        "parcel_id",
        "code",
        ("宗地编号", "宗地代码", "不动产单元号", "地块编号", "宗地号", "地号"),
    ),
    Field(
        "owner_uscc",
        "parcels",
        "owner_uscc",
        "uscc",
        (
            "权利人统一社会信用代码",
            "权利人代码",
            "土地使用权人代码",
            "权利人证件号",
            "出租方统一社会信用代码",
            "产权方统一社会信用代码",
        ),
    ),
    Field(
        "owner_name",
        "parcels",
        "owner_name",
        "text",
        ("权利人", "权利人名称", "土地使用权人", "土地使用者", "出租方", "出租方名称", "产权方"),
    ),
    Field(
        "area_m2",
        "parcels",
        "area_m2",
        "area",
        ("用地面积", "宗地面积", "土地面积", "占地面积", "使用权面积", "出让面积"),
    ),
    Field(
        "floor_area_m2",
        "parcels",
        "floor_area_m2",
        "area",
        ("建筑面积", "房屋建筑面积", "总建筑面积", "厂房面积"),
    ),
    Field("land_use", "parcels", "land_use", "text", ("土地用途", "用途", "地类", "规划用途")),
    Field("geometry", "parcels", "geometry", "text", ("geometry", "几何", "宗地范围", "坐标")),
    Field("status", "parcels", "status", "parcel_status", ("土地状态", "开发状态", "状态")),
    Field(
        "approved_on", "parcels", "approved_on", "date", ("批准日期", "批准时间", "农转用批准日期")
    ),
    Field(
        "granted_on",
        "parcels",
        "granted_on",
        "date",
        ("供地日期", "出让日期", "合同签订日期", "划拨日期", "土地出让日期"),
    ),
    Field(
        "start_due", "parcels", "start_due", "date", ("约定开工日期", "开工期限", "约定开工时间")
    ),
    Field(
        "production_due",
        "parcels",
        "production_due",
        "date",
        ("约定竣工日期", "约定投产日期", "竣工期限", "投产期限"),
    ),
    # leases
    Field(
        "tenant_uscc",
        "occupancy",
        "uscc",
        "uscc",
        (
            "承租方统一社会信用代码",
            "承租企业统一社会信用代码",
            "承租方代码",
            "使用企业统一社会信用代码",
            "承租人统一社会信用代码",
        ),
    ),
    Field(
        "tenant_name",
        "occupancy",
        "tenant_name",
        "text",
        ("承租方", "承租方名称", "承租企业", "承租企业名称", "承租人", "使用企业"),
    ),
    Field(
        "year_from",
        "occupancy",
        "year_from",
        "year",
        ("起始年度", "租赁起始年", "起租年份", "开始年度", "起租年度"),
    ),
    Field(
        "year_to",
        "occupancy",
        "year_to",
        "year",
        ("截止年度", "租赁截止年", "到期年份", "结束年度", "到期年度"),
    ),
    Field(
        "lease_start",
        "occupancy",
        "lease_start",
        "date",
        ("租赁起始日期", "起租日期", "租赁开始日期", "租期起"),
    ),
    Field(
        "lease_end",
        "occupancy",
        "lease_end",
        "date",
        ("租赁截止日期", "到期日期", "租赁结束日期", "租期止"),
    ),
    Field(
        "leased_floor_m2",
        "occupancy",
        "floor_area_m2",
        "area",
        ("租赁面积", "承租面积", "使用面积", "租用面积", "出租面积"),
    ),
    # events
    Field(
        "event_kind",
        "events",
        "kind",
        "event",
        ("事件类型", "违法类型", "处罚类型", "事故类型", "类别", "问题类型"),
    ),
    Field(
        "event_date",
        "events",
        "event_date",
        "date",
        ("处罚日期", "发生日期", "事故日期", "决定日期", "立案日期"),
    ),
    Field(
        "note",
        "events",
        "note",
        "text",
        ("备注", "说明", "事由", "违法事实", "情况说明", "处罚内容"),
    ),
    # qualifications
    Field(
        "qualification",
        "qualifications",
        "kind",
        "qualification",
        ("资质类型", "资质名称", "认定类型", "荣誉类型", "认定名称", "称号"),
    ),
    Field("level", "qualifications", "level", "level", ("级别", "认定级别", "层级")),
    Field(
        "valid_from",
        "qualifications",
        "valid_from",
        "date",
        ("认定日期", "发证日期", "认定时间", "有效期起", "批准日期"),
    ),
    Field(
        "valid_to",
        "qualifications",
        "valid_to",
        "date",
        ("有效期至", "有效期止", "到期日期", "有效期截止"),
    ),
)

FIELDS: dict[str, Field] = {f.name: f for f in _FIELDS}

EVENT_KINDS = {
    "safety_fatal": (
        "死亡事故",
        "亡人事故",
        "较大及以上安全事故",
        "生产安全死亡事故",
        "安全事故(死亡)",
        "safety_fatal",
    ),
    "env_major": ("重大环境违法", "重大环境污染", "环境污染事故", "重大环保违法", "env_major"),
    "tax_dishonest": ("重大税收违法", "税收违法失信", "偷税", "骗税", "逃税", "tax_dishonest"),
    "env_minor": ("一般环境违法", "环境违法", "环保处罚", "超标排放", "env_minor"),
    "safety_minor": ("一般安全违法", "安全生产违法", "安全处罚", "safety_minor"),
    "relocation": ("政策性搬迁", "搬迁", "relocation"),
    "obsolete_capacity": (
        "淘汰类",
        "落后产能",
        "淘汰落后产能",
        "淘汰类落后产能",
        "淘汰类工艺装备",
        "obsolete_capacity",
    ),
}
QUALIFICATION_KINDS = {
    "tech_sme": ("科技型中小企业", "科小", "tech_sme"),
    "high_tech": ("高新技术企业", "国家高新技术企业", "高企", "high_tech"),
    "srdi": ("专精特新中小企业", "省级专精特新", "专精特新", "srdi"),
    "little_giant": ("专精特新小巨人", "小巨人", "国家级专精特新小巨人", "little_giant"),
    "hidden_champion": ("隐形冠军", "hidden_champion"),
    "champion": ("单项冠军", "制造业单项冠军", "champion"),
    "listed": ("上市企业", "上市公司", "listed"),
    "unicorn": ("独角兽", "独角兽企业", "unicorn"),
    "rd_centre": ("省级企业研发中心", "企业技术中心", "研发中心", "省级研发中心", "rd_centre"),
    "digital_workshop": ("数字化车间", "digital_workshop"),
    "smart_factory": ("智能工厂", "未来工厂", "smart_factory"),
    "green_factory": ("绿色工厂", "green_factory"),
}
PARCEL_STATUSES = {
    "approved": ("批而未供", "已批未供", "已批准", "approved"),
    "granted": ("已供未建", "已供地", "已出让", "供而未建", "granted"),
    "under_construction": ("在建", "建设中", "开工建设", "under_construction"),
    "producing": ("已投产", "投产", "生产中", "已竣工投产", "producing"),
    "idle": ("闲置", "闲置土地", "停产闲置", "idle"),
}
SCALES = {
    "above": ("规上", "规模以上", "是", "规上企业", "above", "y", "yes", "1"),
    "below": ("规下", "规模以下", "否", "规下企业", "below", "n", "no", "0"),
}
