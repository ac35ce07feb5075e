"""factory-boy factories for the store's models: plain, fast, one row each unless you ask for more.

user = AgentFactory()                      # or UserFactory(roles=["supervisor"]), or add_role(user, "agent")
order = make_order(skus=[sku], shipped=True, tracking_events=2)
case = CaseFactory(order=order, amount_fen=1500)
"""

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from backoffice.messaging.models import hash_token
from backoffice.models import (
    DESK_PREFIX,
    AutoReplyRule,
    BusinessHours,
    Case,
    CaseCounter,
    CaseEvent,
    CaseKind,
    Courier,
    Customer,
    Desk,
    EventType,
    Holiday,
    Integration,
    MessageTemplate,
    Order,
    OrderItem,
    OutboundMessage,
    Product,
    QuickPhrase,
    Reason,
    Shipment,
    Sku,
    Status,
    StoreSettings,
    TrackingEvent,
)
from backoffice.payouts.models import Payout
from backoffice.platform.shipping import compute_ship_by
from backoffice.staff.roles import Role

PASSWORD = "demo12345"
DEFAULT_SKU_CODE = "FACTORY-SKU"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """A wall-clock moment in the store's time zone: shanghai(2026, 11, 25, 9, 30)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@functools.cache
def _password_hash(hashers: tuple[str, ...]) -> str:
    # Hashing is slow on purpose; one hash per hasher setting serves every user a test makes.
    return make_password(PASSWORD)


def password_hash() -> str:
    return _password_hash(tuple(settings.PASSWORD_HASHERS))


def add_role(user, *roles: str):
    """Put a user in role groups ("agent", "supervisor", "store_admin"); the groups exist after migrate."""
    user.groups.add(*(Group.objects.get(name=role) for role in roles))
    # roles.user_roles caches per user object.
    user.__dict__.pop("_role_names", None)
    return user


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    class Params:
        # UserFactory(agent=True) or UserFactory(roles=["agent", "supervisor"])
        agent = factory.Trait(roles__names=[Role.AGENT])
        supervisor = factory.Trait(roles__names=[Role.SUPERVISOR])
        store_admin = factory.Trait(roles__names=[Role.STORE_ADMIN], is_staff=True)

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Faker("last_name", locale="zh_CN")
    first_name = factory.Faker("first_name", locale="zh_CN")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.LazyFunction(password_hash)  # log in with PASSWORD
    is_staff = False

    @factory.post_generation
    def roles(obj, create, extracted, names=(), **kwargs):
        if create and (extracted or names):
            add_role(obj, *(extracted or names))


class AgentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"agent{n}")
    agent = True


class SupervisorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"supervisor{n}")
    supervisor = True


class StoreAdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"storeadmin{n}")
    store_admin = True


# --- Store settings ------------------------------------------------------------------------------------------------


class StoreSettingsFactory(DjangoModelFactory):
    """The one settings record (made by migrate), with the given fields changed: StoreSettingsFactory(ship_within_hours=72)."""

    class Meta:
        model = StoreSettings

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        store = StoreSettings.load()
        for name, value in kwargs.items():
            setattr(store, name, value)
        if kwargs:
            store.save(update_fields=[*kwargs, "updated_at"])
        return store


class BusinessHoursFactory(DjangoModelFactory):
    class Meta:
        model = BusinessHours

    settings = factory.LazyFunction(StoreSettings.load)
    weekday = BusinessHours.Weekday.MONDAY
    opens = dt.time(9, 0)
    closes = dt.time(18, 0)


class HolidayFactory(DjangoModelFactory):
    class Meta:
        model = Holiday

    settings = factory.LazyFunction(StoreSettings.load)
    date = factory.Sequence(lambda n: dt.date(2027, 1, 1) + dt.timedelta(days=n))
    name = "元旦"
    is_workday = False


# --- Store data ----------------------------------------------------------------------------------------------------


class CourierFactory(DjangoModelFactory):
    class Meta:
        model = Courier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"courier{n}")
    name = factory.Sequence(lambda n: f"快递{n}")
    phone = "95311"
    active = True


def zto() -> Courier:
    return CourierFactory(code="zto", name="中通快递", phone="95311")


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    class Params:
        place = factory.Iterator(
            [
                ("浙江省", "杭州市", "西湖区"),
                ("广东省", "深圳市", "南山区"),
                ("上海市", "上海市", "浦东新区"),
                ("四川省", "成都市", "武侯区"),
                ("北京市", "北京市", "朝阳区"),
            ]
        )

    pdd_user_id = factory.Sequence(lambda n: f"{8_000_000_000 + n}")
    nickname = factory.Iterator(["快乐的小鱼", "岁月静好", "王姐88", "拼友1234567", "不吃香菜的猫咪", "奶茶三分糖"])
    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"138{n % 10**8:08d}")
    province = factory.LazyAttribute(lambda o: o.place[0])
    city = factory.LazyAttribute(lambda o: o.place[1])
    district = factory.LazyAttribute(lambda o: o.place[2])
    address = factory.Sequence(lambda n: f"文三路{n % 900 + 1}号阳光花园3幢1201室")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    class Params:
        custom = factory.Trait(name=factory.Sequence(lambda n: f"定制刻字保温杯 {n}"), ship_within_hours=96)
        presale = factory.Trait(
            name=factory.Sequence(lambda n: f"新年礼盒（预售）{n}"),
            presale_ship_by=factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7)),
        )

    goods_id = factory.Sequence(lambda n: f"{700_000_000_000 + n}")
    name = factory.Sequence(lambda n: f"纯棉短袖T恤 {n}")
    category = Product.Category.APPAREL
    ship_within_hours = None
    presale_ship_by = None
    listed = True


class SkuFactory(DjangoModelFactory):
    class Meta:
        model = Sku

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU-{n:05d}")
    spec = "黑色 XL"
    price_fen = 5990
    stock = 100


def default_sku() -> Sku:
    """One shared SKU per test for orders that don't say what was bought (saves a product and a SKU per order)."""
    sku = Sku.objects.select_related("product").filter(code=DEFAULT_SKU_CODE).first()
    return sku or SkuFactory(
        code=DEFAULT_SKU_CODE, product__name="纯棉短袖T恤男夏季宽松", spec="黑色 XL", price_fen=5990
    )


def _lines(skus) -> list[tuple[Sku, int]]:
    return [item if isinstance(item, tuple) else (item, 1) for item in skus]


def _pdd_number(paid_at: dt.datetime, n: int) -> str:
    return f"{timezone.localtime(paid_at):%y%m%d}-{500_000_000_000_000 + n:015d}"


class OrderFactory(DjangoModelFactory):
    """An order with one item per SKU in `skus` (a Sku or a (Sku, quantity) pair); amounts and ship_by follow from them.

    OrderFactory()                     one item of the shared default SKU, ¥59.90
    OrderFactory(skus=[custom_sku])    ship_by from L1 with the product's own shipping time
    OrderFactory(skus=[])              no items, nothing paid
    """

    class Meta:
        model = Order

    skus = factory.LazyFunction(lambda: [default_sku()])
    number = factory.LazyAttributeSequence(lambda o, n: _pdd_number(o.paid_at, n))
    customer = factory.SubFactory(CustomerFactory)
    status = Order.Status.AWAITING_SHIPMENT
    paid_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    goods_fen = factory.LazyAttribute(lambda o: sum(sku.price_fen * qty for sku, qty in _lines(o.skus)))
    shipping_fen = 0
    discount_fen = 0
    paid_fen = factory.LazyAttribute(lambda o: o.goods_fen + o.shipping_fen - o.discount_fen)
    ship_by = factory.LazyAttribute(
        lambda o: compute_ship_by(
            paid_at=o.paid_at, products=[sku.product for sku, _qty in _lines(o.skus)], store=StoreSettings.load()
        )
    )
    receiver_name = factory.SelfAttribute("customer.name")
    receiver_phone = factory.SelfAttribute("customer.phone")
    receiver_address = factory.LazyAttribute(
        lambda o: f"{o.customer.province}{o.customer.city}{o.customer.district}{o.customer.address}"
    )

    @classmethod
    def _build(cls, model_class, *args, skus=(), **kwargs):
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, skus=(), **kwargs):
        order = super()._create(model_class, *args, **kwargs)
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                sku=sku,
                product_name=sku.product.name,
                spec=sku.spec,
                quantity=qty,
                unit_price_fen=sku.price_fen,
            )
            for sku, qty in _lines(skus)
        )
        return order


class OrderItemFactory(DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory, skus=[])
    sku = factory.LazyFunction(default_sku)
    product_name = factory.SelfAttribute("sku.product.name")
    spec = factory.SelfAttribute("sku.spec")
    quantity = 1
    unit_price_fen = factory.SelfAttribute("sku.price_fen")


class ShipmentFactory(DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(
        OrderFactory,
        status=Order.Status.SHIPPED,
        paid_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=20)),
        shipped_at=factory.LazyAttribute(lambda o: o.paid_at + dt.timedelta(hours=4)),
    )
    courier = factory.LazyFunction(zto)
    tracking_no = factory.Sequence(lambda n: f"78{n:012d}")
    shipped_at = factory.LazyAttribute(lambda o: o.order.shipped_at or timezone.now())
    state = Shipment.State.CREATED
    last_event_at = None
    delivered_at = None


class TrackingEventFactory(DjangoModelFactory):
    """Events of one shipment get increasing times (an hour apart) unless `at` is given."""

    class Meta:
        model = TrackingEvent

    shipment = factory.SubFactory(ShipmentFactory)
    at = factory.LazyAttributeSequence(lambda o, n: o.shipment.shipped_at + dt.timedelta(hours=1, seconds=n))
    place = "杭州市"
    state = Shipment.State.IN_TRANSIT
    description = factory.LazyAttribute(lambda o: f"【{o.place}】快件已到达 杭州转运中心，运输中")


TRACKING_STEPS = [
    (Shipment.State.IN_TRANSIT, "杭州市", "【杭州市】中通快递浙江杭州余杭仓前网点 已揽收"),
    (Shipment.State.IN_TRANSIT, "杭州市", "【杭州市】快件已从 杭州转运中心 发出，准备发往 深圳转运中心"),
    (Shipment.State.IN_TRANSIT, "深圳市", "【深圳市】快件已到达 深圳转运中心，运输中"),
    (Shipment.State.OUT_FOR_DELIVERY, "深圳市", "【深圳市】南山区营业部 派件员：王师傅（电话 13900001111）正在派送中"),
    (Shipment.State.DELIVERED, "深圳市", "【深圳市】已签收，签收人：本人签收。感谢使用中通快递"),
]


def make_order(
    *,
    skus=None,
    paid_at: dt.datetime | None = None,
    status: str | None = None,
    shipped: bool = False,
    shipped_at: dt.datetime | None = None,
    tracking_no: str | None = None,
    tracking_events: int = 0,
    event_gap: dt.timedelta = dt.timedelta(hours=6),
    **order_fields,
) -> Order:
    """An order with its items and, when `shipped`, a parcel with the first `tracking_events` steps of TRACKING_STEPS.

    make_order(paid_at=t, shipped=True, tracking_events=2)   # in transit, last event 12 h after shipping
    make_order(shipped=True, tracking_events=5)              # delivered
    make_order(shipped=True, tracking_no="")                 # shipped without a tracking number (L4)
    """
    paid_at = paid_at or timezone.now() - dt.timedelta(hours=30)
    if skus is not None:
        order_fields["skus"] = skus
    shipped = shipped or shipped_at is not None or tracking_events > 0
    if shipped:
        shipped_at = shipped_at or paid_at + dt.timedelta(hours=4)
        order_fields["shipped_at"] = shipped_at
    order = OrderFactory(
        paid_at=paid_at,
        status=status or (Order.Status.SHIPPED if shipped else Order.Status.AWAITING_SHIPMENT),
        **order_fields,
    )
    if not shipped:
        return order
    shipment = ShipmentFactory(
        order=order, shipped_at=shipped_at, **({} if tracking_no is None else {"tracking_no": tracking_no})
    )
    events = TrackingEvent.objects.bulk_create(
        TrackingEvent(
            shipment=shipment, at=shipped_at + event_gap * (i + 1), place=place, state=state, description=text
        )
        for i, (state, place, text) in enumerate(TRACKING_STEPS[:tracking_events])
    )
    if events:
        last = events[-1]
        shipment.state, shipment.last_event_at = last.state, last.at
        update = ["state", "last_event_at"]
        if last.state == Shipment.State.DELIVERED:
            shipment.delivered_at = order.delivered_at = last.at
            update.append("delivered_at")
            if status is None:
                order.status = Order.Status.DELIVERED
            order.save(update_fields=["status", "delivered_at", "updated_at"])
        shipment.save(update_fields=update)
    return order


# --- Cases ---------------------------------------------------------------------------------------------------------


class CaseFactory(DjangoModelFactory):
    """An after-sales refund application on an order of its customer (amount = what was paid)."""

    class Meta:
        model = Case

    class Params:
        logistics = factory.Trait(desk=Desk.LOGISTICS, kind=CaseKind.STALLED, reason="", subject="物流停滞超过 3 天")
        callback = factory.Trait(desk=Desk.CALLBACK, kind=CaseKind.CALLBACK, reason="", subject="不满意回访")

    # Numbers from 5001 up, so services counting from 0001 the same day don't collide with factory cases.
    number = factory.LazyAttributeSequence(
        lambda o, n: f"{DESK_PREFIX[o.desk]}-{timezone.localtime(o.created_at):%Y%m%d}-{5001 + n:04d}"
    )
    desk = Desk.AFTERSALES
    kind = CaseKind.REFUND
    status = Status.NEW
    customer = factory.SubFactory(CustomerFactory)
    order = factory.SubFactory(OrderFactory, customer=factory.SelfAttribute("..customer"))
    reason = Reason.SIZE
    subject = "尺码不合适，申请退款"
    amount_fen = factory.LazyAttribute(lambda o: o.order.paid_fen if o.order else 2990)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class CaseCounterFactory(DjangoModelFactory):
    class Meta:
        model = CaseCounter

    prefix = "AS"
    day = factory.LazyFunction(timezone.localdate)
    last = 0


class CaseEventFactory(DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    actor = None
    type = EventType.CASE_OPENED
    at = factory.LazyFunction(timezone.now)
    body = ""
    target = factory.LazyAttribute(lambda o: o.case.number if o.case else "")


# --- Messaging -----------------------------------------------------------------------------------------------------


class MessageTemplateFactory(DjangoModelFactory):
    class Meta:
        model = MessageTemplate
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"模板 {n}")
    body = "{customer_name}您好，您的订单{order_no}已处理。"


class QuickPhraseFactory(DjangoModelFactory):
    class Meta:
        model = QuickPhrase

    title = factory.Sequence(lambda n: f"物流查询 {n}")
    category = "物流"
    body = "亲，您的订单{order_no}已由{courier}发出，单号{tracking_no}，预计 3–5 天送达~"
    sort_order = factory.Sequence(lambda n: (n + 1) * 10)


class AutoReplyRuleFactory(DjangoModelFactory):
    class Meta:
        model = AutoReplyRule

    name = factory.Sequence(lambda n: f"退款多久到账 {n}")
    keywords = "退款多久到账,多久到账"
    template = factory.SubFactory(
        MessageTemplateFactory, body="亲，退款审核通过后会在 24 小时内原路退回，请留意您的支付账户~"
    )
    priority = 100


class OutboundMessageFactory(DjangoModelFactory):
    class Meta:
        model = OutboundMessage

    customer = factory.SubFactory(CustomerFactory)
    case = None
    template_key = ""
    body = "给您添麻烦了，非常抱歉！"
    idempotency_key = factory.Sequence(lambda n: f"test-message-{n}")


class IntegrationFactory(DjangoModelFactory):
    """IntegrationFactory(token="secret") authenticates with "secret"; only the hash is stored, as in production."""

    class Meta:
        model = Integration

    class Params:
        token = factory.Sequence(lambda n: f"test-integration-token-{n}")

    name = factory.Sequence(lambda n: f"聊天网关 {n}")
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    token_hint = factory.LazyAttribute(lambda o: o.token[:6] + "…")


# --- After-sales ---------------------------------------------------------------------------------------------------


class PayoutFactory(DjangoModelFactory):
    class Meta:
        model = Payout

    case = factory.SubFactory(CaseFactory)
    order = factory.SelfAttribute("case.order")
    kind = Payout.Kind.REFUND
    amount_fen = factory.SelfAttribute("case.amount_fen")
    actor = None
