"""/api/v1 of consent and e-marketing (sections 2, 3 and 9): one router per resource."""

from rekisteri.marketing.api.campaigns import campaigns_router
from rekisteri.marketing.api.consents import persons_router
from rekisteri.marketing.api.lists import lists_router, topics_router

__all__ = ["campaigns_router", "lists_router", "persons_router", "topics_router"]
