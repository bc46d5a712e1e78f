"""The special report for the People's Congress (人大专项工作报告) on the sci-tech zone, as a PDF.

`report_data_from_dataset` gathers everything the report shows into a `ReportData` (plain values
and Polars frames, so the web app can assemble one from its database instead); `build_report` turns
it into HTML + CSS with hand-built SVG charts and renders it with WeasyPrint. The Chinese text is
set in the CJK font shipped in `mujun/reports/fonts` (no system font is assumed), and the PDF's
dates are the report's own date, so the same data gives the same file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path

import polars as pl

from mujun.dataset import Dataset
from mujun.engine.methodology import Methodology
from mujun.reports.disclosure import MAX_TOP_SHARE, MIN_FIRMS
from mujun.scitech import pipeline
from mujun.scitech.targets import Progress, Targets, load_targets, progress
from mujun.scitech.tasks import AREAS, STATUS_LABELS, Tasks, behind_schedule, load_tasks

HERE = Path(__file__).parent
FONTS = HERE / "fonts"
CSS_FILE = HERE / "templates" / "congress.css"
FONT_FAMILY = "Mujun Sans SC"
REPORT_KINDS = (
    "tech_sme",
    "high_tech",
    "srdi",
    "little_giant",
    "hidden_champion",
    "champion",
    "listed",
    "unicorn",
    "digital_workshop",
    "smart_factory",
    "green_factory",
)
CHART_KINDS = ("tech_sme", "high_tech", "srdi", "little_giant")
GRADES = ("A", "B", "C", "D")
COLOURS = ("#9b1c1c", "#2f5d8a", "#2f7d32", "#c98a00", "#6b4c9a")


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows. Frames (float64, unrounded):
    - `zone_counts`, `district_counts`: year, kind, enterprises (qualifications valid on 31 Dec)
    - `rd`: year, zone_rd_intensity, district_rd_intensity (规上, Σ R&D ÷ Σ revenue)
    - `rd_test`: year, passed, failed, pass_share (the zone's 规上 firms)
    - `grade_shares`: year, grade, firms, share (the zone's graded firms)
    - `tax_per_mu`: year, zone, district (Σ adjusted_tax ÷ Σ land_mu of evaluated firms)
    - `renewals`, `candidates`: the zone's high-tech certificates up for renewal, next-rung candidates
    - `ladder`: year, to_kind, moved, median_years (the zone's firms)
    - `tasks_behind`: tasks.behind_schedule"""

    title: str
    district: str
    zone: str
    year: int
    as_of: dt.date
    methodology: str
    zone_enterprises: int
    targets: list[Progress]
    zone_counts: pl.DataFrame
    district_counts: pl.DataFrame
    expiring: int
    renewals: pl.DataFrame
    candidates: pl.DataFrame
    ladder: pl.DataFrame
    rd: pl.DataFrame
    rd_test: pl.DataFrame
    grade_shares: pl.DataFrame
    tax_per_mu: pl.DataFrame
    tasks_behind: pl.DataFrame
    task_count: int


def report_data_from_dataset(
    ds: Dataset,
    year: int,
    methodology: Methodology,
    targets: Targets | None = None,
    tasks: Tasks | None = None,
    history: int = 5,
    as_of: dt.date | None = None,
) -> ReportData:
    """Evaluate the last `history` years up to `year` and gather the report's figures."""
    from mujun.engine import evaluate_years

    targets = targets or load_targets()
    tasks = tasks or load_tasks(targets=targets)
    as_of = as_of or dt.date(year, 12, 31)
    zone = targets.report.zone
    years = [y for y in ds.years() if year - history < y <= year]
    evaluations = evaluate_years(ds, years, methodology)
    enterprises = pl.concat([evaluations[y].enterprises for y in years], how="diagonal_relaxed")
    members = pipeline.in_zone(ds, zone)

    def counts(by_zone: bool) -> pl.DataFrame:
        if by_zone:
            c = pipeline.qualification_counts(ds, years, "zone", list(REPORT_KINDS))
            c = c.filter(pl.col("zone") == zone).drop("zone")
            grid = pl.DataFrame({"year": years}).join(
                pl.DataFrame({"kind": list(REPORT_KINDS)}), how="cross"
            )
            return grid.join(c, on=["year", "kind"], how="left").with_columns(
                pl.col("enterprises").fill_null(0)
            )
        return pipeline.qualification_counts(ds, years, "district", list(REPORT_KINDS)).drop(
            "district"
        )

    rd_zone = pipeline.rd_intensity(ds, years, "zone").filter(pl.col("zone") == zone)
    rd_district = pipeline.rd_intensity(ds, years, "district")
    rd = (
        pl.DataFrame({"year": years})
        .join(
            rd_zone.select("year", pl.col("rd_intensity").alias("zone_rd_intensity")),
            on="year",
            how="left",
        )
        .join(
            rd_district.select("year", pl.col("rd_intensity").alias("district_rd_intensity")),
            on="year",
            how="left",
        )
    )
    zone_rows = enterprises.join(members, on="uscc", how="semi")
    graded = zone_rows.filter(pl.col("grade").is_not_null())
    grade_shares = (
        graded.group_by("year", "grade")
        .agg(pl.len().cast(pl.Int64).alias("firms"))
        .with_columns((pl.col("firms") / pl.col("firms").sum().over("year")).alias("share"))
        .sort("year", "grade")
    )

    def per_mu(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        """Σ tax ÷ Σ land, blank where it would be one firm's (the report is read by deputies,
        who see no single firm's tax: mujun.reports.disclosure)."""
        done = frame.filter(pl.col("status") == "evaluated")
        tax = pl.col("adjusted_tax")
        shown = (pl.len() >= MIN_FIRMS) & (tax.sum() > 0) & (tax.max() <= MAX_TOP_SHARE * tax.sum())
        return done.group_by("year").agg(
            pl.when(shown).then(tax.sum() / pl.col("land_mu").sum()).alias(name)
        )

    tax_per_mu = (
        pl.DataFrame({"year": years})
        .join(per_mu(zone_rows, "zone"), on="year", how="left")
        .join(per_mu(enterprises, "district"), on="year", how="left")
    )
    zone_ids = members
    moves = pipeline.ladder_moves(ds).join(zone_ids, on="uscc", how="semi")
    return ReportData(
        title=targets.report.title,
        district=targets.report.district,
        zone=zone,
        year=year,
        as_of=as_of,
        methodology=methodology.name,
        zone_enterprises=ds.annual.filter(pl.col("year") == year)
        .join(members, on="uscc", how="semi")
        .height,
        targets=progress(ds, targets, year),
        zone_counts=counts(True),
        district_counts=counts(False),
        expiring=pipeline.expiring(ds, year).join(members, on="uscc", how="semi").height,
        renewals=pipeline.renewals_due(ds, year).join(members, on="uscc", how="semi"),
        candidates=pipeline.candidates(ds, year).join(members, on="uscc", how="semi"),
        ladder=pipeline.ladder_summary(moves, years),
        rd=rd,
        rd_test=pipeline.rd_test_results(enterprises, members),
        grade_shares=grade_shares,
        tax_per_mu=tax_per_mu,
        tasks_behind=behind_schedule(tasks, as_of),
        task_count=len(tasks.task),
    )


# -- formatting --------------------------------------------------------------------------------


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _e(text: object) -> str:
    return escape(str(text))


def _table(head: list[str], rows: list[list[str]], numeric_from: int = 1, cls: str = "") -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if i >= numeric_from else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def bar_chart(
    categories: list[str],
    series: dict[str, list[float]],
    width: float = 480,
    height: float = 200,
    percent: bool = False,
) -> str:
    """Grouped vertical bars as inline SVG: one group per category, one bar per series."""
    left, bottom, top, right = 40.0, 28.0, 24.0, 8.0
    plot_w, plot_h = width - left - right, height - bottom - top
    peak = max([v for vs in series.values() for v in vs if v is not None] + [0.0]) or 1.0
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" font-size="9">'
    ]
    for k in range(5):
        v = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        label = f"{v * 100:.1f}%" if percent else f"{v:,.0f}"
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 3}" y="{y + 3:.1f}" text-anchor="end">{label}</text>'
        )
    for i, cat in enumerate(categories):
        x0 = left + i * group_w + group_w * 0.1
        for j, values in enumerate(series.values()):
            v = values[i] or 0.0
            h = plot_h * v / peak
            out.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}"/>'
            )
        out.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{height - bottom + 14}" '
            f'text-anchor="middle">{_e(cat)}</text>'
        )
    x = left
    for j, name in enumerate(series):
        out.append(
            f'<rect x="{x:.1f}" y="6" width="9" height="9" fill="{COLOURS[j % len(COLOURS)]}"/>'
            f'<text x="{x + 12:.1f}" y="14">{_e(name)}</text>'
        )
        x += 14 + 10 * len(name) + 12
    out.append("</svg>")
    return "".join(out)


def _progress_bar(p: Progress) -> str:
    if p.progress is None:
        return "—"
    fill = min(max(p.progress, 0.0), 1.0) * 100
    cls = "fill" if p.on_track else "fill behind"
    return (
        f'<div class="bar"><div class="{cls}" style="width:{fill:.1f}%"></div>'
        f'<div class="expected" style="left:{p.expected * 100:.1f}%"></div></div>'
    )


def _count(frame: pl.DataFrame, year: int, kind: str) -> int:
    row = frame.filter((pl.col("year") == year) & (pl.col("kind") == kind))
    return int(row.get_column("enterprises").sum()) if row.height else 0


def _value(frame: pl.DataFrame, year: int, column: str) -> float | None:
    row = frame.filter(pl.col("year") == year)
    return None if row.is_empty() else row.get_column(column)[0]


# -- sections ----------------------------------------------------------------------------------


def _summary(d: ReportData) -> str:
    on_track = sum(1 for p in d.targets if p.on_track)
    measured = sum(1 for p in d.targets if p.on_track is not None)
    y = d.year
    cards = [
        (f"{d.zone_enterprises}", f"{d.zone}{y}年在统企业（家）"),
        (f"{_count(d.zone_counts, y, 'high_tech')}", "高新技术企业（家）"),
        (f"{_count(d.zone_counts, y, 'tech_sme')}", "科技型中小企业（家）"),
        (f"{on_track}/{measured}", "目标按进度推进（项）"),
        (_pct(_value(d.rd, y, "zone_rd_intensity"), 2), "规上企业研发投入强度"),
        (_n(_value(d.tax_per_mu, y, "zone"), 1), "亩均税收（万元/亩）"),
    ]
    card_html = "".join(
        f'<div class="card"><div class="value">{_e(v)}</div><div class="label">{_e(label)}</div></div>'
        for v, label in cards
    )
    behind = [p for p in d.targets if p.on_track is False]
    points = [
        f"{d.zone}在统企业{d.zone_enterprises}家，其中高新技术企业{_count(d.zone_counts, y, 'high_tech')}家、"
        f"科技型中小企业{_count(d.zone_counts, y, 'tech_sme')}家、专精特新中小企业"
        f"{_count(d.zone_counts, y, 'srdi')}家、“小巨人”{_count(d.zone_counts, y, 'little_giant')}家。",
        f"{len(d.targets)}项目标中{on_track}项按进度推进，{len(behind)}项滞后"
        + (
            f"（{'、'.join(p.title for p in behind[:4])}{'等' if len(behind) > 4 else ''}）"
            if behind
            else ""
        )
        + "。",
        f"规上企业研发投入强度：{d.zone}{_pct(_value(d.rd, y, 'zone_rd_intensity'), 2)}，"
        f"全区{_pct(_value(d.rd, y, 'district_rd_intensity'), 2)}。",
        f"亩均税收：{d.zone}{_n(_value(d.tax_per_mu, y, 'zone'), 1)}万元/亩，"
        f"全区{_n(_value(d.tax_per_mu, y, 'district'), 1)}万元/亩（{d.methodology}评价方法）。",
        f"本年到期资质{d.expiring}项，高新技术企业待重新认定{d.renewals.height}家，"
        f"具备申报上一梯度条件的企业{d.candidates.height}家。",
        f"人大监督重点任务{d.task_count}项，截至{d.as_of:%Y年%m月%d日}滞后{d.tasks_behind.height}项。",
    ]
    items = "".join(f"<li>{_e(p)}</li>" for p in points)
    return (
        f'<section class="summary"><h1>{_e(d.title)}</h1>'
        f'<div class="subtitle">{_e(d.district)} · {y}年度 · 报告日期 {d.as_of:%Y年%m月%d日}</div>'
        f'<h2>一、总体情况</h2><div class="cards">{card_html}</div>'
        f'<ul class="points">{items}</ul>'
        f'<p class="note">数据来源：亩均论英雄数据库（企业年度数据、资质认定、人才）；'
        f"资质按当年12月31日有效计；目标进度按基期至目标年线性推进测算。</p></section>"
    )


def _targets(d: ReportData) -> str:
    rows = []
    for p in d.targets:
        # output in 万元 reads better in 亿元
        scale, unit, digits = (1e4, "亿元", 2) if p.unit == "万元" else (1.0, p.unit, 0)

        def show(v: float | None, scale: float = scale, digits: int = digits) -> str:
            return _n(None if v is None else v / scale, digits)

        status = (
            "—"
            if p.on_track is None
            else ('<span class="ok">正常</span>' if p.on_track else '<span class="no">滞后</span>')
        )
        trend = " → ".join(show(v) for _, v in p.trend)
        rows.append(
            [
                _e(p.title) + (f'<div class="note">{_e(p.zone)}</div>' if p.zone else ""),
                f"{p.baseline_year}年 {show(p.baseline)}",
                f"{show(p.target)}（{p.deadline}年）",
                show(p.current) + _e(unit),
                _pct(p.progress, 0),
                _progress_bar(p),
                status,
                f'<span class="note">{_e(trend)}</span>',
            ]
        )
    sources = "".join(f"<li>{_e(p.title)}：{_e(p.source)}</li>" for p in d.targets)
    return (
        "<section><h2>二、目标任务完成情况</h2>"
        + _table(
            ["指标", "基期", "目标", "现值", "进度", "进度条（竖线：应达）", "状态", "近年走势"],
            rows,
            cls="targets",
        )
        + f'<h3>目标来源</h3><ul class="note">{sources}</ul></section>'
    )


def _pipeline(d: ReportData) -> str:
    years = sorted(d.zone_counts.get_column("year").unique().to_list())
    head = ["资质", *[f"{y}年" for y in years], f"全区{d.year}年"]
    rows = [
        [
            _e(pipeline.KIND_LABELS[k]),
            *[str(_count(d.zone_counts, y, k)) for y in years],
            str(_count(d.district_counts, d.year, k)),
        ]
        for k in REPORT_KINDS
    ]
    chart = bar_chart(
        [str(y) for y in years],
        {
            pipeline.KIND_LABELS[k]: [float(_count(d.zone_counts, y, k)) for y in years]
            for k in CHART_KINDS
        },
    )
    ladder_rows = [
        [
            _e(pipeline.KIND_LABELS[r["to_kind"]]),
            str(r["year"]),
            str(r["moved"]),
            _n(r["median_years"], 1),
        ]
        for r in d.ladder.sort("year", "to_kind").iter_rows(named=True)
    ]
    cand = (
        d.candidates.group_by("next_kind")
        .len()
        .with_columns(pl.col("next_kind").cast(pl.Enum(list(pipeline.KIND_LABELS))))
        .sort("next_kind")
    )
    cand_rows = [
        [_e(pipeline.KIND_LABELS[r["next_kind"]]), str(r["len"])]
        for r in cand.iter_rows(named=True)
    ]
    renew_rows = [
        [
            _e(r["name"]),
            f"{r['valid_from']:%Y-%m-%d}",
            f"{r['valid_to']:%Y-%m-%d}",
            "是" if r["renewed"] else "否",
        ]
        for r in d.renewals.head(15).iter_rows(named=True)
    ]
    return (
        f"<section><h2>三、科技企业梯度培育（{_e(d.zone)}）</h2>"
        + _table(head, rows)
        + chart
        + "<h3>梯度晋升（当年首次取得上一梯度资质）</h3>"
        + (
            _table(["晋升至", "年度", "企业数", "用时中位数（年）"], ladder_rows)
            if ladder_rows
            else "<p>无。</p>"
        )
        + f"<h3>{d.year}年具备申报上一梯度条件的企业</h3>"
        + (_table(["可申报", "企业数"], cand_rows) if cand_rows else "<p>无。</p>")
        + '<p class="note">按 ladder.toml 中的营业收入、研发投入、人数和成立年限门槛测算，其余认定条件须另行核实。</p>'
        + f"<h3>{d.year}年高新技术企业待重新认定（三年期满）</h3>"
        + (
            _table(["企业", "发证日期", "有效期至", "已重新认定"], renew_rows, 3)
            if renew_rows
            else "<p>无。</p>"
        )
        + "</section>"
    )


def _land(d: ReportData) -> str:
    years = d.tax_per_mu.get_column("year").to_list()
    shares = {
        g: [
            float(
                d.grade_shares.filter((pl.col("year") == y) & (pl.col("grade") == g))
                .get_column("share")
                .sum()
            )
            for y in years
        ]
        for g in GRADES
    }
    share_rows = [[f"{y}年", *[_pct(shares[g][i], 1) for g in GRADES]] for i, y in enumerate(years)]
    tax_rows = [
        [f"{r['year']}年", _n(r["zone"], 2), _n(r["district"], 2)]
        for r in d.tax_per_mu.iter_rows(named=True)
    ]
    rd_rows = [
        [f"{r['year']}年", _pct(r["zone_rd_intensity"], 2), _pct(r["district_rd_intensity"], 2)]
        for r in d.rd.iter_rows(named=True)
    ]
    test_rows = [
        [f"{r['year']}年", str(r["passed"]), str(r["failed"]), _pct(r["pass_share"], 1)]
        for r in d.rd_test.iter_rows(named=True)
    ]
    chart = bar_chart(
        [str(y) for y in years],
        {
            d.zone: [v or 0.0 for v in d.tax_per_mu.get_column("zone").to_list()],
            "全区": [v or 0.0 for v in d.tax_per_mu.get_column("district").to_list()],
        },
    )
    return (
        f"<section><h2>四、亩均效益和研发投入（{_e(d.zone)}）</h2>"
        "<h3>亩均税收（万元/亩）</h3>"
        + _table(["年度", d.zone, "全区"], tax_rows)
        + chart
        + "<h3>综合评价等级分布（参评企业）</h3>"
        + _table(["年度", *[f"{g}类" for g in GRADES]], share_rows)
        + "<h3>规上企业研发投入强度</h3>"
        + _table(["年度", d.zone, "全区"], rd_rows)
        + "<h3>研发投入专项评价（R&D≥100万元或≥2%）</h3>"
        + _table(["年度", "达标", "未达标", "达标率"], test_rows)
        + "</section>"
    )


def _tasks(d: ReportData) -> str:
    rows = [
        [
            _e(r["id"]),
            _e(AREAS[r["area"]]),
            _e(r["title"]),
            _e(r["unit"]),
            f"{r['due']:%Y-%m-%d}",
            _e(STATUS_LABELS[r["status"]]),
            str(r["days_overdue"]),
            _e(r["last_note"] or ""),
        ]
        for r in d.tasks_behind.iter_rows(named=True)
    ]
    table = (
        _table(
            ["编号", "领域", "任务", "责任单位", "完成时限", "状态", "逾期天数", "最新进展"],
            rows,
            6,
        )
        if rows
        else "<p>无滞后任务。</p>"
    )
    return (
        f"<section><h2>五、滞后任务（截至{d.as_of:%Y年%m月%d日}）</h2>{table}"
        '<p class="note">滞后：标记为滞后，或未完成且已过完成时限。</p></section>'
    )


def report_html(d: ReportData) -> str:
    """The report as one HTML document (styles linked separately, see `build_report`)."""
    stamp = f"{d.as_of:%Y-%m-%d}"
    head = (
        f'<meta charset="utf-8"><title>{_e(d.title)}</title>'
        f'<meta name="author" content="{_e(d.district)}">'
        f'<meta name="generator" content="mujun">'
        f'<meta name="dcterms.created" content="{stamp}">'
        f'<meta name="dcterms.modified" content="{stamp}">'
    )
    body = _summary(d) + _targets(d) + _pipeline(d) + _land(d) + _tasks(d)
    return f'<!DOCTYPE html><html lang="zh-CN"><head>{head}</head><body>{body}</body></html>'


def font_css() -> str:
    faces = []
    for style, weight in (("Regular", 400), ("Bold", 700)):
        uri = (FONTS / f"MujunSansSC-{style}.otf").as_uri()
        faces.append(
            f"@font-face {{ font-family: '{FONT_FAMILY}'; src: url('{uri}'); font-weight: {weight}; }}"
        )
    return "\n".join(faces)


def build_report(data: ReportData) -> bytes:
    """The PDF (A4) of the report."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    styles = [
        CSS(string=font_css(), font_config=fonts),
        CSS(string=CSS_FILE.read_text(encoding="utf-8"), font_config=fonts),
    ]
    return HTML(string=report_html(data), base_url=str(HERE)).write_pdf(
        stylesheets=styles, font_config=fonts
    )
