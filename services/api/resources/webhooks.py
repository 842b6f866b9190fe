"""/v1/webhooks: endpoints that receive signed events, and their delivery logs."""

from __future__ import annotations

import uuid

from flask import url_for
from flask.views import MethodView

from services.api.context import actor, reading, state, transaction
from services.api.schemas.webhooks import CreatedWebhookSchema, WebhookDeliverySchema, WebhookInputSchema, WebhookSchema
from services.api.spec import Blueprint, documented, page_of
from services.scheduler.webhook_http import resolve
from shared.domain.webhooks import derive_secret
from shared.use_cases import webhooks as use_cases

blueprint = Blueprint(
    "webhooks", __name__, url_prefix="/v1/webhooks",
    description="Signed event notifications (Standard Webhooks: webhook-id, webhook-timestamp, "
    "webhook-signature). A platform key manages its own endpoints and receives events about its "
    "own participants only; of those who declined a session at risk, its endpoints are named its own "
    "participants and the facilitator, and told how many others declined. Only 2xx counts as received; others are retried with backoff for "
    "about three days; 410 Gone disables the endpoint.",
)


@blueprint.route("")
class Webhooks(MethodView):
    @blueprint.arguments(WebhookInputSchema)
    @blueprint.response(201, CreatedWebhookSchema, headers=documented.location("URL of the new endpoint"))
    @documented.errors()
    def post(self, data):
        """Register a webhook endpoint; the answer holds its signing secret, once"""
        settings = state().settings
        with transaction() as session:
            webhook = use_cases.create_webhook(
                session, actor(), data, now=state().clock(),
                allow_private=settings.webhook_allow_private, resolve=resolve,
            )
        webhook.secret = derive_secret(settings.secret(), str(webhook.id))  # shown in this answer only
        return webhook, {"Location": url_for("webhooks.WebhookById", webhook_id=webhook.id)}

    @blueprint.response(200, WebhookSchema(many=True))
    @blueprint.paginate()
    @documented.errors()
    def get(self, pagination_parameters):
        """List webhook endpoints"""
        with reading() as session:
            items, total = use_cases.list_webhooks(session, actor(), page_of(pagination_parameters))
        pagination_parameters.item_count = total
        return items


@blueprint.route("/<uuid:webhook_id>")
class WebhookById(MethodView):
    @blueprint.response(200, WebhookSchema)
    @documented.errors(404)
    def get(self, webhook_id: uuid.UUID):
        """Get a webhook endpoint"""
        with reading() as session:
            return use_cases.get_webhook(session, actor(), webhook_id)

    @blueprint.response(204)
    @documented.errors(404)
    def delete(self, webhook_id: uuid.UUID):
        """Remove a webhook endpoint and its delivery log"""
        with transaction() as session:
            use_cases.delete_webhook(session, actor(), webhook_id)


@blueprint.route("/<uuid:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blueprint.response(200, WebhookDeliverySchema(many=True))
    @blueprint.paginate()
    @documented.errors(404)
    def get(self, webhook_id: uuid.UUID, pagination_parameters):
        """List an endpoint's deliveries, newest first, each with its attempts"""
        with reading() as session:
            items, total = use_cases.list_deliveries(session, actor(), webhook_id, page_of(pagination_parameters))
        pagination_parameters.item_count = total
        return items


@blueprint.route("/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver")
class WebhookRedelivery(MethodView):
    @blueprint.response(202, WebhookDeliverySchema)
    @documented.errors(404)
    def post(self, webhook_id: uuid.UUID, delivery_id: uuid.UUID):
        """Send a delivery again now (this also re-enables a disabled endpoint)"""
        with transaction() as session:
            delivery = use_cases.redeliver(session, actor(), webhook_id, delivery_id, state().clock())
        state().scheduler.post_webhooks([delivery.id])
        return delivery
