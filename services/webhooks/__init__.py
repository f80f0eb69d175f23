"""The webhooks service: partners' endpoints, and the delivery of every event to them."""
