from .cases import (
    DESK_KINDS,
    DESK_PREFIX,
    OPEN_STATUSES,
    Case,
    CaseCounter,
    CaseEvent,
    CaseKind,
    Desk,
    EventType,
    Priority,
    Reason,
    ResponseWait,
    Status,
)
from .coupons import AFTER_CLOSURE_TRIGGERS, Campaign, Coupon, FollowUp, Trigger
from .messaging import AutoReplyRule, Channel, Integration, MessageTemplate, OutboundMessage, QuickPhrase
from .notifications import Notification
from .platform import ImportJob, PlatformCredentials, SyncCursor
from .staff import StaffProfile
from .store import Courier, Customer, Order, OrderItem, Product, Shipment, Sku, TrackingEvent, mask_phone
from .storesettings import BusinessHours, Holiday, StoreSettings
from .sweeps import SweepRun

__all__ = [
    "AFTER_CLOSURE_TRIGGERS",
    "Campaign",
    "Coupon",
    "FollowUp",
    "Trigger",
    "DESK_KINDS",
    "DESK_PREFIX",
    "OPEN_STATUSES",
    "AutoReplyRule",
    "BusinessHours",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseKind",
    "Channel",
    "Courier",
    "Customer",
    "Desk",
    "EventType",
    "Holiday",
    "ImportJob",
    "Integration",
    "MessageTemplate",
    "Notification",
    "Order",
    "OrderItem",
    "OutboundMessage",
    "PlatformCredentials",
    "Priority",
    "Product",
    "QuickPhrase",
    "Reason",
    "ResponseWait",
    "Shipment",
    "Sku",
    "StaffProfile",
    "Status",
    "StoreSettings",
    "SweepRun",
    "SyncCursor",
    "TrackingEvent",
    "mask_phone",
]
