"""Every page that shows people — answer, availability, every feed's subscribe page (the
facilitator's too), the link-gone pages — is kept by no cache, sends no referrer, is not sniffed
and may not be framed; its one inline script runs by the nonce it was sent with. The heat map is
not sniffed and runs nothing; the docs UI is not sniffed."""

from __future__ import annotations

import re

import pytest

from services.api.page_headers import HEADERS
from shared.config import Settings
from tests.api.scenarios import run_to_completion
from tests.api.test_answers import csrf_of, invitation_to, link_in, path_of

BASE = "http://intervisie.test"
DEAD = "A" * 43


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url=BASE, secret_key="test-secret", feed_rate_limit="1000 per minute")


@pytest.fixture
def planned(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    worker.drain()  # the invitations, with each person's answer link
    group["sessions"] = run["plan"]["sessions"]
    return group


def policy_of(response) -> dict[str, str]:
    directives = [part.strip().split(None, 1) for part in response.headers["Content-Security-Policy"].split(";")]
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_page_for_people(response, *, scripted: bool = False) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = policy_of(response)
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'none'" and policy["base-uri"] == "'none'"
    html = response.get_data(as_text=True)
    nonces = re.findall(r'<script nonce="([^"]+)">', html)
    if scripted:
        assert len(nonces) == 1 and policy["script-src"] == f"'nonce-{nonces[0]}'"
        assert len(re.findall(r"<script", html)) == 1
    else:
        assert "script-src" not in policy and "<script" not in html


def test_the_answer_page_in_every_state_carries_the_headers_of_a_page_for_people(admin, client, planned):
    member = planned["member_list"][0]
    path = path_of(link_in(admin, invitation_to(admin, planned["sessions"][0]["id"], member["email"])))
    shown = client.get(path)
    assert shown.status_code == 200
    assert_page_for_people(shown)
    assert policy_of(shown)["form-action"] == "'self'"

    refused = client.post(path, data={"response": "accepted", "csrf": "0" * 64})
    assert refused.status_code == 400
    assert_page_for_people(refused)
    saved = client.post(path, data={"response": "accepted", "csrf": csrf_of(shown.get_data(as_text=True))})
    assert saved.status_code == 303
    assert_page_for_people(saved)
    gone = client.get(f"/answer/{DEAD}")
    assert gone.status_code == 404 and gone.content_type == "text/html; charset=utf-8"
    assert_page_for_people(gone)


def test_the_availability_page_carries_them_with_its_scripts_nonce(admin, client, planned):
    person = planned["member_list"][1]
    link = admin.post(f"/v1/participants/{person['id']}/availability-link").json
    path = link["url"].removeprefix(BASE)
    shown = client.get(path)
    assert shown.status_code == 200
    assert_page_for_people(shown, scripted=True)
    assert policy_of(shown)["form-action"] == "'self'"
    again = client.get(path)
    assert policy_of(again)["script-src"] != policy_of(shown)["script-src"]  # a new nonce every time

    refused = client.post(path, data={"slot": ["mon 07:00"], "csrf": "0" * 64})
    assert refused.status_code == 400
    assert_page_for_people(refused, scripted=True)
    gone = client.get(f"/availability/{DEAD}")
    assert gone.status_code == 404
    assert_page_for_people(gone)


@pytest.mark.parametrize("whose", ["facilitator", "participant", "group"])
def test_every_feeds_subscribe_page_carries_them_the_facilitators_above_all(admin, client, planned, whose):
    owner = {"facilitator": f"/v1/facilitators/{planned['facilitator']['id']}", "participant": f"/v1/participants/{planned['member_list'][0]['id']}", "group": f"/v1/groups/{planned['id']}"}[whose]
    links = admin.get(f"{owner}/feed").json
    page = client.get(links["page_url"].removeprefix(BASE))
    assert page.status_code == 200
    assert_page_for_people(page, scripted=True)  # the copy button's script
    assert policy_of(page)["form-action"] == "'none'"
    if whose == "facilitator":
        assert "<svg" in page.get_data(as_text=True)  # names, answers and heat maps: no cache may keep them

    gone = client.get(f"/feeds/{DEAD}")
    assert gone.status_code == 404
    assert gone.headers["Cache-Control"] == "no-store" and gone.headers["X-Content-Type-Options"] == "nosniff"


def test_the_calendar_feed_itself_stays_revalidated_not_unstored(admin, client, planned):
    """Calendar apps poll the feed with If-None-Match: it keeps its caching for them."""
    links = admin.get(f"/v1/groups/{planned['id']}/feed").json
    feed = client.get(links["url"].removeprefix(BASE))
    assert feed.status_code == 200
    assert feed.headers["Cache-Control"] == "private, max-age=0, must-revalidate" and "ETag" in feed.headers


def test_the_heat_map_is_not_sniffed_and_runs_nothing(admin, planned):
    svg = admin.get(f"/v1/groups/{planned['id']}/availability.svg")
    assert svg.status_code == 200 and svg.content_type.startswith("image/svg+xml")
    assert svg.headers["X-Content-Type-Options"] == "nosniff"
    policy = policy_of(svg)
    assert policy["default-src"] == "'none'" and "script-src" not in policy and policy["frame-ancestors"] == "'none'"
    assert svg.headers["Cache-Control"] == "private, no-cache"  # revalidated by its ETag, as before
    again = admin.get(f"/v1/groups/{planned['id']}/availability.svg", headers={"If-None-Match": svg.headers["ETag"]})
    assert again.status_code == 304 and again.headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_ui_and_its_files_are_not_sniffed(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["X-Content-Type-Options"] == "nosniff"
    scripts = re.findall(r'src="(/docs/static/[^"]+)"', docs.get_data(as_text=True))
    assert scripts
    for path in scripts:
        served = client.get(path)
        assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.content_type.split(";")[0] in {"text/javascript", "application/javascript"}  # nosniff needs it right


def test_every_route_named_for_headers_exists(app):
    assert set(HEADERS) <= {rule.endpoint for rule in app.url_map.iter_rules()}
