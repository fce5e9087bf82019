"""``kpi-toolkit workshop``: the scenario explorer served as a local web app for a workshop."""
from __future__ import annotations

import sys
from pathlib import Path

from kpi_toolkit.explorer.workshop import DEFAULT_PORT, HOST, free_port, port_is_free, serve, unusable_ip
from kpi_toolkit.inputs.loading import read_client
from kpi_toolkit.inputs.validation import format_problems


def add_command(subparsers) -> None:
    """Register ``kpi-toolkit workshop``."""
    p = subparsers.add_parser("workshop", help="serve the scenario explorer as a local web app (no code shown)")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    p.add_argument("--port", type=int, help=f"port (default {DEFAULT_PORT}, or a free one if taken)")
    p.add_argument("--ip", default=HOST,
                   help=f"address to listen on (default {HOST}: this computer only); give this computer's "
                        f"address on the workshop network to let participants open the app: they need the "
                        f"printed URL with its token")
    p.add_argument("--position", help="position id shown first (default: the one with most employees)")
    p.add_argument("--period", help="period YYYY-MM (default: client.yaml's period)")
    p.add_argument("--language", choices=["en", "ru"], help="language of the app (default: the client's)")
    p.set_defaults(func=cmd_workshop)


def cmd_workshop(args) -> int:
    folder = Path(args.client).resolve()
    client, problems = read_client(folder)
    errors = [p for p in problems if p.severity == "error"]
    if errors or client is None:
        print(format_problems(problems), file=sys.stderr)
        print(f"{args.client}: the workshop app was not started; fix the problems above first.", file=sys.stderr)
        return 1
    ip = args.ip.strip().removeprefix("[").removesuffix("]")
    unusable = _unusable_choice(client, args.position, args.period) or unusable_ip(ip)
    if unusable:
        print(f"error: {unusable}", file=sys.stderr)
        return 1
    port = args.port or (DEFAULT_PORT if port_is_free(DEFAULT_PORT, ip) else free_port(ip))
    if not port_is_free(port, ip):
        print(f"error: port {port} on {ip} is in use; choose another with --port", file=sys.stderr)
        return 1
    parameters = {"client_dir": str(folder), "position": args.position, "period": args.period,
                  "language": args.language}
    return serve(parameters, port, title=client.config.name, language=args.language or client.config.language,
                 ip=ip)


def _unusable_choice(client, position: str | None, period: str | None) -> str | None:
    if period and period not in client.periods:
        return f"no actuals for period {period}; periods with actuals: {', '.join(client.periods) or 'none'}"
    if position:
        staffed = set(client.employees["position_id"]) & set(client.position_kpis["position_id"])
        if position not in staffed:
            return f"position '{position}' has no KPIs or no employees; positions: {', '.join(sorted(staffed))}"
    return None
