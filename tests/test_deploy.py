"""The deployment files as shipped (Dockerfile, compose.yaml, deploy/): each names only what
exists and agrees with the others. `.ci/image` builds the image itself and runs leadbot inside
it; these catch a renamed port, service or variable before anyone deploys."""

from __future__ import annotations

import configparser
import re
import threading
from argparse import Namespace
from io import StringIO
from pathlib import Path

import yaml

from tests.fakes.serving import wait_until

ROOT = Path(__file__).resolve().parents[1]


def _dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_the_image_is_two_stages_non_root_with_a_health_check() -> None:
    lines = _dockerfile()
    assert len([line for line in lines if line.startswith("FROM ")]) == 2
    assert lines[-1].startswith("CMD") and "--port 3000" in " ".join(
        re.findall(r'"([^"]+)"', lines[-1])
    )
    assert "USER leadbot" in lines and "EXPOSE 3000" in lines
    [health] = [line for line in lines if line.startswith("HEALTHCHECK")]
    assert "127.0.0.1:3000/healthz" in health
    for line in lines:
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is not here"


def test_compose_runs_postgres_and_two_instances_behind_one_port() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "leadbot-1", "leadbot-2", "proxy"} <= set(services)
    for name in ("leadbot-1", "leadbot-2"):
        assert "postgresql+psycopg://" in services[name]["environment"]["DATABASE_URL"]
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert [p.split(":")[-1] for p in services["proxy"]["ports"]] == ["8080"]
    nginx = (ROOT / "deploy/nginx.conf").read_text()
    assert re.findall(r"server (leadbot-\d):3000", nginx) == ["leadbot-1", "leadbot-2"]
    assert "listen 8080;" in nginx


def test_every_variable_compose_reads_is_in_the_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert used and used <= documented, f"not in .env.example: {sorted(used - documented)}"


def test_the_systemd_unit_reloads_with_sighup_and_stops_the_server_first() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy/leadbot.service")
    service = unit["Service"]
    assert "leadbot serve" in service["ExecStart"]
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["KillMode"] == "mixed" and service["NoNewPrivileges"] == "true"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_fake_slack_prints_how_to_point_leadbot_at_it_and_what_leadbot_posts() -> None:
    from bot.tools import fake_slack

    out, stop = StringIO(), threading.Event()
    runner = threading.Thread(
        target=fake_slack.run,
        args=(Namespace(host="127.0.0.1", port=0),),
        kwargs={"out": out, "stop": stop},
    )
    runner.start()
    try:
        wait_until(lambda: "export SLACK_API_URL=http://127.0.0.1:" in out.getvalue(), "the hint")
        url = re.search(r"SLACK_API_URL=(\S+)", out.getvalue())
        assert url is not None
        from slack_sdk import WebClient

        WebClient(token="xoxb-fake", base_url=url.group(1)).chat_postMessage(
            channel="C0LEADS", text="*Dana* arrived"
        )
        wait_until(lambda: "chat.postMessage → C0LEADS" in out.getvalue(), "the message drawn")
        assert "Dana arrived" in out.getvalue() or "*Dana* arrived" in out.getvalue()
    finally:
        stop.set()
        runner.join(timeout=10)
