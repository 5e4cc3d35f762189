"""The ``tanping`` command: check, ledger, new, build, diff.

Every input problem is a :class:`calc.errors.TanpingError`, caught here once and printed as a
clear message (file, line, field, what is wrong, how to fix it) with exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from calc.errors import TanpingError

EXIT_INPUT = 2


def _cmd_check(args: argparse.Namespace) -> int:
    from calc.pipeline import compute

    result = compute(args.dir, derive=False)
    kind = "建设项目" if result.__class__.__name__ == "ProjectResult" else "产业园区规划"
    print(f"{args.dir}: 输入有效（{kind}，{len(result.ledger)} 项计算结果）")
    return 0


def _cmd_ledger(args: argparse.Namespace) -> int:
    from calc.pipeline import compute

    result = compute(args.dir, derive=False)
    if args.json:
        print(result.ledger.to_json())
    else:
        for figure in result.ledger:
            print(f"{figure.key}\t{figure.value!r}\t{figure.unit}\t{figure.label}")
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
