"""Schemathesis over every operation of the OpenAPI document, in-process against the WSGI app.

Each operation gets the examples, coverage and fuzzing phases (at least 100 generated cases,
valid and invalid) with a fixed seed, as an admin, and every response goes through all of
schemathesis' checks: no server error, documented status codes, content types, headers and
bodies, invalid data refused, valid data accepted, authentication enforced.

One app and one SQLite database serve the whole run: they are built at import, because
schemathesis builds its coverage cases (with their credentials) when pytest collects. The
database is seeded once with facilitators, a scheduled group with members, sessions,
invitations, feed tokens, a webhook with deliveries, calendar sources, a group proposal and a
second group planned in a scheduling batch (around the first, which shares its people); path
parameters (and ids in bodies) are then often those of real rows, so the 2xx paths run and not
only the 404s.
Every operation starts from that seeded copy.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import sqlite3
import tempfile
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from services.api.app import create_app
from services.api.schemas.common import OUT_OF_RANGE
from services.scheduler.scheduler import Scheduler
from services.scheduler.webhook_http import Outcome
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.models import ApiKey
from shared.db.session import make_engine, make_session_factory
from shared.use_cases import answers, availability_links
from shared.use_cases.api_keys import KEY_PREFIX, create_client, hash_key
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING
from tests.itip_replies import icalendar_reply

# Fixed for CI; set these to explore further locally.
SEED = int(os.environ.get("INTERVISIE_FUZZ_SEED", "20261124"))
MAX_EXAMPLES = int(os.environ.get("INTERVISIE_FUZZ_EXAMPLES", "100"))
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

# Reasons a 422 may give for a request that the schema calls valid: rules between fields, or
# about other rows, the clock or the world, which JSON Schema cannot state. Anything else that
# rejects schema-valid data is a gap in the documented schema and fails the run.
RULES_BEYOND_JSON_SCHEMA = [
    re.compile(pattern)
    for pattern in (
        r"^Not a known IANA time zone: ",  # the tz database is the list, and it changes
        # Every text field refuses control characters and lone surrogates (the API description
        # says so once, rather than a pattern on each of its strings).
        r"^must not contain control characters ", r"^is not valid Unicode text ", r"^is nested too deeply$",
        r"^must be after start$",  # a weekly window or a date-time range ends after it starts
        r"^must not be before start \(dates are inclusive\)$",
        r"^must be after earliest$",  # a group's day window
        r"^earliest–latest is shorter than one session$",
        r"^no facilitator [0-9a-f-]{36}$",  # a reference to a row that does not exist
        r"^no participants [0-9a-f-]{36}(, [0-9a-f-]{36})*$",
        r"^no group [0-9a-f-]{36}$",
        r"^min_size ≤ ideal_size ≤ max_size must hold$",  # an order between three fields
        # Rules the document states in words, as generated clients cannot read them as schemas:
        # a pool is participant_ids or filters; an unavailable period's start and end are real
        # dates or date-times (its pattern has the shape only), both of one kind.
        r"^give participant_ids or filters$",
        r"^Not a valid date \(YYYY-MM-DD\) or RFC 3339 date-time with offset: ",
        r"^start and end must both be dates or both date-times$",
        r"^must be in the future$",  # a session is moved against the clock
        r"^must be a Monday$", r"^must lie within two years of today$",  # the week of who can when
        r"^must lie within 1 year before and 5 years after today$",  # when a programme starts
        rf"^{re.escape(OUT_OF_RANGE)}$",  # OpenAPI 3.0 has no bounds for date-times
        r"^the group needs a facilitator before it can be scheduled$",  # the group's state, not the request
        r"^the group has \d+ member\(s\); scheduling needs at least 3$",
        # A calendar reply is text that JSON Schema can only call a string: what iCalendar makes
        # of it, and whether the session and attendee exist, are rules beyond it.
        r"^not an iCalendar object ", r"^expected a VCALENDAR", r"^is \S+; only REPLY answers an invitation$",
        r"^a REPLY here has exactly one VEVENT", r"^is missing", r"^is not a whole number$", r"^is negative$",
        r"^\d+ is older than the session's \d+", r"^a REPLY names one attendee", r"^'.*' is not an e-mail address$",
        r"^\S+ is not invited to this session$", r"^is \S+; an answer is ACCEPTED, TENTATIVE or DECLINED$",
        r"^no session has the UID ", r"^the session is cancelled; there is nothing to answer$",
        # A calendar's address: what RFC 3986 and the SSRF rules make of a string the pattern
        # only starts (its host, port, credentials, fragment; where its host resolves).
        r"^not a valid URL ", r"^must name a host", r"^must not carry credentials$", r"^must not have a fragment$",
        r"^must not use port 0$", r"^not allowed: its host must resolve to public addresses only$",
    )
]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        "checks": {
            "positive_data_acceptance": {
                # 412: a well-formed If-Match that names another version is refused, as documented.
                # 422: only for RULES_BEYOND_JSON_SCHEMA, which `rejected_only_by_documented_rules`
                # holds every 422 to.
                "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 412, 422, 429],
            },
        },
        "operations": [
            {
                # The answer and availability pages are HTML for people: a form whose CSRF field
                # is not the page's (which no schema can state), or a week with no half hour
                # ticked or a period that ends before it starts, is a 400 page that says so, not a
                # 422 problem. A recorded answer is a 303 to its page (post/redirect/get).
                "include-path-regex": "^/(answer|availability)/",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 303, 400, 404, 429]}},
            },
        ],
    }
)

DATABASE = Path(tempfile.gettempdir()) / f"intervisie-fuzz-{uuid.uuid4().hex[:12]}.db"
SEEDED = DATABASE.with_suffix(".seeded.db")
SETTINGS = Settings(
    database_url=f"sqlite:///{DATABASE}",
    public_url="http://intervisie.test",
    secret_key="fuzzing-secret",
    rate_limit="1000000 per minute",
    feed_rate_limit="1000000 per minute",
    failed_key_limit="1000000 per minute",
)
ENGINE = make_engine(SETTINGS.database_url)  # connects on first use, in the `seeded` fixture
SESSION_FACTORY = make_session_factory(ENGINE)
# No worker: scheduling runs stay queued, messages pile up in the stub broker.
SCHEDULER = Scheduler(SETTINGS, SESSION_FACTORY, autostart=False, clock=lambda: NOW, worker_timeout_ms=50)
APP = create_app(SETTINGS, session_factory=SESSION_FACTORY, scheduler=SCHEDULER, clock=lambda: NOW)
ADMIN_KEY = KEY_PREFIX + secrets.token_urlsafe(32)

schema = schemathesis.openapi.from_wsgi("/openapi.json", APP, config=CONFIG)

# Path and query parameter name -> ids (or feed tokens) of seeded rows.
KNOWN: dict[str, list[str]] = {}
TIME_ZONES = ["Europe/Amsterdam", "America/New_York", "Asia/Kolkata"]
_idempotency_keys = itertools.count()
SOURCE_OWNERS: dict[str, tuple[str, str]] = {}
"""A seeded calendar source's id -> its owner's path parameter and id."""
# Operations the fuzzer called, and those of them that succeeded (2xx, or a page's 303) at least once.
ATTEMPTED: set[str] = set()
SUCCEEDED: set[str] = set()


@schema.auth(retry_on=[])
class AdminKey:
    def get(self, case, context):
        return ADMIN_KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _is_uuid(value) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _sometimes_known(values):
    """Swap well-formed ids for ids of real rows half of the time (never a deliberately invalid value)."""
    if not isinstance(values, dict):
        return st.just(values)
    choices = {}
    for name, value in values.items():
        known = KNOWN.get(name, [])
        if known and (_is_uuid(value) or (name == "token" and isinstance(value, str))):
            choices[name] = st.sampled_from([value, *known])
        else:
            choices[name] = st.just(value)
    return st.fixed_dictionaries(choices)


@schema.hook
def flatmap_path_parameters(context, parameters):
    return _sometimes_known(parameters)


@schema.hook
def flatmap_query(context, query):
    return _sometimes_known(query)


@schema.hook
def flatmap_body(context, body):
    """Bodies that name real facilitators and participants, and a real time zone, some of the time."""
    if not isinstance(body, dict):
        return st.just(body)
    choices = {name: st.just(value) for name, value in body.items()}
    if _is_uuid(body.get("facilitator_id")):
        choices["facilitator_id"] = st.sampled_from([body["facilitator_id"], *KNOWN.get("facilitator_id", [])])
    ids = body.get("participant_ids")
    if isinstance(ids, list) and ids and all(_is_uuid(i) for i in ids):
        choices["participant_ids"] = st.sampled_from([ids, KNOWN.get("participant_id", ids)])
    groups = body.get("group_ids")
    if isinstance(groups, list) and groups and all(_is_uuid(i) for i in groups):
        choices["group_ids"] = st.sampled_from([groups, KNOWN.get("group_id", groups)[:1]])
    if isinstance(body.get("timezone"), str):
        choices["timezone"] = st.sampled_from([body["timezone"], *TIME_ZONES])
    return st.fixed_dictionaries(choices)


@schema.hook
def map_case(context, case):
    case = _to_the_sources_owner(_with_availability_csrf(_with_answer_csrf(case)))
    if case.method == "POST" and case.path == "/v1/itip" and KNOWN.get("itip") and _now_and_then(case.body):
        case.body = KNOWN["itip"][0]  # a real REPLY to a seeded session, now and then
    return case


def _to_the_sources_owner(case):
    """A path to a seeded calendar source names the source's owner two times in three (a person
    drawn among all known ones seldom is its owner), so that its reads and writes succeed too."""
    parameters = case.path_parameters or {}
    owner = SOURCE_OWNERS.get(parameters.get("source_id"))
    if owner is not None and owner[0] in parameters and _now_and_then(("owner", parameters)):
        case.path_parameters = {**parameters, owner[0]: owner[1]}
    return case


def _to_a_real_link(case, kind: str) -> str | None:
    """Send a form post for the pages of ``kind`` (``answer``, ``availability``) to a real link
    two times in three (a token drawn among all known tokens seldom is one of these), and return
    the token it goes to."""
    token = (case.path_parameters or {}).get("token")
    known = KNOWN.get(f"{kind}_token", [])
    if known and token not in known and _now_and_then(("link", case.body)):
        token = known[0]
        case.path_parameters = {**(case.path_parameters or {}), "token": token}
    return token if token in known else None


def _with_answer_csrf(case):
    """A form posted to a real answer link carries that page's CSRF field two times in three
    (only the page knows it), so the fuzzer reaches the recording as well as the refusal."""
    if case.method == "POST" and case.path.startswith("/answer/") and isinstance(case.body, dict):
        token = _to_a_real_link(case, "answer")
        if token is not None and _now_and_then(case.body):
            case.body = {**case.body, "csrf": answers.Links(SETTINGS.secret(), SETTINGS.public_url).csrf(token)}
    return case


def _with_availability_csrf(case):
    """The same for a participant's availability page; and now and then only the week itself,
    since a random period to add or remove is nearly always one the page refuses (400)."""
    if case.method == "POST" and case.path.startswith("/availability/") and isinstance(case.body, dict):
        token = _to_a_real_link(case, "availability")
        if token is not None and _now_and_then(case.body):
            case.body = {**case.body, "csrf": availability_links.csrf(SETTINGS.secret(), token)}
            if _now_and_then(("week only", case.body)) and "slot" in case.body:
                case.body = {"slot": case.body["slot"], "csrf": case.body["csrf"]}
    return case


def _now_and_then(value) -> bool:
    """Two cases in three, chosen by the case itself (the same in every run, unlike hash())."""
    return zlib.crc32(repr(value).encode()) % 3 != 0


@schemathesis.check
def rejected_only_by_documented_rules(ctx, response, case):
    """Schema-valid data answered 422 names only rules that JSON Schema cannot express."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    problem = response.json()
    reasons = [error["reason"] for error in problem.get("errors", [])] or [problem.get("detail", "")]
    unexplained = [r for r in reasons if not any(rule.match(r) for rule in RULES_BEYOND_JSON_SCHEMA)]
    if not reasons or unexplained:
        raise AssertionError(f"Schema-valid data rejected for a reason the schema could state: {problem}")
    return None


@schemathesis.check
def json_headers_conformance(ctx, response, case):
    """A header whose value is JSON (X-Pagination: a string, with `x-json-schema` naming the
    schema of the JSON in it) holds JSON of that schema."""
    definition = case.operation.responses.find_by_status_code(response.status_code)
    for name, header in (definition.headers if definition else {}).items():
        schema = header.definition.get("x-json-schema")
        value = response.headers.get(name.lower())
        if schema is None or value is None:
            continue
        root = {**schema, "components": case.operation.schema.raw_schema["components"]}
        jsonschema.Draft4Validator(root).validate(json.loads(value[0]))
    return None


@pytest.fixture(scope="module")
def seeded():
    with pytest.MonkeyPatch.context() as patch:
        # Webhook and calendar hosts are looked up in DNS: here each is a public address, and
        # nothing is sent.
        patch.setattr("services.api.resources.webhooks.resolve", lambda host, port: ["93.184.215.14"])
        patch.setattr("services.api.resources.calendar_sources.resolve", lambda host, port: ["93.184.215.14"])
        patch.setattr("services.api.resources.availability_page.resolve", lambda host, port: ["93.184.215.14"])
        patch.setattr("services.scheduler.webhook_http.post", lambda *args, **kwargs: Outcome(204, None, 1))
        yield from _seed()


def _seed():
    upgrade(SETTINGS.database_url)
    with SESSION_FACTORY.begin() as session:
        issued = create_client(session, role="admin", name="Fuzzer")
        session.get(ApiKey, issued.key_id).key_hash = hash_key(ADMIN_KEY)
    client = APP.test_client()
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}

    def call(method, url, body=None):
        response = client.open(url, method=method, json=body, headers=auth)
        assert response.status_code < 300, (url, response.json)
        return response.json

    webhook = call("POST", "/v1/webhooks", {"url": "https://platform.example.org/hooks/intervisie"})
    facilitator = call("POST", "/v1/facilitators", payloads.facilitator(availability=TUESDAY_EVENING))
    idle_facilitator = call("POST", "/v1/facilitators", payloads.facilitator(name="Vrije Begeleider"))
    reserve_facilitator = call("POST", "/v1/facilitators", payloads.facilitator(name="Reserve Begeleider"))
    group = call("POST", "/v1/groups", payloads.group(facilitator_id=facilitator["id"]))
    empty_group = call("POST", "/v1/groups", payloads.group(name="Lege groep"))
    members = [call("POST", "/v1/participants", payloads.participant(n, availability=TUESDAY_EVENING)) for n in range(4)]
    loner = call("POST", "/v1/participants", payloads.participant(9))
    second_group = call("POST", "/v1/groups", payloads.group(name="Tweede groep", facilitator_id=facilitator["id"]))
    for member in members:
        call("PUT", f"/v1/groups/{group['id']}/members/{member['id']}")
        call("PUT", f"/v1/groups/{second_group['id']}/members/{member['id']}")
    SCHEDULER.start_consuming()
    run = call("POST", f"/v1/groups/{group['id']}/scheduling-runs")
    SCHEDULER.drain()
    batch = call("POST", "/v1/scheduling-batches", {"group_ids": [second_group["id"]]})
    pool = {"group_by": "theme", "participant_ids": [m["id"] for m in members], "starts_on": "2027-01-11"}
    proposal = call("POST", "/v1/group-proposals", pool)
    SCHEDULER.drain()
    SCHEDULER.stop()
    sessions = call("GET", f"/v1/groups/{group['id']}/sessions?page_size=100")
    invitations = call("GET", f"/v1/sessions/{sessions[0]['id']}/invitations")
    deliveries = call("GET", f"/v1/webhooks/{webhook['id']}/deliveries")
    ics = client.get(invitations[-1]["ics_url"], headers=auth).get_data(as_text=True).replace("\r\n ", "")
    answer_tokens = re.findall(r"/answer/([A-Za-z0-9_-]{43})", ics)
    assert answer_tokens, "the invitation carries no answer link"
    availability_tokens = [call("POST", f"/v1/participants/{loner['id']}/availability-link")["url"].rsplit("/", 1)[-1]]
    calendar = {"url": "webcal://outlook.office365.com/owa/calendar/0f1e/reachcalendar.ics"}
    calendar_sources = [
        call("POST", f"/v1/participants/{members[0]['id']}/calendar-sources", calendar),
        call("POST", f"/v1/facilitators/{reserve_facilitator['id']}/calendar-sources", calendar),
    ]
    SOURCE_OWNERS.update({
        calendar_sources[0]["id"]: ("participant_id", members[0]["id"]),
        calendar_sources[1]["id"]: ("facilitator_id", reserve_facilitator["id"]),
    })
    feeds = [
        call("GET", f"/v1/facilitators/{facilitator['id']}/feed"),
        call("GET", f"/v1/participants/{members[0]['id']}/feed"),
        call("GET", f"/v1/groups/{group['id']}/feed"),
    ]
    KNOWN.update(
        facilitator_id=[facilitator["id"], idle_facilitator["id"], reserve_facilitator["id"]],
        participant_id=[m["id"] for m in members] + [loner["id"]],
        group_id=[group["id"], empty_group["id"]],
        run_id=[run["id"]],
        batch_id=[batch["id"]],
        session_id=[s["id"] for s in sessions[:3]],
        invitation_id=[i["id"] for i in invitations[:2]],
        webhook_id=[webhook["id"]],
        proposal_id=[proposal["id"]],
        delivery_id=[d["id"] for d in deliveries[:2]],
        source_id=[source["id"] for source in calendar_sources],
        token=[feed["url"].rsplit("/", 1)[-1].removesuffix(".ics") for feed in feeds] + answer_tokens + availability_tokens,
        answer_token=answer_tokens,
        availability_token=availability_tokens,
        itip=[icalendar_reply(sessions[0]["uid"], members[0]["email"], "ACCEPTED").decode()],
    )
    ENGINE.dispose()
    _copy_database(DATABASE, SEEDED)
    yield
    ENGINE.dispose()
    for path in (DATABASE, SEEDED):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _copy_database(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture
def pristine(seeded):
    """Each operation starts from the seeded rows, whatever the operations before it deleted."""
    ENGINE.dispose()
    _copy_database(SEEDED, DATABASE)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_operation_answers_as_documented(case, pristine):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 255:
        # A client sends a new key with each new request; the same key with another request is 422.
        case.headers["Idempotency-Key"] = f"fuzz-{next(_idempotency_keys)}"
    response = case.call_and_validate()
    ATTEMPTED.add(case.operation.label)
    if response.status_code < 300 or response.status_code == 303:  # a form post's success is its redirect
        SUCCEEDED.add(case.operation.label)


def test_every_fuzzed_operation_reached_its_success_path():
    """Seeded ids make the fuzzer reach its success answers, not only 404s; a new kind of id needs a seed."""
    assert sorted(ATTEMPTED - SUCCEEDED) == [], "seed rows for these operations' path parameters in _seed()"
