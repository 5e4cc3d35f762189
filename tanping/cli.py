"""The ``tanping`` command: check, ledger, new, build, diff.

Every input problem is a :class:`calc.errors.TanpingError`, caught here once and printed as a
clear message (file, line, field, what is wrong, how to fix it) with exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tanping.calc.errors import TanpingError

EXIT_INPUT = 2


def _cmd_check(args: argparse.Namespace) -> int:
    from tanping.calc.pipeline import compute

    result = compute(args.dir)
    kind = "建设项目" if result.__class__.__name__ == "ProjectResult" else "产业园区规划"
    print(f"{args.dir}: 输入有效（{kind}，{len(result.ledger)} 项计算结果）")
    return 0


def _cmd_ledger(args: argparse.Namespace) -> int:
    from tanping.calc.pipeline import compute

    result = compute(args.dir)
    if args.json:
        print(result.ledger.to_json())
    else:
        for figure in result.ledger:
            print(f"{figure.key}\t{figure.value!r}\t{figure.unit}\t{figure.label}")
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from tanping.scaffold import new_report

    folder = new_report(args.kind, args.dir, force=args.force)
    print(f"已生成 {folder}：编辑 report.yml 与各章 Markdown，然后运行 `tanping check {folder}`")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    import os

    from mkdocs.exceptions import MkDocsException

    from tanping.calc.pipeline import compute
    from tanping.templates.publish import SiteBuildError, build_site, report_folders

    config = Path(args.config)
    content = config.parent / "content"
    for folder in report_folders(content):
        compute(folder)  # every report is valid before anything is written
    if args.no_pdf:
        os.environ["TANPING_PDF"] = "0"
    try:
        site = build_site(config, Path(args.site_dir) if args.site_dir else None)
    except (SiteBuildError, MkDocsException) as err:
        print(f"tanping: 构建失败，上一次的成功输出保持不变：\n{err}", file=sys.stderr)
        return EXIT_INPUT
    pdfs = sorted(site.glob("*/*.pdf"))
    print(f"站点：{site}（{len(pdfs)} 份 PDF）")
    for pdf in pdfs:
        print(f"  {pdf}")
    return 0


def _cmd_pdf(args: argparse.Namespace) -> int:
    from tanping.templates.pdf import PrintError
    from tanping.templates.publish import export_pdf, pdf_name

    folder = Path(args.dir)
    suffix = "-pdfa" if args.pdf_a else ""
    out = Path(args.output) if args.output else folder / f"{pdf_name(folder)[:-4]}{suffix}.pdf"
    try:
        export_pdf(folder, out, pdf_a=args.pdf_a)
    except PrintError as err:
        print(f"tanping: {err}", file=sys.stderr)
        return EXIT_INPUT
    kind = "PDF/A-3b（已检查声明、输出意图与字体嵌入）" if args.pdf_a else "PDF"
    print(f"{out}：{kind}")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from tanping.diff import DiffError, diff, format_markdown, format_text

    try:
        result = diff(Path(args.repo), args.rev_a, args.rev_b, content=args.content)
    except DiffError as err:
        print(f"tanping: {err}", file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(format_markdown(result) if args.markdown else format_text(result))
    if result.broken:  # the new revision does not compute: nothing can be judged, fix it first
        for report in result.broken:
            print(
                f"tanping: {report.folder} 在 {result.rev_b} 无法计算：\n{report.error_b}",
                file=sys.stderr,
            )
        return EXIT_INPUT
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tanping", description="碳评：环评碳排放评价章节的文档即代码工具"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="校验报告目录（不构建）")
    check.add_argument("dir", type=Path)
    check.set_defaults(run=_cmd_check)
    ledger = sub.add_parser("ledger", help="输出全部计算结果（台账）")
    ledger.add_argument("dir", type=Path)
    ledger.add_argument("--json", action="store_true", help="以 JSON 输出")
    ledger.set_defaults(run=_cmd_ledger)
    new = sub.add_parser("new", help="生成一份可直接构建的报告目录")
    new.add_argument("--kind", choices=["project", "park"], required=True)
    new.add_argument("dir", type=Path)
    new.add_argument("--force", action="store_true", help="目录已存在时仍写入（不覆盖已有文件）")
    new.set_defaults(run=_cmd_new)
    build = sub.add_parser("build", help="构建站点与每份报告的 PDF（失败时保留上次输出）")
    build.add_argument("--config", default="mkdocs.yml")
    build.add_argument("--site-dir", default=None)
    build.add_argument("--no-pdf", action="store_true", help="只构建站点")
    build.set_defaults(run=_cmd_build)
    pdf = sub.add_parser("pdf", help="只生成一份报告的 PDF（可选 PDF/A-3b 归档版）")
    pdf.add_argument("dir", type=Path)
    pdf.add_argument("-o", "--output", default=None, help="输出文件（默认在报告目录内）")
    pdf.add_argument("--pdf-a", action="store_true", help="生成并检查 PDF/A-3b 归档版")
    pdf.set_defaults(run=_cmd_pdf)
    diff = sub.add_parser(
        "diff",
        help="列出两个修订之间台账数值的变化（默认 HEAD 对工作区）",
        description="对 content/ 下每份报告，分别在两个修订计算台账，列出变化、新增与删除的数值、"
        "变更的输入文件；输入未变而数值变化时单独指出（因子库或计算代码变更）。",
    )
    diff.add_argument("rev_a", nargs="?", default="HEAD", help="原修订（默认 HEAD）")
    diff.add_argument("rev_b", nargs="?", default=None, help="新修订（默认：工作区）")
    diff.add_argument("--markdown", action="store_true", help="输出 Markdown（用于合并请求评论）")
    diff.add_argument("--content", default="content", help="报告目录的上级目录（默认 content）")
    diff.add_argument("-C", dest="repo", default=".", help="在该目录所在的 git 仓库中运行")
    diff.set_defaults(run=_cmd_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except TanpingError as err:
        print(f"tanping: {err.render()}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
