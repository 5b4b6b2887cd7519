"""Serving benchmark: the file view behind real servers on 127.0.0.1, against baselines
measured in the same run.

Run: ``.venv/bin/python -m benchmarks.bench_serving`` (or ``scripts/bench serving``). Needs
the ``test`` and ``bench`` extras (gunicorn, uvicorn, whitenoise) and Debian's ``wrk`` and
``nginx`` (``apt-get install wrk nginx-light``); without them those rows are skipped.

* requests/s for a 1 MB local file, gunicorn sync workers, wrk on loopback: the view vs a
  plain Django ``FileResponse`` view on the same file                      target >= 1.0x
  (per request: time <= 1.0x), with whitenoise and nginx (static, the ceiling) on the same
  file, and nginx in front of gunicorn sending the view's ``X-Accel-Redirect``, for reference
* peak RSS growth of the uvicorn process while 20 clients download a 1 GB file at once
  through the view (Django's ASGI handler, the view's async body)          target <= 64 MB
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.server_process import HOST, free_port, server_process
from tests.support.serving_servers import (
    SiteServer,
    make_site_root,
    running_gunicorn,
    running_uvicorn,
    sha256_of,
    write_random_file,
)

from ._harness import Row, Timing, print_rows

INSTALL_HINT = "apt-get install wrk nginx-light"
FILE_NAME = "bench.bin"


def find_tool(name: str) -> str | None:
    """A Debian tool on PATH, or in /usr/sbin (nginx) when PATH lacks it."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")


# -- nginx ---------------------------------------------------------------------------------


def nginx_config(scratch: Path, port: int, public: Path, upstream: int) -> str:
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read scratch files
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    temp = "\n".join(
        f"    {kind}_temp_path {scratch / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {scratch / "nginx.pid"};
error_log {scratch / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    {mime}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
{temp}
    server {{
        listen {HOST}:{port};
        # nginx alone: the ceiling.
        location /static/ {{ alias {public}/; }}
        # The view decides (policy, headers), nginx sends the bytes.
        location /files/ {{
            proxy_pass http://{HOST}:{upstream};
            proxy_set_header Host $host;
        }}
        location /protected/ {{
            internal;
            alias {public}/;
        }}
    }}
}}
"""


@contextmanager
def running_nginx(nginx: str, scratch: Path, public: Path, upstream: int) -> Iterator[int]:
    """nginx in the foreground (a child process) with a config and temp dirs in scratch."""
    scratch.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = scratch / "nginx.conf"
    config.write_text(nginx_config(scratch, port, public, upstream))
    command = [nginx, "-p", str(scratch), "-c", str(config), "-e", str(scratch / "error.log")]
    with server_process("nginx", command, scratch, port=port) as (found, _log):
        yield found


# -- load ----------------------------------------------------------------------------------


def run_wrk(wrk: str, url: str, seconds: int, connections: int) -> float:
    """Requests per second that wrk measured; any error response or socket error fails."""
    completed = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    output = completed.stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk got error responses from {url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{output}")
    return float(match.group(1))


def fetch(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def check_target(port: int, path: str, content: bytes) -> None:
    """Each target must send the file (and honour a Range, but Django's FileResponse does
    not) before it is timed."""
    status, _headers, body = fetch(port, path)
    if status != 200 or body != content:
        raise RuntimeError(f"{path} on port {port}: status {status}, {len(body)} bytes")
    if path.startswith("/plain/"):
        return
    status, _headers, body = fetch(port, path, Range="bytes=1000-1999")
    if status != 206 or body != content[1000:2000]:
        raise RuntimeError(f"{path} on port {port}: Range answered {status}")


def wsgi_rows(
    scratch: Path, wrk: str, nginx: str | None, seconds: int, rounds: int, connections: int
) -> tuple[list[Row], dict[str, float]]:
    root = make_site_root(scratch / "site")
    content = write_random_file(root / "public" / FILE_NAME, 1 << 20, seed=1)
    assert content is not None
    with running_gunicorn(root, scratch, workers=2, whitenoise=True) as gunicorn:
        targets = {
            "view": (gunicorn.port, f"/files/public/{FILE_NAME}"),
            "FileResponse": (gunicorn.port, f"/plain/{FILE_NAME}"),
            "whitenoise": (gunicorn.port, f"/wn/{FILE_NAME}"),
        }
        with _maybe_nginx(nginx, scratch / "nginx", root / "public", gunicorn) as nginx_port:
            if nginx_port is not None:
                targets["nginx static"] = (nginx_port, f"/static/{FILE_NAME}")
                targets["nginx + view (X-Accel-Redirect)"] = (
                    nginx_port,
                    f"/files/accel/{FILE_NAME}",
                )
            for port, path in targets.values():
                check_target(port, path, content)
            samples: dict[str, list[float]] = {name: [] for name in targets}
            for _ in range(rounds):  # interleaved: drift hits every target alike
                for name, (port, path) in targets.items():
                    url = f"http://{HOST}:{port}{path}"
                    samples[name].append(run_wrk(wrk, url, seconds, connections))
    rps = {name: statistics.median(values) for name, values in samples.items()}
    # Time per request, each round's: the rows then carry their spread.
    per_request = {
        name: Timing([1 / value for value in values]) for name, values in samples.items()
    }
    base = per_request["FileResponse"]
    rows = [
        Row("1 MB, gunicorn: view / FileResponse (per request)", per_request["view"], base, 1.0),
        Row("1 MB, gunicorn: whitenoise / FileResponse", per_request["whitenoise"], base, None),
    ]
    if "nginx static" in rps:
        rows.append(
            Row("1 MB: nginx static / FileResponse", per_request["nginx static"], base, None)
        )
        rows.append(
            Row(
                "1 MB: nginx + view X-Accel-Redirect / FileResponse",
                per_request["nginx + view (X-Accel-Redirect)"],
                base,
                None,
            )
        )
    return rows, rps


@contextmanager
def _maybe_nginx(
    nginx: str | None, scratch: Path, public: Path, upstream: SiteServer
) -> Iterator[int | None]:
    if nginx is None:
        yield None
        return
    with running_nginx(nginx, scratch, public, upstream.port) as port:
        yield port


# -- ASGI memory ---------------------------------------------------------------------------


def asgi_rows(scratch: Path, megabytes: int, clients: int) -> tuple[list[Row], str]:
    root = make_site_root(scratch / "asgi-site")
    path = root / "public" / "big.bin"
    size = megabytes << 20
    write_random_file(path, size, seed=2)
    digest = sha256_of(path)
    with running_uvicorn(root, scratch) as server:
        (process,) = server.processes()
        fetch(server.port, "/files/public/missing")  # import and warm everything once
        fetch(server.port, "/files/public/big.bin", Range="bytes=0-999")
        baseline = process.memory_info().rss
        peak = baseline
        done = threading.Event()
        totals: list[int] = []
        errors: list[BaseException] = []

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, process.memory_info().rss)
                time.sleep(0.01)

        def download(check: bool) -> None:
            import hashlib

            try:
                connection = http.client.HTTPConnection(HOST, server.port, timeout=300)
                connection.request("GET", "/files/public/big.bin")
                response = connection.getresponse()
                if response.status != 200:
                    raise RuntimeError(f"status {response.status}")
                hasher = hashlib.sha256() if check else None
                buffer = bytearray(1 << 20)
                view = memoryview(buffer)
                total = 0
                while count := response.readinto(buffer):
                    total += count
                    if hasher is not None:
                        hasher.update(view[:count])
                connection.close()
                if hasher is not None and hasher.hexdigest() != digest:
                    raise RuntimeError("downloaded bytes differ from the file")
                totals.append(total)
            except BaseException as exc:
                errors.append(exc)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        threads = [threading.Thread(target=download, args=(i == 0,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    if errors or totals != [size] * clients:
        raise RuntimeError(f"downloads failed: {errors or totals}")
    rate = clients * size / elapsed / 2**20
    note = (
        f"{clients} x {megabytes} MB in {elapsed:.1f} s ({rate:.0f} MB/s in total), "
        f"server RSS {baseline / 2**20:.0f} MB before, peak {peak / 2**20:.0f} MB"
    )
    growth = Row(
        f"ASGI: peak RSS growth, {clients} x {megabytes} MB downloads",
        float(peak - baseline),
        None,
        64 * 2**20,
        unit="MB",
    )
    return [growth], note


def run(args: argparse.Namespace) -> bool:
    wrk = find_tool("wrk")
    nginx = find_tool("nginx")
    met = True
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as scratch_name:
        scratch = Path(scratch_name)
        if wrk is None:
            print(f"\nwrk not found: requests/s rows skipped ({INSTALL_HINT})")
        else:
            if nginx is None:
                print(f"\nnginx not found: its rows are skipped ({INSTALL_HINT})")
            rows, rps = wsgi_rows(scratch, wrk, nginx, args.seconds, args.rounds, args.connections)
            met = print_rows("serving a 1 MB file over WSGI: time per request", rows)
            runs = f"median of {args.rounds} x {args.seconds} s, wrk -c{args.connections}"
            print(f"\nrequests/s ({runs}):")
            for name, value in rps.items():
                print(f"  {name:<36} {value:>9.1f}")
        rows, note = asgi_rows(scratch, args.asgi_mb, args.clients)
        met = print_rows("serving over ASGI (uvicorn): memory", rows) and met
        print(f"  {note}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved wrk runs per target")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--asgi-mb", type=int, default=1024, help="size of the ASGI file")
    parser.add_argument("--clients", type=int, default=20, help="concurrent ASGI downloads")
    args, _others = parser.parse_known_args()  # scripts/bench passes every benchmark's flags
    met = run(args)
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
