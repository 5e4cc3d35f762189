"""The ``tanping`` command: check, ledger, new, build, pdf, diff.

Every input problem is a :class:`calc.errors.TanpingError` (report inputs, chapters, the PDF, the
site build and its site directory, ``diff``), caught here once, in :func:`main`, and printed as a
clear message (file, line, field, what is wrong, how to fix it) with exit code 2; no traceback.
A file system refusal that no layer turned into one (``OSError``) is printed the same way.

A reader that stops early (``tanping ledger … | head``) closes the pipe: the command then stops
quietly with exit code 141 (128 + SIGPIPE), what a shell reports for ``cat``, ``grep`` and other
tools cut off by ``head``, so that ``set -o pipefail`` scripts still see the output was cut.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tanping.calc.errors import TanpingError

EXIT_INPUT = 2
EXIT_BROKEN_PIPE = 128 + 13  # 128 + SIGPIPE, as a shell reports a writer cut off by `head`


def _cmd_check(args: argparse.Namespace) -> int:
    from tanping.templates.filing import FilingErrors, check_report
    from tanping.templates.kinds import kind_of
    from tanping.templates.render import chapter_files

    page, problems = check_report(args.dir, filing=args.filing)
    if problems:
        raise FilingErrors(problems)
    kind = kind_of(page.report).name
    chapters = len(chapter_files(page.folder))
    verdict = "，符合报批要求" if args.filing else ""
    print(f"{args.dir}: 输入有效（{kind}，{len(page.ledger)} 项计算结果，{chapters} 章）{verdict}")
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


def _report_arguments(config: Path, names: Sequence[str]) -> list[Path] | None:
    """The report folders named on the command line (a slug under the docs folder, or a path),
    or ``None`` for every report; an unknown name is refused with the list of reports."""
    from tanping.calc.errors import InputError, Location
    from tanping.templates.publish import report_folders

    if not names:
        return None
    content = config.parent / "content"
    known = {folder.name: folder for folder in report_folders(content)}
    chosen = []
    for name in names:
        path = Path(name)
        if path.name == "report.yml":
            path = path.parent
        if (path / "report.yml").is_file() and path.resolve().parent == content.resolve():
            chosen.append(path.resolve())
        elif name in known:
            chosen.append(known[name].resolve())
        else:
            raise InputError(
                f"没有名为 “{name}” 的报告",
                f"可构建的报告：{'、'.join(sorted(known)) or '（无）'}；报告须是 {content} 下含 "
                "report.yml 的目录",
                Location(str(name)),
            )
    return chosen


def _cmd_build(args: argparse.Namespace) -> int:
    from tanping.progress import Progress
    from tanping.templates.publish import build_site, site_target

    config = Path(args.config)
    site_dir = Path(args.site_dir) if args.site_dir else None
    site_target(config, site_dir)  # a site directory that must not be replaced is refused first
    reports = _report_arguments(config, args.reports)
    outputs = not args.no_pdf and os.environ.get("TANPING_PDF", "1") != "0"

    def waiting() -> None:
        print("tanping: 另一个构建正在写入同一站点目录，等待其完成后再构建…", file=sys.stderr)

    with Progress() as progress:
        site = build_site(
            config, site_dir, on_wait=waiting, reports=reports, outputs=outputs, events=progress
        )
    pdfs = sorted(site.glob("*/*.pdf"))
    print(progress.summary())
    print(f"站点：{site}（{len(pdfs)} 份 PDF）")
    for pdf in pdfs:
        print(f"  {pdf}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from tanping.serve import serve

    return int(serve(Path(args.config), host=args.host, port=args.port, open_browser=args.open))


def _cmd_pdf(args: argparse.Namespace) -> int:
    from tanping.templates.publish import export_pdf, renderer

    folder = Path(args.dir)
    if folder.is_file():  # the path of report.yml
        folder = folder.parent
    mode = "review" if args.profile == "review" else "print"  # the renderer's print modes
    out = export_pdf(
        folder,
        Path(args.output) if args.output else folder,
        pdf_a=args.pdf_a,
        filing=args.filing,
        page=renderer(folder, mode=mode),
    )
    kind = "PDF/A-3b（已检查声明、输出意图与字体嵌入）" if args.pdf_a else "PDF"
    from tanping.templates.filing import check_report

    _, problems = check_report(folder, filing=True)
    status = "征求意见稿：未通过报批检查，见 tanping check --filing" if problems else "报批版"
    print(f"{out}：{kind}，{status}")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from tanping.diff import diff, format_markdown, format_text

    result = diff(Path(args.repo), args.rev_a, args.rev_b, content=args.content)
    sys.stdout.write(format_markdown(result) if args.markdown else format_text(result))
    if result.broken:  # the new revision does not compute: nothing can be judged, fix it first
        for report in result.broken:
            print(
                f"tanping: {report.folder} 在 {result.rev_b} 无法计算：\n{report.error_b}",
                file=sys.stderr,
            )
        return EXIT_INPUT
    return 0


def _cmd_docx(args: argparse.Namespace) -> int:
    from tanping.templates.word import export_docx

    folder = args.dir.parent if args.dir.is_file() else args.dir
    out = export_docx(folder, Path(args.output) if args.output else folder)
    print(f"{out}：Word 文件（样式取自 templates/print/reference.docx）")
    return 0


def _cmd_xlsx(args: argparse.Namespace) -> int:
    from tanping.templates.excel import export_xlsx

    folder = args.dir.parent if args.dir.is_file() else args.dir
    out = export_xlsx(folder, Path(args.output) if args.output else folder)
    print(f"{out}：Excel 文件（每表一个工作表，另附台账）")
    return 0


def _cmd_survey(args: argparse.Namespace) -> int:
    from tanping.calc.loader import read_report
    from tanping.calc.survey import fill_survey, save_workbook, survey_workbook

    report = Path(args.report) if args.report else None
    workbook = survey_workbook(args.kind, report)
    if report is not None and args.filled:
        fill_survey(workbook, args.kind, read_report(report)[0])
    out = save_workbook(workbook, Path(args.file))
    print(f"{out}：{'建设项目' if args.kind == 'project' else '产业园区规划'}调查表")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from tanping.calc.survey import import_workbook

    out, count = import_workbook(Path(args.file), Path(args.dir))
    print(f"{out}：已导入 {count} 行（报告已按手写 YAML 的同样规则校验）")
    return 0


def _office_parsers(sub: Any) -> None:
    """docx, xlsx, survey and import (issue 12)."""
    docx = sub.add_parser("docx", help="生成一份报告的 Word 文件")
    docx.add_argument("dir", type=Path)
    docx.add_argument("-o", "--output", default=None, help="输出文件（默认在报告目录内）")
    docx.set_defaults(run=_cmd_docx)
    xlsx = sub.add_parser("xlsx", help="把一份报告的表格与台账导出为 Excel 文件")
    xlsx.add_argument("dir", type=Path)
    xlsx.add_argument("-o", "--output", default=None, help="输出文件（默认在报告目录内）")
    xlsx.set_defaults(run=_cmd_xlsx)
    survey = sub.add_parser("survey", help="生成发给企业的调查表（Excel）")
    survey.add_argument("--kind", choices=["project", "park"], required=True)
    survey.add_argument("--report", default=None, help="取该报告的情景、年份、企业与因子集")
    survey.add_argument("--filled", action="store_true", help="同时填入该报告现有的数据")
    survey.add_argument("file", type=Path)
    survey.set_defaults(run=_cmd_survey)
    imp = sub.add_parser("import", help="把填好的调查表导入报告目录（data/survey.yml）")
    imp.add_argument("file", type=Path)
    imp.add_argument("dir", type=Path)
    imp.set_defaults(run=_cmd_import)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tanping", description="碳评：环评碳排放评价章节的文档即代码工具"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="校验报告目录（不构建）")
    check.add_argument("dir", type=Path)
    check.add_argument(
        "--filing",
        action="store_true",
        help="同时检查报批要求：无占位标记、章节结构完整、正文无手写数量、情景数据完整",
    )
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
    build = sub.add_parser(
        "build",
        help="构建站点与每份报告的 PDF（未改动的报告取自缓存；失败时保留上次输出）",
    )
    build.add_argument("--config", default="mkdocs.yml")
    build.add_argument("--site-dir", default=None)
    build.add_argument("--no-pdf", action="store_true", help="只构建站点")
    build.add_argument(
        "reports", nargs="*", metavar="REPORT", help="只构建这些报告（目录名或路径；默认全部）"
    )
    build.set_defaults(run=_cmd_build)
    serve = sub.add_parser(
        "serve",
        help="写作预览：保存即更新页面（只构建站点，不生成 PDF）",
        description="在 127.0.0.1 上提供站点预览；监视报告目录，只重新计算、渲染改动的报告，"
        "页面自动刷新；输入有错时页面与终端显示出错的文件和行，页面保留上次的正确内容。",
    )
    serve.add_argument("--config", default="mkdocs.yml")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    serve.add_argument("--open", action="store_true", help="在浏览器中打开")
    serve.set_defaults(run=_cmd_serve)
    pdf = sub.add_parser("pdf", help="只生成一份报告的 PDF（可选 PDF/A-3b 归档版）")
    pdf.add_argument("dir", type=Path)
    pdf.add_argument("-o", "--output", default=None, help="输出文件（默认在报告目录内）")
    pdf.add_argument("--pdf-a", action="store_true", help="生成并检查 PDF/A-3b 归档版")
    pdf.add_argument(
        "--filing",
        action="store_true",
        help="报批版：报告未通过 tanping check --filing 的检查时不生成 PDF（否则生成征求意见稿）",
    )
    pdf.add_argument(
        "--profile",
        choices=["filing", "review"],
        default="filing",
        help="filing：报批版（默认，不含文件名、字段名、台账键等内部标识）；"
        "review：审阅版（每个数字标注计算过程编号并列出数据位置）",
    )
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
    _office_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except TanpingError as err:
        print(f"tanping: {err.render()}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as err:  # a refusal of the file system that no layer located
        where = f"{err.filename}：" if err.filename else ""
        print(f"tanping: {where}{err.strerror or err}", file=sys.stderr)
        print("    修改建议：检查该路径是否存在、类型是否正确、是否可读写", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of what is still buffered
    does not fail on the closed pipe a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout replaced by an object without a file descriptor
        pass


if __name__ == "__main__":
    sys.exit(main())
