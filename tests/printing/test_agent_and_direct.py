"""Tickets reaching a printer (a TCP sink standing in for it): through the print agent against
a live server, and directly from the job engine where the operator allows it; a printer that
is off gets its ticket once it is back, exactly once."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select, update

from omniorder.core.database import db
from omniorder.jobs.engine import defer_for_tenant, use_flask_app
from omniorder.printing import agent
from omniorder.printing.direct import CLAIMED
from omniorder.printing.models import PrintJob
from omniorder.printing.tasks import print_cleanup
from tests.support import REPOSITORY
from tests.support.app import make_app
from tests.support.choices import bound
from tests.support.jobs import run_queue
from tests.support.printer import CUT, PrinterSink
from tests.support.printing import add_agent, items_named, place, set_printers


def jobs_of(app, tenant) -> list[PrintJob]:
    with bound(app, tenant):
        jobs = list(db.session.scalars(select(PrintJob).order_by(PrintJob.created_at)))
        db.session.expunge_all()
        return jobs


@pytest.fixture
def sink():
    with PrinterSink() as printer:
        yield printer


def test_the_agent_prints_each_ticket_once_and_acknowledges_it(
    app, make_tenant, live_server, sink, tmp_path
):
    tenant = make_tenant(domain="localhost", admin_email="admin@example.com")
    set_printers(app, tenant, [{"name": "Pass"}])
    token = add_agent(app, tenant)[1]
    client = app.test_client()
    order = place(
        client,
        tenant,
        [
            {
                "menu_item_id": items_named(app, tenant)["House Burger"],
                "quantity": 2,
                "note": "well done",
            }
        ],
        note="Allergic to sesame",
    )
    stop = threading.Event()
    state = tmp_path / "agent.json"
    running = threading.Thread(
        target=agent.run,
        args=(
            f"http://localhost:{live_server}",
            token,
            {"pass": ("127.0.0.1", sink.port)},
            state,
            stop,
            0.1,
        ),
    )
    running.start()
    try:
        (ticket,) = sink.wait_for(1)
        assert f"#{order['number']}".encode() in ticket and b"2 x House Burger" in ticket
        assert b"NOTE: well done" in ticket and b"Allergic to sesame" in ticket
        assert CUT in ticket
        deadline = time.monotonic() + 10
        while jobs_of(app, tenant)[0].printed_at is None:  # acknowledged
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        assert len(sink.tickets) == 1
    finally:
        stop.set()
        running.join(10)
    assert str(jobs_of(app, tenant)[0].id) in agent.PrintedIds(state)


def test_an_agent_that_crashed_after_printing_acknowledges_without_printing_again(
    app, make_tenant, live_server, sink, tmp_path
):
    tenant = make_tenant(domain="localhost", admin_email="admin@example.com")
    set_printers(app, tenant, [{"name": "Pass"}])
    token = add_agent(app, tenant)[1]
    place(
        app.test_client(),
        tenant,
        [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}],
    )
    (job,) = jobs_of(app, tenant)
    printed = agent.PrintedIds(tmp_path / "agent.json")
    printed.add(str(job.id))  # printed, then the agent died before its acknowledgement
    server = agent.Server(f"http://localhost:{live_server}", token, ["Pass"])
    assert agent.print_round(server, {"pass": ("127.0.0.1", sink.port)}, printed) == 0
    assert sink.tickets == [] and jobs_of(app, tenant)[0].printed_at is not None


def test_an_agent_whose_printer_is_off_leaves_the_ticket_for_later(
    app, make_tenant, live_server, tmp_path
):
    tenant = make_tenant(domain="localhost", admin_email="admin@example.com")
    set_printers(app, tenant, [{"name": "Pass"}])
    token = add_agent(app, tenant)[1]
    place(
        app.test_client(),
        tenant,
        [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}],
    )
    off = PrinterSink().start()
    port = off.port
    off.stop()
    server = agent.Server(f"http://localhost:{live_server}", token, ["Pass"])
    printed = agent.PrintedIds(tmp_path / "agent.json")
    assert agent.print_round(server, {"pass": ("127.0.0.1", port)}, printed) == 0
    (job,) = jobs_of(app, tenant)
    assert job.printed_at is None and job.attempts == 1
    with bound(app, tenant):  # its lease ran out
        db.session.execute(update(PrintJob).values(leased_until=None))
    with PrinterSink(port) as back_on:
        assert agent.print_round(server, {"pass": ("127.0.0.1", port)}, printed) == 1
        assert len(back_on.wait_for(1)) == 1


# ------------------------------------------------------------------------------ direct


@pytest.fixture
def direct_app(database_url):
    app = make_app(database_url, OMNIORDER_PRINT_DIRECT="any")
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_a_direct_printer_gets_its_ticket_from_the_job_engine(direct_app, make_tenant, sink):
    app = direct_app
    tenant = make_tenant()
    set_printers(app, tenant, [{"name": "Pass", "host": "127.0.0.1", "port": sink.port}])
    order = place(
        app.test_client(),
        tenant,
        [
            {
                "menu_item_id": items_named(app, tenant)["Onion Rings"],
                "quantity": 1,
                "note": "extra dip",
            }
        ],
    )
    run_queue(app, "printing")
    (ticket,) = sink.wait_for(1)
    assert f"#{order['number']}".encode() in ticket and b"Onion Rings" in ticket
    assert b"extra dip" in ticket and CUT in ticket
    (job,) = jobs_of(app, tenant)
    assert job.direct and job.printed_at is not None and job.attempts == 1


def test_a_printer_that_is_off_gets_its_ticket_once_it_is_back_exactly_once(
    direct_app, make_tenant
):
    app = direct_app
    tenant = make_tenant()
    off = PrinterSink().start()
    port = off.port
    off.stop()
    set_printers(app, tenant, [{"name": "Pass", "host": "127.0.0.1", "port": port}])
    started = time.monotonic()
    place(
        app.test_client(),
        tenant,
        [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}],
    )
    assert time.monotonic() - started < 5  # the order does not wait for the printer
    run_queue(app, "printing")  # fails, retried within seconds
    (job,) = jobs_of(app, tenant)
    assert (
        job.printed_at is None and job.leased_until is None and "refused" in job.last_error.lower()
    )
    with PrinterSink(port) as back_on:
        time.sleep(2.5)
        run_queue(app, "printing")
        assert len(back_on.wait_for(1)) == 1
        with bound(app, tenant):  # a second run of the job (a retry after a lost worker)
            defer_for_tenant("send_ticket", job_id=str(job.id))
        run_queue(app, "printing")
        time.sleep(0.3)
        assert len(back_on.tickets) == 1
    (job,) = jobs_of(app, tenant)
    assert job.printed_at is not None and job.attempts == 2


def test_a_worker_that_died_after_its_claim_never_sends_the_ticket_again(
    direct_app, make_tenant, sink
):
    app = direct_app
    tenant = make_tenant()
    set_printers(app, tenant, [{"name": "Pass", "host": "127.0.0.1", "port": sink.port}])
    place(
        app.test_client(),
        tenant,
        [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}],
    )
    with bound(app, tenant):  # what a worker killed between its claim and its report leaves
        db.session.execute(update(PrintJob).values(leased_until=CLAIMED, attempts=1))
    run_queue(app, "printing")
    time.sleep(0.3)
    assert sink.tickets == []


@pytest.mark.parametrize(
    "argument, printer",
    [
        ("Pass=192.168.1.50:9100", ("Pass", ("192.168.1.50", 9100))),
        ("Bar=10.0.0.2", ("Bar", ("10.0.0.2", 9100))),
        ("Cold=[fe80::1]:9101", ("Cold", ("fe80::1", 9101))),
    ],
)
def test_the_agents_printer_arguments(argument, printer):
    assert agent.parse_printer(argument) == printer


@pytest.mark.parametrize("argument", ["bad", "=1.2.3.4", "Pass=", "Pass=host:port"])
def test_bad_printer_arguments_stop_the_agent_with_a_message(argument, capsys):
    with pytest.raises(SystemExit) as stopped:
        agent.main(["--url", "https://pizza.example.com", "--token", "t", "--printer", argument])
    assert stopped.value.code == 2 and "NAME=HOST[:PORT]" in capsys.readouterr().err


def test_tickets_printed_a_week_ago_are_deleted_the_others_kept(app, client, tenant, db_connection):
    set_printers(app, tenant, [{"name": "Pass"}])
    for _ in range(3):
        place(client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}])
    old, fresh, waiting = jobs_of(app, tenant)
    with bound(app, tenant):
        db.session.execute(
            update(PrintJob)
            .where(PrintJob.id == old.id)
            .values(printed_at=db.text("now() - interval '8 days'"))
        )
        db.session.execute(
            update(PrintJob).where(PrintJob.id == fresh.id).values(printed_at=db.text("now()"))
        )
    use_flask_app(app)
    assert print_cleanup(timestamp=0)["rows"] == 1  # as a worker runs it
    assert [job.id for job in jobs_of(app, tenant)] == [fresh.id, waiting.id]


def test_the_console_agent_killed_and_started_again_prints_each_ticket_once(
    app, make_tenant, live_server, sink, tmp_path
):
    tenant = make_tenant(domain="localhost", admin_email="admin@example.com")
    set_printers(app, tenant, [{"name": "Pass"}])
    token = add_agent(app, tenant)[1]
    place(
        app.test_client(),
        tenant,
        [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}],
    )
    command = [
        sys.executable,
        "-m",
        "omniorder.printing.agent",
        "--url",
        f"http://localhost:{live_server}",
        "--printer",
        f"Pass=127.0.0.1:{sink.port}",
        "--state",
        str(tmp_path / "agent.json"),
        "--interval",
        "0.1",
    ]
    environment = {**os.environ, "OMNIORDER_PRINT_TOKEN": token}
    for run in range(2):
        process = subprocess.Popen(command, env=environment, cwd=REPOSITORY)
        try:
            sink.wait_for(1)
            if run == 0:
                deadline = time.monotonic() + 10
                while jobs_of(app, tenant)[0].printed_at is None:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            else:
                time.sleep(1)  # a few polls of the restarted agent
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
    assert len(sink.tickets) == 1
