"""python -m twh_emulator --port PORT [--host 127.0.0.1]"""

from __future__ import annotations

import argparse
import sys

from .common import SETTINGS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twh_emulator", description="moto 5.2.5 extended with twh's AWS emulation")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
    parser.add_argument("--crawl-seconds", type=float, default=SETTINGS.crawl_seconds, help="how long a Glue crawl runs")
    parser.add_argument("--query-seconds", type=float, default=SETTINGS.query_seconds, help="how long an Athena query runs")
    parser.add_argument("--ingestion-seconds", type=float, default=SETTINGS.ingestion_seconds, help="how long a QuickSight ingestion runs")
    parser.add_argument(
        "--data-source-seconds", type=float, default=SETTINGS.data_source_seconds, help="how long a QuickSight data source stays *_IN_PROGRESS"
    )
    parser.add_argument(
        "--asset-seconds",
        type=float,
        default=SETTINGS.asset_seconds,
        help="how long a QuickSight analysis or dashboard/template/theme version stays *_IN_PROGRESS",
    )
    args = parser.parse_args(argv)
    SETTINGS.crawl_seconds = args.crawl_seconds
    SETTINGS.query_seconds = args.query_seconds
    SETTINGS.ingestion_seconds = args.ingestion_seconds
    SETTINGS.data_source_seconds = args.data_source_seconds
    SETTINGS.asset_seconds = args.asset_seconds

    from .server import serve  # imports moto: keep --help fast

    return serve(args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
