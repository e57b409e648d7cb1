"""Read a tenant's workflow-automation estate into the inventory, with an exact coverage record.

Per subscription (or, above ``--graph-threshold`` subscriptions, through Azure Resource Graph): security
automations, Logic App workflows (definition, identity), API connections (``properties.statuses``), role
assignments, custom role definitions, deny assignments and the assignments of the three built-in
workflow-automation DeployIfNotExists policies; once per tenant: the management-group tree and the
Defender recommendations' metadata.

Bodies are REST bodies, so they go through :meth:`InventoryBuilder.add_live_body` exactly like an exported
``GET`` response: live resources get the same inventory elements and the same checks; their origins
have ``file=None`` and the full ARM id as ``resource``. Before that, :func:`sanitize` removes what a
report must never show (an automation action's callback ``uri``, a connection's parameter values,
workflow parameter values, any ``sig=``) and escapes lone surrogates, which JSON allows and no output
can encode.

Azure's answers are input like any other: :mod:`.http` hands over only ARM objects (an item whose
``id``/``name``/``type``/``properties``... have the wrong type is left out and its read recorded as
failed), and what this module reads below the top level (a subscription's ``displayName``, a management
group's parent and children, Resource Graph's ancestor chain) is type-checked before use. Discovered
subscription ids must be GUIDs and management-group names must look like names before either goes into
a request path.

Reads run on a thread pool (``--concurrency``) over one pipeline (see :mod:`.http`); the main thread
turns finished reads into inventory parts, in a fixed order, so the report does not depend on timing.
Every (subscription × resource type) read and every tenant-level read ends in one
:class:`~auditor.model.CoverageRecord`: ``ok``, ``forbidden``, ``failed``, ``throttled-out`` or
``timed-out``; LIV001 reports every one that is not ``ok``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from auditor import model as m
from auditor.budget import reraise_bugs
from auditor.resource_ids import last_segment, last_segment_key
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.live.catalogue import (
    ACCESS_READS,
    GRAPH_BATCH,
    MANAGEMENT_GROUPS_TYPE,
    METADATA_API,
    METADATA_TYPE,
    MG_API,
    READS,
    SUBSCRIPTIONS_API,
    SUBSCRIPTIONS_TYPE,
    flagged_metadata,
    graph_row_body,
)
from auditor.sources.live.http import ArmHttp, ReadError, Stats, untrusted
from auditor.sources.live.options import (
    INSTALL_HINT,
    LiveError,
    LiveOptions,
    is_guid,
    is_management_group_name,
)
from auditor.sources.live.progress import NullProgress, Progress
from auditor.sources.live.results import LiveResult, Outcome, run_read
from auditor.sources.live.sanitizing import as_array, as_object, as_text, sanitize

if TYPE_CHECKING:
    from auditor.sources.live.catalogue import Read
    from auditor.sources.live.results import Task


# ---------------------------------------------------------------- the scanner


class LiveScanner:
    """One live scan (``run()`` once)."""

    def __init__(
        self, options: LiveOptions, progress: Progress | None = None, *, access_only: bool = False
    ) -> None:
        self.options = options
        self.progress: Progress = progress or NullProgress()
        self.access_only = access_only
        self.reads = ACCESS_READS if access_only else READS
        self.stats = Stats()
        self.stop = threading.Event()
        self.coverage: list[tuple[tuple[int, ...], m.CoverageRecord]] = []
        self.names: dict[str, str | None] = {}
        self.parts: list[tuple[tuple[int, ...], dict[str, list[Any]]]] = []  # non-empty inventory lists
        self.access: dict[str, list[dict[str, Any]]] = {}
        self.seen: dict[str, set[str]] = {}
        self.mg_parent: dict[str, str | None] = {}
        self.sub_parent: dict[str, str] = {}
        self.root_mg: str | None = None
        self.http: ArmHttp
        self.pool: ThreadPoolExecutor

    # ------------------------------------------------------------ set-up

    def _connect(self) -> tuple[Any, Any]:
        try:
            for module in ("azure.core", "azure.identity", "azure.mgmt.core", "requests"):
                importlib.import_module(module)
        except ImportError as exc:
            raise LiveError(
                f"live scanning needs the Azure SDK ({exc.name} is not installed): {INSTALL_HINT}"
            ) from None
        from auditor.sources.live.auth import build_credential, check_credential
        from auditor.sources.live.http import build_pipeline, make_transport

        o = self.options
        session, transport = make_transport(o.concurrency, o.request_timeout)
        credential = build_credential(o, transport)
        try:
            check_credential(credential, o)
        except BaseException:
            _close(credential, session)
            raise
        pipeline = build_pipeline(
            o.endpoint,
            credential,
            o.scope,
            transport,
            self.stats,
            retries=o.retries,
            max_retry_after=o.max_retry_after,
            max_answer_bytes=o.max_answer_bytes,
            answer_timeout=o.request_timeout,
        )
        self.http = ArmHttp(
            o.endpoint,
            pipeline,
            request_timeout=o.request_timeout,
            deadline=self.deadline,
            stop=self.stop,
            max_pages=o.max_pages,
            max_read_bytes=o.max_read_bytes,
        )
        return credential, session

    def run(self) -> LiveResult:
        """Sign in, discover the subscriptions, read them, and return what was read."""
        started = time.monotonic()
        self.deadline = started + self.options.scan_timeout
        credential, session = self._connect()
        self.pool = ThreadPoolExecutor(
            max_workers=self.options.concurrency, thread_name_prefix="auditor-live"
        )
        try:
            subs = self._discover()
            graph = len(subs) > self.options.graph_threshold
            if graph:
                self._graph(subs)
            else:
                self._per_subscription(subs)
        except BaseException:  # e.g. Ctrl-C: leave the terminal as it was
            self.progress.finish("live scan stopped")
            raise
        finally:
            self.stop.set()
            self.pool.shutdown(wait=False, cancel_futures=True)
            _close(credential, session)
        seconds = time.monotonic() - started
        coverage = [r for _, r in sorted(self.coverage, key=lambda x: x[0])]
        gaps = sum(1 for r in coverage if r.status != "ok")
        self.progress.finish(
            f"read {len(subs)} subscription{'s' if len(subs) != 1 else ''} "
            f"{'through Resource Graph' if graph else 'one by one'} in {seconds:.1f} s: "
            f"{self.stats.requests} requests, {self.stats.retries} retries, {self.stats.throttled} throttled; "
            + (f"{gaps} read{'s' if gaps != 1 else ''} incomplete (LIV001)" if gaps else "coverage complete")
        )
        self._warn_forbidden(coverage)
        return LiveResult(
            inventory=self._inventory(),
            coverage=coverage,
            access_data=self._access_data(),
            subscriptions=subs,
            stats=self.stats,
            mode="resource-graph" if graph else "per-subscription",
            seconds=seconds,
        )

    def _warn_forbidden(self, coverage: list[m.CoverageRecord]) -> None:
        """Name the missing role once per subscription (or per type when only some were refused)."""
        refused: dict[str | None, list[m.CoverageRecord]] = {}
        for record in coverage:
            if record.status == "forbidden":
                refused.setdefault(record.subscription, []).append(record)
        for sub, records in refused.items():
            name = self.names.get(sub) if sub else None
            where = (
                (f"subscription '{untrusted(name, 100)}' ({sub})" if name else f"subscription {sub}")
                if sub
                else "the tenant"
            )
            if sub and len(records) == len(self.reads):
                self.progress.note(
                    f"warning: {where}: every read was refused (403): assign the scanning identity Reader and "
                    "Security Reader on it (or on a management group above it)"
                )
                continue
            for record in records:
                self.progress.note(f"warning: cannot read {record.resource_type} in {where}: {record.detail}")

    # ------------------------------------------------------------ running reads

    def _drain(
        self,
        tasks: Iterable[Task],
        subs_total: int,
        per_sub: dict[str, int] | None = None,
        absorb: Callable[[Outcome], None] | None = None,
    ) -> None:
        """Run ``tasks`` and absorb their outcomes as they finish; at the deadline, the rest are timed out.

        At most ``4 × concurrency`` tasks are submitted at a time, so memory does not grow with the number
        of subscriptions (only the inventory does).
        """
        absorb = absorb or self._absorb
        todo = iter(tasks)
        window = max(4 * self.options.concurrency, 8)
        inflight: set[Future[Outcome]] = set()
        done_count = 0
        subs_done = 0
        remaining_by_sub = dict(per_sub or {})

        def take(outcome: Outcome) -> None:
            nonlocal done_count, subs_done
            absorb(outcome)
            done_count += 1
            if outcome.subscription is not None and outcome.subscription in remaining_by_sub:
                remaining_by_sub[outcome.subscription] -= 1
                if remaining_by_sub[outcome.subscription] == 0:
                    subs_done += 1
            self.progress.advance(
                self.stats, done=done_count, subscriptions_done=subs_done, subscriptions=subs_total
            )

        def fill() -> None:
            while len(inflight) < window:
                task = next(todo, None)
                if task is None:
                    return
                inflight.add(self._submit(*task))

        fill()
        while inflight:
            left = self.deadline - time.monotonic()
            if left <= 0:
                break
            finished, _ = wait(inflight, timeout=min(left, 0.5), return_when=FIRST_COMPLETED)
            for future in finished:
                inflight.discard(future)
                take(future.result())
            fill()
        if not inflight:
            return
        self.stop.set()
        late: list[Outcome] = []
        for future in inflight:
            if future.done() and not future.cancelled():
                take(future.result())  # finished just at the deadline
            else:
                future.cancel()  # a running read cannot be cancelled: its result is ignored
                late.append(self._pending(future))
        late.extend(Outcome(order, read, sub) for order, read, sub, _fn in todo)
        for outcome in sorted(late, key=lambda o: o.order):
            outcome.status = "timed-out"
            outcome.detail = (
                f"--scan-timeout ({self.options.scan_timeout:g} s) reached before this read finished"
            )
            take(outcome)

    def _submit(
        self,
        order: tuple[int, ...],
        read: Read | None,
        sub: str | None,
        fn: Callable[[], Iterable[list[dict[str, Any]]]],
    ) -> Future[Outcome]:
        future = self.pool.submit(run_read, order, read, sub, fn)
        future.auditor_meta = (order, read, sub)  # type: ignore[attr-defined]
        return future

    @staticmethod
    def _pending(future: Future[Outcome]) -> Outcome:
        order, read, sub = future.auditor_meta  # type: ignore[attr-defined]
        return Outcome(order, read, sub)

    def _run_one(self, order: tuple[int, ...], fn: Callable[[], Iterable[list[dict[str, Any]]]]) -> Outcome:
        """A tenant-level read, run now (with the deadline)."""
        future = self._submit(order, None, None, fn)
        left = max(0.0, self.deadline - time.monotonic())
        done, _ = wait([future], timeout=left)
        if not done:
            self.stop.set()
            return Outcome(order, None, None, status="timed-out", detail="--scan-timeout reached")
        return future.result()

    # ------------------------------------------------------------ discovery

    def _record(
        self, order: tuple[int, ...], sub: str | None, rtype: str, status: str, detail: str, items: int
    ) -> None:
        self.coverage.append(
            (
                order,
                m.CoverageRecord(
                    subscription=sub,
                    subscription_name=self.names.get(sub) if sub else None,
                    resource_type=rtype,
                    status=status,  # type: ignore[arg-type]
                    detail=detail,
                    items=items,
                ),
            )
        )

    def _discover(self) -> list[tuple[str, str | None]]:
        """The subscriptions to scan, with their names; the management-group tree on the way."""
        o = self.options
        http = self.http
        self.progress.start("signing in and listing subscriptions", 3)
        hierarchy = self._submit((0, 1), None, None, lambda: self._hierarchy_pages())
        metadata = None
        if not self.access_only:
            metadata = self._submit(
                (0, 2),
                None,
                None,
                lambda: http.pages(
                    f"/providers/{METADATA_TYPE}", {"api-version": METADATA_API}, METADATA_TYPE
                ),
            )
        subs: list[tuple[str, str | None]] = []
        if o.subscriptions:
            names = [(sub, self.pool.submit(self._subscription_name, sub)) for sub in o.subscriptions]
            for sub, name_future in names:
                subs.append((sub, name_future.result()))
        else:
            if o.management_group:
                path = f"/providers/Microsoft.Management/managementGroups/{o.management_group}/descendants"
                outcome = self._run_one(
                    (0, 0), lambda: http.pages(path, {"api-version": MG_API}, MANAGEMENT_GROUPS_TYPE)
                )
                for item in outcome.bodies:
                    kind = str(item.get("type", "")).lower()
                    name = as_text(item.get("name"))
                    if kind.endswith("/subscriptions") and name:
                        props = as_object(item.get("properties"))
                        subs.append((name, as_text(props.get("displayName"))))
                        parent = as_object(props.get("parent")).get("id")
                        if isinstance(parent, str):
                            self.sub_parent[name.lower()] = last_segment(parent)
            else:
                outcome = self._run_one(
                    (0, 0),
                    lambda: http.pages(
                        "/subscriptions", {"api-version": SUBSCRIPTIONS_API}, SUBSCRIPTIONS_TYPE
                    ),
                )
                for item in outcome.bodies:
                    sub_id = item.get("subscriptionId")
                    if isinstance(sub_id, str):
                        subs.append((sub_id, as_text(item.get("displayName"))))
            status, detail = outcome.status, outcome.detail
            odd = [sub for sub, _ in subs if not is_guid(sub)]
            if odd:  # it goes into every request path of the scan: only a subscription id may
                subs = [(sub, name) for sub, name in subs if is_guid(sub)]
                if status == "ok":
                    status = "failed"
                    detail = (
                        f"{len(odd)} listed subscription{'s' if len(odd) != 1 else ''} with an id that is not a "
                        f"GUID ('{untrusted(odd[0], 100)}') left out"
                    )
            if status == "ok" and not subs:
                status = "forbidden"
                scope = f"management group '{o.management_group}'" if o.management_group else "the tenant"
                detail = (
                    f"the identity can read no subscription in {scope}: assign it Reader and Security Reader on the "
                    "subscriptions (or a management group above them)"
                )
            self._record((0, 0), None, SUBSCRIPTIONS_TYPE, status, detail, len(subs))
        for sub, name in subs:
            self.names[sub] = name
        for future, rtype in ((hierarchy, MANAGEMENT_GROUPS_TYPE), (metadata, METADATA_TYPE)):
            if future is None:
                continue
            left = max(0.0, self.deadline - time.monotonic())
            done, _ = wait([future], timeout=left)
            outcome = (
                future.result()
                if done
                else Outcome((0,), None, None, status="timed-out", detail="--scan-timeout reached")
            )
            if rtype == METADATA_TYPE and outcome.status == "ok":
                problem = self._absorb_bodies((0, 2), [b for b in outcome.bodies if flagged_metadata(b)])
                if problem:
                    outcome.status, outcome.detail = "failed", problem
            self._record(
                (0, 1) if rtype == MANAGEMENT_GROUPS_TYPE else (0, 2),
                None,
                rtype,
                outcome.status,
                outcome.detail,
                outcome.items,
            )
        return subs

    def _subscription_name(self, sub: str) -> str | None:
        try:
            body = self.http.get(
                f"/subscriptions/{sub}", {"api-version": SUBSCRIPTIONS_API}, SUBSCRIPTIONS_TYPE
            )
        except ReadError:
            return None  # the reads of the subscription record why
        return as_text(body.get("displayName"))

    def _hierarchy_pages(self) -> Iterator[list[dict[str, Any]]]:
        """The management-group tree: the root's descendants when the root is readable, else each group."""
        http = self.http
        groups: list[dict[str, Any]] = []
        for page in http.pages(
            "/providers/Microsoft.Management/managementGroups",
            {"api-version": MG_API},
            MANAGEMENT_GROUPS_TYPE,
        ):
            groups.extend(page)
            yield page
        odd = [g for g in groups if not is_management_group_name(g.get("name"))]
        groups = [g for g in groups if is_management_group_name(g.get("name"))]
        root = next(
            (
                g
                for g in groups
                if str(g.get("name", "")).lower()
                == str(as_object(g.get("properties")).get("tenantId", "")).lower()
            ),
            None,
        )
        if root is not None:
            root_name = str(root["name"])
            self.mg_parent[root_name.lower()] = None
            self.root_mg = root_name
            path = f"/providers/Microsoft.Management/managementGroups/{root_name}/descendants"
            for page in http.pages(path, {"api-version": MG_API}, MANAGEMENT_GROUPS_TYPE):
                for item in page:
                    self._tree_item(item, as_object(item.get("properties")).get("parent"))
        else:
            for group in groups:
                name = str(group["name"])
                body = http.get(
                    f"/providers/Microsoft.Management/managementGroups/{name}",
                    {"api-version": MG_API, "$expand": "children"},
                    MANAGEMENT_GROUPS_TYPE,
                )
                props = as_object(body.get("properties"))
                parent = as_object(as_object(props.get("details")).get("parent"))
                ref = as_text(parent.get("id")) or as_text(parent.get("name"))
                self.mg_parent[name.lower()] = last_segment_key(str(ref)) if ref else None
                for child in as_array(props.get("children")):
                    child = as_object(child)
                    child_name = as_text(child.get("name"))
                    if child_name and str(child.get("type", "")).lower().endswith("/subscriptions"):
                        self.sub_parent[child_name.lower()] = name.lower()
        if odd:  # it would go into a request path: only a management group's name may
            raise ReadError(
                "failed",
                f"{len(odd)} management group{'s' if len(odd) != 1 else ''} with a name that is not a management "
                f"group name ('{untrusted(odd[0].get('name'), 100)}') left out",
            )

    def _tree_item(self, item: dict[str, Any], parent: Any) -> None:
        ref = as_text(as_object(parent).get("id"))
        parent_name = last_segment_key(str(ref)) if ref else None
        name = str(item.get("name", "")).lower()
        kind = str(item.get("type", "")).lower()
        if kind.endswith("/subscriptions"):
            if parent_name:
                self.sub_parent[name] = parent_name
        elif kind.endswith("managementgroups"):
            self.mg_parent[name] = parent_name

    # ------------------------------------------------------------ per subscription

    def _per_subscription(self, subs: list[tuple[str, str | None]]) -> None:
        http = self.http

        def tasks() -> Iterator[Task]:
            for i, (sub, _name) in enumerate(subs):
                for j, read in enumerate(self.reads):
                    params = {"api-version": read.api_version}
                    if read.filter:
                        params["$filter"] = read.filter
                    path = f"/subscriptions/{sub}/providers/{read.resource_type}"
                    yield (
                        (1, i, j),
                        read,
                        sub,
                        functools.partial(http.pages, path, params, read.resource_type),
                    )

        self.progress.start(
            f"reading {len(subs)} subscription{'s' if len(subs) != 1 else ''} "
            f"(concurrency {self.options.concurrency})",
            len(subs) * len(self.reads),
        )
        self._drain(tasks(), len(subs), {sub: len(self.reads) for sub, _ in subs})

    # ------------------------------------------------------------ Resource Graph

    def _graph(self, subs: list[tuple[str, str | None]]) -> None:
        http = self.http
        ids = [s for s, _ in subs]
        batches = [ids[i : i + GRAPH_BATCH] for i in range(0, len(ids), GRAPH_BATCH)]
        # which subscriptions Resource Graph can see, and the tree above them
        visible: set[str] = set()
        containers_ok = True
        for b, batch in enumerate(batches):
            outcome = self._run_one(
                (1, b),
                functools.partial(
                    http.graph,
                    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
                    "| project id, name, type, subscriptionId, properties",
                    subscriptions=batch,
                    what=SUBSCRIPTIONS_TYPE,
                ),
            )
            if outcome.status != "ok":
                containers_ok = False
                self._record(
                    (1, b),
                    None,
                    "Microsoft.ResourceGraph/resourcecontainers",
                    outcome.status,
                    outcome.detail,
                    outcome.items,
                )
                continue
            for row in outcome.bodies:
                sub = str(row.get("subscriptionId") or "").lower()
                visible.add(sub)
                chain = as_array(as_object(row.get("properties")).get("managementGroupAncestorsChain"))
                names = [
                    c["name"].lower()
                    for c in chain
                    if isinstance(c, dict) and is_management_group_name(c.get("name"))
                ]
                if names:
                    self.sub_parent.setdefault(sub, names[0])
                    for child, parent in zip(names, [*names[1:], None], strict=True):
                        self.mg_parent.setdefault(child, parent)
                    self.root_mg = self.root_mg or names[-1]
        tasks: list[Task] = []
        for j, read in enumerate(self.reads):
            query = (
                f"{read.table} | where {read.graph_where} "
                "| project id, name, type, location, kind, identity, properties, subscriptionId | order by id asc"
            )
            for b, batch in enumerate(batches):
                fn = functools.partial(http.graph, query, subscriptions=batch, what=read.resource_type)
                tasks.append(((2, j, b), read, None, fn))
            if read.tenant_level_rows and self.root_mg:
                fn = functools.partial(
                    http.graph,
                    query.replace(" | project", " and isempty(subscriptionId) | project", 1),
                    management_groups=[self.root_mg],
                    what=read.resource_type,
                )
                tasks.append(((2, j, len(batches)), read, None, fn))
        self.progress.start(f"reading {len(subs)} subscriptions through Resource Graph", len(tasks))
        outcomes: dict[tuple[int, ...], Outcome] = {}

        def absorb(outcome: Outcome) -> None:
            # the coverage of a batch is recorded per subscription below, from its outcome
            outcomes[outcome.order] = outcome
            self._absorb(outcome, record=False)

        self._drain(tasks, 0, absorb=absorb)  # queries, not subscriptions: no per-subscription progress
        for j, read in enumerate(self.reads):
            for b, batch in enumerate(batches):
                outcome = outcomes.get((2, j, b)) or Outcome(
                    (2, j, b), read, None, status="timed-out", detail="--scan-timeout reached"
                )
                per_sub = outcome.per_subscription or {}
                for k, sub in enumerate(batch):
                    i = b * GRAPH_BATCH + k
                    if outcome.status == "ok" and containers_ok and sub.lower() not in visible:
                        status, detail = (
                            "forbidden",
                            "Resource Graph does not show this subscription: the identity lacks read access "
                            "(Reader on the subscription or a management group above it grants it)",
                        )
                    else:
                        status, detail = outcome.status, outcome.detail
                    self._record(
                        (3, i, j), sub, read.resource_type, status, detail, per_sub.get(sub.lower(), 0)
                    )
            if read.tenant_level_rows:
                order = (2, j, len(batches))
                if order in outcomes:
                    outcome = outcomes[order]
                    self._record(
                        (4, j), None, read.resource_type, outcome.status, outcome.detail, outcome.items
                    )
                elif self.root_mg:
                    self._record((4, j), None, read.resource_type, "timed-out", "--scan-timeout reached", 0)

    # ------------------------------------------------------------ absorbing results

    def _absorb(self, outcome: Outcome, record: bool = True) -> None:
        read = outcome.read
        if read is not None and outcome.bodies:
            bodies = [b for b in outcome.bodies if read.keep is None or read.keep(b)]
            if outcome.subscription is None:  # Resource Graph rows: count them per subscription
                counts: dict[str, int] = {}
                for row in bodies:
                    sub = str(row.get("subscriptionId") or "").lower()
                    counts[sub] = counts.get(sub, 0) + 1
                outcome.per_subscription = counts
                bodies = [graph_row_body(row) for row in bodies]
            outcome.items = len(bodies)
            problem = self._absorb_bodies(outcome.order, bodies, read)
            if problem and outcome.status == "ok":
                outcome.status, outcome.detail = "failed", problem
        elif read is not None and read.keep is not None:
            outcome.items = 0
        outcome.bodies = []
        if record and read is not None:
            self._record(
                outcome.order,
                outcome.subscription,
                read.resource_type,
                outcome.status,
                outcome.detail,
                outcome.items,
            )

    def _absorb_bodies(
        self, order: tuple[int, ...], bodies: list[dict[str, Any]], read: Read | None = None
    ) -> str | None:
        """Turn bodies into inventory parts; why some could not be (None when all were)."""

        fresh: list[dict[str, Any]] = []
        key = read.resource_type if read else "metadata"
        seen = self.seen.setdefault(key, set())
        for body in bodies:
            ident = str(body.get("id", "")).lower()
            if ident and ident in seen:
                continue  # inherited assignments are listed once per subscription
            seen.add(ident)
            fresh.append(sanitize(body))
        if read is not None and read.access:
            self.access.setdefault(read.access, []).extend(fresh)
        if read is not None and not read.inventory:
            return None
        if self.access_only:
            return None
        part = InventoryBuilder()
        problem: str | None = None
        for body in fresh:
            try:
                part.add_live_body(body)
            except Exception as exc:  # one odd body must not end the scan (re-raised in the tests)
                if reraise_bugs():
                    raise
                problem = problem or (
                    f"the answer item '{untrusted(body.get('id', '?'), 120)}' could not be read "
                    f"({type(exc).__name__}) and was left out"
                )
        elements = part.finish()
        lists = {
            name: value
            for name in m.INVENTORY_FIELDS
            if isinstance(value := getattr(elements, name), list) and value
        }
        if lists:
            self.parts.append((order, lists))
        return problem

    def _inventory(self) -> m.Inventory:
        lists: dict[str, list[Any]] = {}
        for _, part in sorted(self.parts, key=lambda x: x[0]):
            for name, value in part.items():
                lists.setdefault(name, []).extend(value)
        self.parts = []
        return m.Inventory(**lists)

    def _access_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "_source": "auditor live scan",
            "roleDefinitions": self.access.get("roleDefinitions", []),
            "roleAssignments": self.access.get("roleAssignments", []),
            "denyAssignments": self.access.get("denyAssignments", []),
        }
        if self.mg_parent:
            data["managementGroups"] = dict(sorted(self.mg_parent.items()))
        if self.sub_parent:
            data["subscriptions"] = dict(sorted(self.sub_parent.items()))
        return data


def _close(credential: Any, session: Any) -> None:
    for thing in (credential, session):
        close = getattr(thing, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):  # closing must never hide the scan's own outcome
                close()


def scan_live(options: LiveOptions, progress: Progress | None = None) -> LiveResult:
    """Run one live scan (raises :class:`LiveError` when it cannot start)."""
    return LiveScanner(options, progress).run()


def export_access(options: LiveOptions, progress: Progress | None = None) -> LiveResult:
    """Read only what an access snapshot needs (role data and the management-group tree)."""
    return LiveScanner(options, progress, access_only=True).run()
