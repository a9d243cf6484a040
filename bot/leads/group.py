"""Intake in groups, on SQLite: leads arriving together are stored in one transaction, each in
a savepoint of its own.

SQLite has one writer at a time. Alone, each intake took the write lock, began, wrote the same
few pages (the leads table and its indexes, the events, the outbox, the pool's pointer) and
committed them to the WAL; under load the lock, not the CPU, bounded intake (docs/architecture.md,
"One process or two"). Grouped, the requests waiting for the lock are served by one of them
(flat combining: no extra thread): it takes the waiting leads, stores each in a savepoint,
commits once, answers them all, and hands the lead role to the next waiter. A lead that fails
rolls back its own savepoint only; one bad lead affects only itself. An error of the database
itself (a full disk, a read-only file) fails the group, as it would each lead alone.

PostgreSQL has no single writer: concurrent intakes there run side by side (`LeadService.receive`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.leads.input import LeadIn
from bot.leads.records import by_external_id
from bot.leads.service import LeadService, Received
from storage.db import TROUBLE  # the database itself: the group fails, as each lead would

GROUP = 32  # leads per transaction, at most


@dataclass(eq=False)
class _Waiting:
    data: LeadIn
    actor: str
    turn: threading.Event = field(default_factory=threading.Event)  # answered, or leading
    leading: bool = False
    answered: bool = False
    result: Received | None = None
    error: BaseException | None = None
    alone: bool = False  # to be stored again on its own (LeadService.receive), once answered


def receive_in_savepoint(
    service: LeadService, session: Session, data: LeadIn, actor: str, *, pointer_apart: bool = True
) -> Received | None:
    """One lead in a savepoint of `session`, so that a failure rolls back this lead alone (an
    error of the database itself included: the caller decides). The same (source,
    external_id) stored earlier in this transaction is that lead (`created=False`); None
    when another conflicting row stood in the way."""
    try:
        with session.begin_nested():
            return service.receive_in(session, data, actor, pointer_apart=pointer_apart)
    except IntegrityError:
        stored = by_external_id(session, data)
        return None if stored is None else Received(*stored, created=False)


class GroupedIntake:
    def __init__(self, service: LeadService) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._led = False  # a request is storing a group right now

    def receive(self, data: LeadIn, actor: str = "intake") -> Received:
        """As `LeadService.receive`, for a request thread."""
        me = _Waiting(data, actor)
        with self._lock:
            self._waiting.append(me)
            if not self._led:
                self._led = me.leading = True
        while True:
            if me.leading:
                me.leading = False
                self._lead()
            me.turn.wait()
            me.turn.clear()
            if me.answered:
                break
        if me.alone:  # a duplicate race the group could not settle: with LeadService's retries
            return self.service.receive(data, actor)
        if me.error is not None:
            raise me.error
        assert me.result is not None
        return me.result

    def _lead(self) -> None:
        """Store one group (this request's lead among them), answer it, pass the lead role on."""
        with self._lock:
            group, self._waiting = self._waiting[:GROUP], self._waiting[GROUP:]
        try:
            self._store(group)
        except IntegrityError:  # a lead alone met a duplicate: LeadService.receive settles it
            for waiting in group:
                waiting.result, waiting.error, waiting.alone = None, None, True
        except BaseException as err:  # the transaction failed: every lead in it failed
            for waiting in group:
                waiting.result, waiting.error = None, err
        finally:
            for waiting in group:
                waiting.answered = True
                waiting.turn.set()
            with self._lock:
                if self._waiting:
                    successor = self._waiting[0]
                    successor.leading = True
                    successor.turn.set()
                else:
                    self._led = False

    def _store(self, group: list[_Waiting]) -> None:
        # A savepoint per lead only where there are others to keep: alone, the transaction is
        # the lead's (a savepoint cost as much as the rest of its INSERTs), and a failure fails
        # it alone. The leader keeps its role meanwhile, so the requests arriving now form the
        # next group instead of each taking the lock by itself.
        alone = len(group) == 1
        with self.service.db.write() as session:
            for waiting in group:
                if alone:
                    waiting.result = self.service.receive_in(session, waiting.data, waiting.actor)
                    continue
                try:
                    waiting.result = receive_in_savepoint(
                        self.service, session, waiting.data, waiting.actor
                    )
                    waiting.alone = waiting.result is None
                except TROUBLE:
                    raise
                except Exception as err:  # this lead only: its savepoint is rolled back
                    waiting.error = err
        if any(w.result is not None and w.result.created for w in group):
            self.service.wake()
