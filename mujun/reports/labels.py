"""Chinese labels for the published outputs: columns, lists, statuses, groups."""

from __future__ import annotations

from mujun.engine.indicators import INDICATORS

LIST_LABELS = {
    "above": "规上",
    "below": "规下≥3亩",
    "below_small": "规下<3亩",
    "tenant": "租赁企业",
}
GROUP_LABELS = {"above": "规上", "below": "规下"}
STATUS_LABELS = {
    "evaluated": "已评价",
    "exempt": "免评",
    "vetoed": "一票否决",
    "no_land": "无用地",
    "no_data": "数据缺失",
    "graded": "已评价",
    "not_graded": "未评价",
}

COLUMN_LABELS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "year": "年度",
    "group": "规模",
    "list": "名单",
    "division_code": "镇街代码",
    "division": "镇（街道）",
    "industry_code": "行业代码",
    "industry": "行业",
    "land_mu": "用地面积（亩）",
    "tax_paid": "实缴税金（万元）",
    "adjusted_tax": "评价税收（万元）",
    "total_score": "综合得分",
    "grade": "等级",
    "status": "状态",
    "reason": "说明",
    "rank": "排名",
    "own_land_mu": "自有土地（亩）",
    "vacant_mu": "空置（亩）",
    "landlord": "出租方",
    "bonus": "加分",
    "deduction": "减分",
    "own_grade": "自身等级",
    "parcel_grade": "宗地等级",
    "main_parcel": "主要宗地",
    "rd_test": "研发投入考核",
    "surcharge_rate": "差别电价（元/千瓦时）",
    "surcharge": "差别电费（万元）",
    "surcharge_refund": "差别电费返还（万元）",
    "industry_tax_per_mu": "行业亩均税收（万元/亩）",
    "land_tax_relief_share": "土地使用税减免比例",
    "land_tax_relief": "土地使用税减免（万元）",
    "benchmark_class": "基准值行业分类",
    "tax_fixed_asset_vat_credit": "加回固定资产进项税抵扣（万元）",
    "tax_vat_refund": "加回留抵退税（万元）",
    "tax_export_vat_offset": "加回免抵调库（万元）",
    "tax_export_refund": "加回出口退税（万元）",
    "tax_one_off_tax": "扣除一次性税收（万元）",
    # parcels
    "parcel_id": "宗地编号",
    "owner_uscc": "权利人统一社会信用代码",
    "area_mu": "宗地面积（亩）",
    "occupied_share": "使用率",
    "vacant_share": "空置率",
    "occupants": "使用企业数",
    "occupant_usccs": "使用企业",
    "tax_per_mu": "亩均税收（万元/亩）",
    "value_added_per_mu": "亩均增加值（万元/亩）",
    "value_added": "增加值（万元）",
    "incomplete": "数据不全企业",
}
for _i in INDICATORS.values():
    COLUMN_LABELS[f"ind_{_i.id}"] = f"{_i.name_zh}（{_i.unit}）"
    COLUMN_LABELS[f"score_{_i.id}"] = f"{_i.name_zh}得分"
    COLUMN_LABELS[f"bm_{_i.id}"] = f"{_i.name_zh}基准值（{_i.unit}）"


def label(column: str, methodology=None) -> str:
    """The column's Chinese header; a preset's own lever (`lever_<id>`) is named by the preset."""
    if column.startswith("lever_") and methodology is not None:
        for lever in methodology.policy.levers:
            if column == f"lever_{lever.id}":
                return f"{lever.name}（{lever.unit}）"
    return COLUMN_LABELS.get(column, column)
