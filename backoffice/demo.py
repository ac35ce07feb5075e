"""A believable demo store: couriers, catalogue, customers, a month of orders with parcels, staff and holidays.

Every step is safe to run again: rows are found by their natural keys (courier code, goods ID, SKU code, platform
user ID, order number, username, holiday date) and only the missing ones are made, so nothing is ever duplicated.
`python manage.py seed_demo` runs the steps listed in its STEPS; a desk adds its own step there: a function that takes
keyword arguments among `now`, `rng_seed` and `orders`, and returns counts of what it created.
"""

import datetime as dt
import random
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from backoffice.messaging.library import DEFAULT_QUICK_PHRASES, install_library
from backoffice.models import (
    AutoReplyRule,
    Courier,
    Customer,
    Holiday,
    MessageTemplate,
    Order,
    OrderItem,
    Product,
    QuickPhrase,
    Shipment,
    Sku,
    StoreSettings,
    TrackingEvent,
)
from backoffice.platform.importing.orders import insert_rows
from backoffice.platform.shipping import compute_ship_by
from backoffice.staff.roles import Role, ensure_role_groups
from backoffice.store.businesshours import Calendar
from backoffice.store.cache import forget_store_settings

# Where the demo serves: `make demo` sets PUBLIC_BASE_URL to the address runserver listens on.
DEMO_URL = settings.PUBLIC_BASE_URL + "/"
DEMO_PASSWORD = "demo12345"  # noqa: S105 - the demo's published password, printed by seed_demo
# DEMO_PASSWORD hashed ahead of time by the default hasher (a quarter second of PBKDF2 on every fresh seed otherwise);
# used while it is what that hasher would make, else the password is hashed when the logins are made.
DEMO_PASSWORD_HASH = "pbkdf2_sha256$1000000$SeedDemoStaffLogins2026$ZEi2sbk9Y2sn7tzYIbm/G6QgpwvnagWGB51iutshC4M="  # noqa: S105
DEFAULT_RNG_SEED = 20261125
DEFAULT_ORDERS = 2000
DEFAULT_CUSTOMERS = 600
BATCH_SIZE = 500

# Order numbers are PDD style, YYMMDD- and 15 digits. The demo's start with 1–8; seed_scale's with 9, so they never meet.
DEMO_ORDER_REGEX = r"^[0-9]{6}-[1-8]"
SCALE_ORDER_REGEX = r"^[0-9]{6}-9"


class StaffMember(NamedTuple):
    username: str
    last_name: str
    first_name: str
    role: str
    is_staff: bool = False


DEMO_STAFF = [
    StaffMember("agent1", "王", "小丽", Role.AGENT),
    StaffMember("agent2", "李", "娜", Role.AGENT),
    StaffMember("agent3", "陈", "晓峰", Role.AGENT),
    StaffMember("supervisor", "张", "敏", Role.SUPERVISOR),
    StaffMember("storeadmin", "刘", "建国", Role.STORE_ADMIN, is_staff=True),
]


class CourierSpec(NamedTuple):
    code: str
    name: str
    phone: str
    share: int  # of the store's parcels, in percent
    tracking_prefix: str
    tracking_digits: int


COURIERS = [
    CourierSpec("zto", "中通快递", "95311", 25, "78", 12),
    CourierSpec("yto", "圆通速递", "95554", 20, "YT", 13),
    CourierSpec("yunda", "韵达快递", "95546", 14, "43", 11),
    CourierSpec("sto", "申通快递", "95543", 8, "77", 13),
    CourierSpec("jtexpress", "极兔速递", "956025", 15, "JT", 13),
    CourierSpec("sf", "顺丰速运", "95338", 6, "SF", 13),
    CourierSpec("ems", "中国邮政 EMS", "11183", 5, "98", 11),
    CourierSpec("jd", "京东快递", "950616", 4, "JDVA", 11),
    CourierSpec("debangwuliu", "德邦快递", "95353", 3, "DPK", 12),
]


def tracking_number(rng: random.Random, spec: CourierSpec) -> str:
    return spec.tracking_prefix + str(rng.randrange(10 ** (spec.tracking_digits - 1), 10**spec.tracking_digits))


class ProductSpec(NamedTuple):
    name: str
    category: str
    skus: Sequence[tuple[str, int]]  # (spec, price in fen)
    ship_within_hours: int | None = None
    presale_days: int | None = None
    listed: bool = True


def _grid(colours: Sequence[str], sizes: Sequence[str], price_fen: int) -> list[tuple[str, int]]:
    return [(f"{colour} {size}", price_fen) for colour in colours for size in sizes]


C = Product.Category
CATALOGUE = [
    ProductSpec("纯棉短袖T恤男夏季宽松百搭", C.APPAREL, _grid(["白色", "黑色", "灰色"], ["M", "L", "XL", "XXL"], 3990)),
    ProductSpec("加绒加厚连帽卫衣女秋冬", C.APPAREL, _grid(["杏色", "黑色", "雾霾蓝"], ["S", "M", "L", "XL"], 6990)),
    ProductSpec("冰丝阔腿裤女高腰垂感", C.APPAREL, _grid(["黑色", "卡其色"], ["S", "M", "L", "XL"], 4590)),
    ProductSpec("轻薄羽绒服男短款立领", C.APPAREL, _grid(["黑色", "藏青"], ["L", "XL", "XXL", "3XL"], 19900)),
    ProductSpec("儿童加绒运动套装两件套", C.APPAREL, _grid(["粉色", "蓝色"], ["110", "120", "130", "140"], 5990)),
    ProductSpec("德绒高领打底衫女", C.APPAREL, _grid(["白色", "黑色", "酒红"], ["均码"], 2590)),
    ProductSpec("男士商务休闲裤直筒", C.APPAREL, _grid(["黑色", "深灰"], ["30", "32", "34", "36"], 8900)),
    ProductSpec("纯棉中筒袜子 10 双装", C.APPAREL, [("男款 混色", 1990), ("女款 混色", 1990)]),
    ProductSpec("老爹鞋女 ins 潮百搭增高", C.SHOES, _grid(["白色", "米色"], ["36", "37", "38", "39"], 8900)),
    ProductSpec("男士透气飞织运动鞋", C.SHOES, _grid(["黑色", "灰色"], ["40", "41", "42", "43"], 9900)),
    ProductSpec("加绒加厚雪地靴女", C.SHOES, _grid(["栗色", "黑色"], ["36", "37", "38", "39"], 7900)),
    ProductSpec("居家保暖棉拖鞋", C.SHOES, _grid(["灰色", "粉色"], ["36-37", "38-39", "40-41", "42-43"], 1590)),
    ProductSpec("全棉四件套床上用品", C.HOME, _grid(["星空蓝", "奶油白"], ["1.5m 床", "1.8m 床"], 12900)),
    ProductSpec("加厚珊瑚绒毛毯", C.HOME, [("150×200cm", 5900), ("200×230cm", 8900)]),
    ProductSpec("304 不锈钢保温杯 500ml", C.HOME, [("白色", 3990), ("黑色", 3990), ("樱花粉", 3990)]),
    ProductSpec("硅藻泥吸水地垫", C.HOME, [("40×60cm", 2990), ("50×80cm", 3990)]),
    ProductSpec("大号透明收纳箱三件套", C.HOME, [("透明 三件套", 4590)]),
    ProductSpec("实木折叠小餐桌", C.HOME, [("原木色 80cm", 16900), ("胡桃色 80cm", 17900)]),
    ProductSpec("云南高山小粒咖啡豆 500g", C.FOOD, [("中度烘焙", 6800), ("深度烘焙", 6800)]),
    ProductSpec("新疆阿克苏冰糖心苹果 5 斤", C.FOOD, [("中果 75-80mm", 3990), ("大果 80-85mm", 4990)]),
    ProductSpec("每日坚果 30 袋装", C.FOOD, [("混合装", 8990)]),
    ProductSpec("柳州螺蛳粉 5 袋装", C.FOOD, [("原味", 3290), ("加辣", 3290)]),
    ProductSpec("东北五常大米 10 斤", C.FOOD, [("稻花香", 5990)]),
    ProductSpec("玻尿酸补水面膜 20 片", C.BEAUTY, [("补水款", 4990), ("美白款", 5990)]),
    ProductSpec("氨基酸洗面奶 120g", C.BEAUTY, [("温和款", 2990)]),
    ProductSpec("哑光丝绒口红", C.BEAUTY, [("#01 正红", 3990), ("#02 豆沙", 3990), ("#03 枫叶", 3990)]),
    ProductSpec("主动降噪无线蓝牙耳机", C.DIGITAL, [("白色", 12900), ("黑色", 12900)]),
    ProductSpec("20000mAh 快充充电宝", C.DIGITAL, [("白色", 6990), ("黑色", 6990)]),
    ProductSpec("iPhone 15 手机壳", C.DIGITAL, [("透明", 1290), ("磨砂黑", 1590)]),
    ProductSpec("Type-C 快充数据线两条装", C.DIGITAL, [("1m", 990), ("2m", 1290)]),
    # L1: made to order, so they declare a longer shipping time.
    ProductSpec("定制刻字保温杯", C.HOME, [("白色 刻字", 5990), ("黑色 刻字", 5990)], ship_within_hours=96),
    ProductSpec("定制照片抱枕", C.HOME, [("40×40cm", 4990), ("50×50cm", 5990)], ship_within_hours=96),
    ProductSpec("925 银定制刻字情侣手链", C.OTHER, [("男款", 15900), ("女款", 15900)], ship_within_hours=96),
    # L2: presale with a concrete ship-by date.
    ProductSpec("2027 新年限定坚果礼盒（预售）", C.FOOD, [("福字款", 12800), ("金兔款", 12800)], presale_days=7),
    ProductSpec("冬季加厚羽绒被（预售）", C.HOME, [("1.5m 床 4 斤", 29900), ("2m 床 6 斤", 39900)], presale_days=8),
    # L2: out of stock and delisted.
    ProductSpec("网红星空投影小夜灯", C.DIGITAL, [("USB 款", 3990)], listed=False),
]


def goods_id(index: int) -> str:
    return str(618_203_000_000 + index * 10_007)


def sku_code(index: int, spec_index: int) -> str:
    return f"SKU{index + 1:03d}-{spec_index + 1:02d}"


class Region(NamedTuple):
    province: str
    city: str
    districts: tuple[str, ...]
    distance: int  # from the Hangzhou warehouse: 0 nearby … 3 remote (extra shipping)
    weight: int  # share of customers


REGIONS = [
    Region("浙江省", "杭州市", ("西湖区", "余杭区", "拱墅区", "滨江区"), 0, 8),
    Region("浙江省", "宁波市", ("鄞州区", "海曙区"), 0, 3),
    Region("浙江省", "温州市", ("鹿城区", "瓯海区"), 0, 3),
    Region("江苏省", "南京市", ("鼓楼区", "江宁区"), 0, 4),
    Region("江苏省", "苏州市", ("姑苏区", "吴中区"), 0, 4),
    Region("上海市", "上海市", ("浦东新区", "闵行区", "徐汇区"), 0, 7),
    Region("安徽省", "合肥市", ("蜀山区", "包河区"), 0, 3),
    Region("广东省", "广州市", ("天河区", "白云区", "番禺区"), 1, 6),
    Region("广东省", "深圳市", ("南山区", "宝安区", "龙岗区"), 1, 6),
    Region("广东省", "东莞市", ("南城街道", "长安镇"), 1, 3),
    Region("福建省", "厦门市", ("思明区", "湖里区"), 1, 2),
    Region("山东省", "济南市", ("历下区", "槐荫区"), 1, 3),
    Region("山东省", "青岛市", ("市南区", "黄岛区"), 1, 3),
    Region("河南省", "郑州市", ("金水区", "二七区"), 1, 4),
    Region("湖北省", "武汉市", ("洪山区", "江汉区"), 1, 4),
    Region("湖南省", "长沙市", ("岳麓区", "雨花区"), 1, 3),
    Region("江西省", "南昌市", ("红谷滩区", "青山湖区"), 1, 2),
    Region("北京市", "北京市", ("朝阳区", "海淀区", "丰台区"), 1, 5),
    Region("天津市", "天津市", ("南开区", "河西区"), 1, 2),
    Region("河北省", "石家庄市", ("长安区", "裕华区"), 1, 2),
    Region("四川省", "成都市", ("武侯区", "锦江区", "双流区"), 2, 5),
    Region("重庆市", "重庆市", ("渝北区", "九龙坡区"), 2, 3),
    Region("陕西省", "西安市", ("雁塔区", "未央区"), 2, 3),
    Region("云南省", "昆明市", ("五华区", "官渡区"), 2, 2),
    Region("广西壮族自治区", "南宁市", ("青秀区", "西乡塘区"), 2, 2),
    Region("辽宁省", "沈阳市", ("和平区", "浑南区"), 2, 2),
    Region("黑龙江省", "哈尔滨市", ("南岗区", "道里区"), 2, 2),
    Region("新疆维吾尔自治区", "乌鲁木齐市", ("天山区", "沙依巴克区"), 3, 1),
    Region("内蒙古自治区", "呼和浩特市", ("赛罕区", "新城区"), 3, 1),
]
REGION_BY_CITY = {region.city: region for region in REGIONS}
REMOTE_SHIPPING_FEN = 1000  # (assumed) remote provinces pay a shipping supplement
ORIGIN_CITY = "杭州市"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢傅钟姜崔谭陆范汪廖石金贾夏方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵钱戴严孔汤康易乔赖"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "华",
    "玲",
    "红",
    "鹏",
    "飞",
    "婷",
    "宇",
    "浩",
    "雪",
    "琳",
    "欣",
    "晨",
    "佳",
    "颖",
    "子涵",
    "梓萱",
    "一诺",
    "浩然",
    "思雨",
    "俊杰",
    "雨桐",
    "欣怡",
    "子轩",
    "晓燕",
    "建华",
    "志强",
    "海燕",
    "丽娟",
    "文静",
    "嘉怡",
    "天佑",
    "若曦",
    "家豪",
    "慧敏",
    "国庆",
    "春梅",
]
NICK_ADJECTIVES = [
    "快乐的",
    "爱笑的",
    "安静的",
    "追风的",
    "努力的",
    "温柔的",
    "可爱的",
    "佛系",
    "元气",
    "奔跑的",
    "不吃香菜的",
    "会发光的",
]
NICK_NOUNS = [
    "小鱼",
    "猫咪",
    "兔子",
    "小熊",
    "橙子",
    "向日葵",
    "蜗牛",
    "少年",
    "女孩",
    "大叔",
    "宝妈",
    "柠檬",
    "奶茶",
    "星星",
    "月亮",
    "番茄",
]
NICK_PHRASES = [
    "岁月静好",
    "平安喜乐",
    "一路向北",
    "微笑向暖",
    "简单就好",
    "星辰大海",
    "柠檬不酸",
    "奶茶三分糖",
    "周末去看海",
    "知足常乐",
]
STREETS = [
    "文三路",
    "建国路",
    "人民路",
    "解放路",
    "中山路",
    "长江路",
    "和平路",
    "新华路",
    "幸福路",
    "学院路",
    "科技路",
    "滨江大道",
    "环城北路",
    "光明路",
]
ESTATES = [
    "阳光花园",
    "金色家园",
    "万科城",
    "碧桂园",
    "绿地小区",
    "翠苑一区",
    "幸福里",
    "锦绣华庭",
    "世纪新城",
    "东方名苑",
]
MOBILE_PREFIXES = [
    "138",
    "139",
    "137",
    "136",
    "135",
    "150",
    "151",
    "152",
    "158",
    "159",
    "186",
    "187",
    "188",
    "177",
    "180",
    "189",
    "199",
    "166",
]


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def nickname(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(NICK_ADJECTIVES) + rng.choice(NICK_NOUNS)
    if roll < 0.55:
        return rng.choice(NICK_PHRASES)
    if roll < 0.75:
        return f"{name[0]}{rng.choice(['姐', '哥', '妈妈', '同学', '老师'])}{rng.randrange(10, 100)}"
    return f"拼友{rng.randrange(10**6, 10**7)}"


def hub_name(city: str) -> str:
    return f"{city.removesuffix('市')}转运中心"


# --- Holidays ------------------------------------------------------------------------------------------------------
# (date, name, worked day). 2026 follows the State Council's schedule; 2027's is (assumed) until it is published.
HOLIDAYS: list[tuple[dt.date, str, bool]] = [
    *[(dt.date(2026, 1, day), "元旦", False) for day in (1, 2, 3)],
    (dt.date(2026, 1, 4), "元旦调休上班", True),
    (dt.date(2026, 2, 14), "春节调休上班", True),
    *[(dt.date(2026, 2, day), "春节", False) for day in range(15, 24)],
    (dt.date(2026, 2, 28), "春节调休上班", True),
    (dt.date(2026, 9, 20), "国庆调休上班", True),
    *[(dt.date(2026, 10, day), "国庆节", False) for day in range(1, 8)],
    (dt.date(2026, 10, 10), "国庆调休上班", True),
    *[(dt.date(2027, 1, day), "元旦", False) for day in (1, 2, 3)],
    (dt.date(2027, 1, 31), "春节调休上班（预估）", True),
    *[(dt.date(2027, 2, day), "春节（预估）", False) for day in range(5, 12)],
    (dt.date(2027, 2, 20), "春节调休上班（预估）", True),
]


# --- Steps ---------------------------------------------------------------------------------------------------------


def seed_store(
    *, now: dt.datetime | None = None, orders: int = DEFAULT_ORDERS, rng_seed: int = DEFAULT_RNG_SEED
) -> dict:
    """The store's own data: couriers, catalogue, customers, staff, holidays and `orders` demo orders.

    Tops up to `orders` demo orders when fewer exist; never duplicates anything.
    """
    now = now or timezone.now()
    created: dict[str, int] = {}
    created["couriers"] = ensure_couriers()
    created["products"], created["skus"] = ensure_catalogue(now=now)
    created["customers"] = ensure_customers(count=DEFAULT_CUSTOMERS, rng_seed=rng_seed)
    created["staff"] = ensure_staff()
    created["holidays"] = ensure_holidays()
    created.update(seed_orders(now=now, orders=orders, rng_seed=rng_seed))
    return created


def ensure_couriers() -> int:
    existing = set(Courier.objects.values_list("code", flat=True))
    missing = [Courier(code=c.code, name=c.name, phone=c.phone) for c in COURIERS if c.code not in existing]
    Courier.objects.bulk_create(missing)
    return len(missing)


def ensure_catalogue(*, now: dt.datetime) -> tuple[int, int]:
    """Products and SKUs by goods ID and SKU code; an admin's later edits to them are kept."""
    rng = random.Random(DEFAULT_RNG_SEED)  # stock levels only
    local_now = timezone.localtime(now)
    existing_products = set(Product.objects.values_list("goods_id", flat=True))
    new_products = []
    for index, spec in enumerate(CATALOGUE):
        if goods_id(index) in existing_products:
            continue
        presale_ship_by = None
        if spec.presale_days:
            presale_ship_by = (local_now + dt.timedelta(days=spec.presale_days)).replace(
                hour=18, minute=0, second=0, microsecond=0
            )
        new_products.append(
            Product(
                goods_id=goods_id(index),
                name=spec.name,
                category=spec.category,
                ship_within_hours=spec.ship_within_hours,
                presale_ship_by=presale_ship_by,
                listed=spec.listed,
            )
        )
    Product.objects.bulk_create(new_products)

    products = {
        p.goods_id: p for p in Product.objects.filter(goods_id__in=[goods_id(i) for i in range(len(CATALOGUE))])
    }
    existing_skus = set(Sku.objects.values_list("code", flat=True))
    new_skus = []
    for index, spec in enumerate(CATALOGUE):
        for spec_index, (sku_spec, price_fen) in enumerate(spec.skus):
            stock = rng.randrange(20, 800) if spec.listed else 0
            if sku_code(index, spec_index) in existing_skus:
                continue
            new_skus.append(
                Sku(
                    product=products[goods_id(index)],
                    code=sku_code(index, spec_index),
                    spec=sku_spec,
                    price_fen=price_fen,
                    stock=stock,
                )
            )
    # One listed SKU sold out, the case L2 is about.
    for sku in new_skus:
        if sku.code == sku_code(1, 11):
            sku.stock = 0
    Sku.objects.bulk_create(new_skus)
    return len(new_products), len(new_skus)


def customer_rows(count: int, rng_seed: int) -> list[Customer]:
    """The same `count` customers for the same seed (the first k are the same for any count ≥ k)."""
    rng = random.Random(rng_seed + 1)
    weights = [region.weight for region in REGIONS]
    rows, seen = [], set()
    while len(rows) < count:
        pdd_user_id = str(rng.randrange(10**9, 9 * 10**9))
        name = chinese_name(rng)
        region = rng.choices(REGIONS, weights)[0]
        row = Customer(
            pdd_user_id=pdd_user_id,
            nickname=nickname(rng, name),
            name=name,
            phone=mobile_number(rng),
            province=region.province,
            city=region.city,
            district=rng.choice(region.districts),
            address=f"{rng.choice(STREETS)}{rng.randrange(1, 999)}号{rng.choice(ESTATES)}"
            f"{rng.randrange(1, 30)}幢{rng.randrange(1, 30)}0{rng.randrange(1, 5)}室",
        )
        if pdd_user_id not in seen:
            seen.add(pdd_user_id)
            rows.append(row)
    return rows


def ensure_customers(*, count: int, rng_seed: int) -> int:
    rows = customer_rows(count, rng_seed)
    existing = set(
        Customer.objects.filter(pdd_user_id__in=[c.pdd_user_id for c in rows]).values_list("pdd_user_id", flat=True)
    )
    missing = [c for c in rows if c.pdd_user_id not in existing]
    Customer.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    return len(missing)


def ensure_staff() -> int:
    """The demo logins, each in its role group, all with DEMO_PASSWORD (set when first made; later changes are kept)."""
    user_model = get_user_model()
    if Group.objects.filter(name__in=[m.role for m in DEMO_STAFF]).count() < len({m.role for m in DEMO_STAFF}):
        ensure_role_groups()
    groups = {g.name: g for g in Group.objects.filter(name__in=[m.role for m in DEMO_STAFF])}
    usernames = [m.username for m in DEMO_STAFF]
    existing = set(user_model.objects.filter(username__in=usernames).values_list("username", flat=True))
    password = None
    created = 0
    for member in DEMO_STAFF:
        if member.username in existing:
            continue
        # One hash for all: hashing is deliberately slow and these are demo accounts.
        password = password or demo_password_hash()
        user = user_model.objects.create(
            username=member.username,
            last_name=member.last_name,
            first_name=member.first_name,
            email=f"{member.username}@example.com",
            is_staff=member.is_staff,
            password=password,
        )
        user.groups.add(groups[member.role])
        created += 1
    return created


def demo_password_hash() -> str:
    hasher = get_hasher()
    try:
        current = identify_hasher(DEMO_PASSWORD_HASH).algorithm == hasher.algorithm
    except ValueError:  # the store's hashers do not include it
        current = False
    if current and not hasher.must_update(DEMO_PASSWORD_HASH):
        return DEMO_PASSWORD_HASH
    return make_password(DEMO_PASSWORD)


def ensure_holidays() -> int:
    store = StoreSettings.load()
    existing = set(store.holidays.values_list("date", flat=True))
    missing = [
        Holiday(settings=store, date=day, name=name, is_workday=worked)
        for day, name, worked in HOLIDAYS
        if day not in existing
    ]
    Holiday.objects.bulk_create(missing)
    forget_store_settings()  # bulk_create sends no post_save
    return len(missing)


# --- Orders --------------------------------------------------------------------------------------------------------

IN_TRANSIT = Shipment.State.IN_TRANSIT
OUT_FOR_DELIVERY = Shipment.State.OUT_FOR_DELIVERY
DELIVERED = Shipment.State.DELIVERED
EXCEPTION = Shipment.State.EXCEPTION
RETURNED = Shipment.State.RETURNED

# What the demo month looks like, in percent of orders. Every scenario shows up at least once, however few orders.
SCENARIOS = {
    "awaiting": 7,  # paid recently, well before the ship-by time
    "awaiting_near": 2,  # ship-by within the next few hours
    "awaiting_late": 2.5,  # ship-by passed, still not shipped (L1)
    "in_transit": 12,
    "stalled": 2,  # no tracking movement for over 3 days (L5)
    "no_first_event": 1.5,  # shipped over 24 h ago, no tracking event yet (L4)
    "no_tracking_no": 1,  # shipped without a tracking number (L4)
    "delivered": 15,
    "completed": 44,
    "cancelled": 5,
    "refunded": 8,
}
ORDER_STATUS = {
    "awaiting": Order.Status.AWAITING_SHIPMENT,
    "awaiting_near": Order.Status.AWAITING_SHIPMENT,
    "awaiting_late": Order.Status.AWAITING_SHIPMENT,
    "in_transit": Order.Status.SHIPPED,
    "stalled": Order.Status.SHIPPED,
    "no_first_event": Order.Status.SHIPPED,
    "no_tracking_no": Order.Status.SHIPPED,
    "delivered": Order.Status.DELIVERED,
    "completed": Order.Status.COMPLETED,
    "cancelled": Order.Status.CANCELLED,
    "refunded": Order.Status.REFUNDED,
}
SIGNED_BY = ("本人签收", "家门口", "快递柜", "菜鸟驿站代收", "前台代收", "家人代收")
STALL_REASONS = ("因天气原因，快件延误", "中转积压，正在加急处理", "收件地址不详，待联系收件人", "外包装破损，正在核实")


def scenario_quotas(count: int) -> dict[str, int]:
    total = sum(SCENARIOS.values())
    quotas = {name: max(1, round(count * weight / total)) for name, weight in SCENARIOS.items()}
    quotas["completed"] += count - sum(quotas.values())
    if quotas["completed"] < 0:  # too few orders for every scenario: keep the first ones
        quotas, left = {}, count
        for name in SCENARIOS:
            quotas[name], left = min(1, left), left - min(1, left)
    return quotas


def tracking_timeline(
    rng: random.Random, *, courier_name: str, city: str, district: str, distance: int
) -> list[tuple[int, str, str, str]]:
    """A parcel's journey from the Hangzhou warehouse: (seconds after shipping, state, place, description)."""
    hub = hub_name(city)
    events = []
    hours = rng.uniform(0.5, 6)

    def add(state: str, place: str, text: str, gap: tuple[float, float]) -> None:
        nonlocal hours
        events.append((int(hours * 3600), state, place, f"【{place}】{text}"))
        hours += rng.uniform(*gap)

    add(IN_TRANSIT, ORIGIN_CITY, f"{courier_name}浙江杭州余杭仓前网点 已揽收", (2, 6))
    add(IN_TRANSIT, ORIGIN_CITY, "快件已到达 杭州转运中心，运输中", (1, 4))
    if city != ORIGIN_CITY:
        add(
            IN_TRANSIT,
            ORIGIN_CITY,
            f"快件已从 杭州转运中心 发出，准备发往 {hub}",
            (6 + distance * 10, 14 + distance * 16),
        )
        add(IN_TRANSIT, city, f"快件已到达 {hub}，运输中", (1, 4))
        add(IN_TRANSIT, city, f"快件已从 {hub} 发出，准备发往 {district}营业部", (3, 8))
    add(IN_TRANSIT, city, f"快件已到达 {district}营业部", (0.5, 3))
    courier_phone = mobile_number(rng)
    add(
        OUT_FOR_DELIVERY,
        city,
        f"{district}营业部 派件员：{rng.choice(SURNAMES)}师傅（电话 {courier_phone}）正在派送中",
        (0.5, 5),
    )
    add(DELIVERED, city, f"已签收，签收人：{rng.choice(SIGNED_BY)}。感谢使用{courier_name}，期待再次为您服务", (0, 0))
    return events


class _OrderMaker:
    """Drafts one demo order of a given scenario, with its items, parcel and tracking events (unsaved)."""

    def __init__(self, *, now: dt.datetime, rng: random.Random, customers: list[Customer], skus: list[Sku]):
        self.now = now.replace(microsecond=0)
        self.rng = rng
        self.store = StoreSettings.load()
        self.calendar = Calendar.for_store(self.store)
        self.customers = customers
        self.all_skus = [s for s in skus if s.product.listed]
        # Presale items only sit in orders still waiting for their presale date.
        self.shippable_skus = [s for s in self.all_skus if not s.product.presale_ship_by]
        self.presale_skus = [s for s in self.all_skus if s.product.presale_ship_by and s.product.presale_ship_by > now]
        self.couriers = {c.code: c for c in Courier.objects.filter(code__in=[spec.code for spec in COURIERS])}
        self.courier_specs = [spec for spec in COURIERS if spec.code in self.couriers]
        self.courier_weights = [spec.share for spec in self.courier_specs]
        self.numbers: set[str] = set()

    def hours(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(seconds=int(self.rng.uniform(low, high) * 3600))

    def ship_by(self, paid_at: dt.datetime, products: list[Product]) -> dt.datetime:
        return compute_ship_by(paid_at=paid_at, products=products, store=self.store, calendar=self.calendar)

    def lines(self, *, presale: bool) -> list[tuple[Sku, int]]:
        rng = self.rng
        count = rng.choices((1, 2, 3), (75, 20, 5))[0]
        skus = rng.sample(self.shippable_skus, count)
        if presale and self.presale_skus:
            skus[0] = rng.choice(self.presale_skus)
        return [(sku, rng.choices((1, 2, 3), (85, 12, 3))[0]) for sku in skus]

    def number(self, paid_at: dt.datetime) -> str:
        while True:
            number = f"{timezone.localtime(paid_at):%y%m%d}-{self.rng.randrange(10**14, 9 * 10**14)}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def draft(self, scenario: str) -> tuple[Order, list[OrderItem], Shipment | None, list[TrackingEvent]]:
        rng, now, hours = self.rng, self.now, self.hours
        customer = rng.choice(self.customers)
        region = REGION_BY_CITY.get(customer.city, REGIONS[0])
        lines = self.lines(presale=scenario == "awaiting" and rng.random() < 0.25)
        products = [sku.product for sku, _qty in lines]
        presale = any(p.presale_ship_by for p in products)
        # With the clock running through holidays (the default), the deadline is a fixed time after payment.
        ship_within = self.ship_by(now, products) - now
        delay = hours(2, 30) if rng.random() < 0.95 else ship_within + hours(1, 12)  # a few historic late shipments

        courier_spec = rng.choices(self.courier_specs, self.courier_weights)[0]
        timeline = tracking_timeline(
            rng, courier_name=courier_spec.name, city=region.city, district=customer.district, distance=region.distance
        )
        span = dt.timedelta(seconds=timeline[-1][0])
        events = list(timeline)
        shipped_at = None
        tracking_no = tracking_number(rng, courier_spec)
        status = ORDER_STATUS[scenario]

        if scenario == "awaiting":
            paid_at = now - (hours(2, 96) if presale else hours(0.2, max(0.3, ship_within / dt.timedelta(hours=1) - 7)))
        elif scenario == "awaiting_near":
            paid_at = now - ship_within + hours(0.3, 5.5)
        elif scenario == "awaiting_late":
            paid_at = now - ship_within - hours(0.5, 40)
        elif scenario == "cancelled":
            paid_at = now - hours(0.5, 30 * 24)
        elif scenario == "refunded" and rng.random() < 0.55:  # refunded before it shipped
            paid_at = now - hours(6, 30 * 24)
        elif scenario == "in_transit":
            shipped_at = now - dt.timedelta(seconds=int(span.total_seconds() * rng.uniform(0.1, 0.9)))
            events = [e for e in timeline if shipped_at + dt.timedelta(seconds=e[0]) <= now]
        elif scenario == "stalled":
            cut = rng.randrange(1, len(timeline) - 3)
            events = timeline[: cut + 1]
            if rng.random() < 0.3:
                at, _state, place, _text = events[-1]
                events[-1] = (at, EXCEPTION, place, f"【{place}】快件异常：{rng.choice(STALL_REASONS)}")
            shipped_at = now - hours(74, 170) - dt.timedelta(seconds=events[-1][0])
        elif scenario == "no_first_event":
            shipped_at, events = now - hours(25, 60), []
        elif scenario == "no_tracking_no":
            shipped_at, events, tracking_no = now - hours(1, 30), [], ""
        elif scenario == "delivered":
            shipped_at = now - hours(1, 150) - span
        elif scenario == "completed":
            shipped_at = now - span - hours(5 * 24, 28 * 24)
        elif scenario == "refunded":
            shipped_at = now - span - hours(1 * 24, 25 * 24)
            if rng.random() < 0.35:  # refused at the door, back to the store
                at, _state, place, _text = timeline[-1]
                events = [*timeline[:-1], (at, RETURNED, place, f"【{place}】收件人拒收，快件已退回寄件人")]
        else:
            raise ValueError(scenario)

        if shipped_at is not None:
            paid_at = shipped_at - delay
        goods_fen = sum(sku.price_fen * qty for sku, qty in lines)
        shipping_fen = REMOTE_SHIPPING_FEN if region.distance >= 3 else 0
        discount_fen = rng.choice((300, 500, 1000)) if goods_fen >= 5000 and rng.random() < 0.3 else 0
        order = Order(
            number=self.number(paid_at),
            customer=customer,
            status=status,
            goods_fen=goods_fen,
            shipping_fen=shipping_fen,
            discount_fen=discount_fen,
            paid_fen=goods_fen + shipping_fen - discount_fen,
            paid_at=paid_at,
            ship_by=self.ship_by(paid_at, products),
            shipped_at=shipped_at,
            receiver_name=customer.name,
            receiver_phone=customer.phone,
            receiver_address=f"{customer.province}{customer.city}{customer.district}{customer.address}",
        )
        items = [
            OrderItem(
                order=order,
                sku=sku,
                product_name=sku.product.name,
                spec=sku.spec,
                quantity=qty,
                unit_price_fen=sku.price_fen,
            )
            for sku, qty in lines
        ]
        if shipped_at is None:
            return order, items, None, []

        shipment = Shipment(
            order=order,
            courier=self.couriers[courier_spec.code],
            tracking_no=tracking_no,
            shipped_at=shipped_at,
            state=Shipment.State.CREATED,
        )
        tracking = [
            TrackingEvent(
                shipment=shipment,
                at=shipped_at + dt.timedelta(seconds=offset),
                place=place,
                state=state,
                description=text,
            )
            for offset, state, place, text in events
        ]
        if tracking:
            last = tracking[-1]
            shipment.state, shipment.last_event_at = last.state, last.at
            if last.state == DELIVERED:
                shipment.delivered_at = order.delivered_at = last.at
        return order, items, shipment, tracking


def demo_order_count() -> int:
    return Order.objects.filter(number__regex=DEMO_ORDER_REGEX).count()


def _values(rows: list) -> list[dict]:
    """Unsaved model instances as insert_rows' rows; automatic timestamps are left to it."""
    if not rows:
        return []
    fields = [
        f.attname
        for f in rows[0]._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
    ]
    return [{name: getattr(row, name) for name in fields} for row in rows]


def seed_orders(*, now: dt.datetime, orders: int, rng_seed: int) -> dict[str, int]:
    """Tops the demo orders up to `orders`, across every scenario of SCENARIOS, paid over the last 30 days."""
    missing = orders - demo_order_count()
    if missing <= 0:
        return {"orders": 0, "order_items": 0, "shipments": 0, "tracking_events": 0}
    rng = random.Random(rng_seed + 2)
    customer_ids = [c.pdd_user_id for c in customer_rows(DEFAULT_CUSTOMERS, rng_seed)]
    by_pdd_id = Customer.objects.in_bulk(customer_ids, field_name="pdd_user_id")
    customers = [by_pdd_id[pdd_id] for pdd_id in customer_ids if pdd_id in by_pdd_id]
    skus = list(Sku.objects.select_related("product").order_by("code"))
    maker = _OrderMaker(now=now, rng=rng, customers=customers, skus=skus)

    drafts = [maker.draft(scenario) for scenario, quota in scenario_quotas(missing).items() for _ in range(quota)]
    # A top-up run must not reuse a number an earlier run already took.
    taken = set(Order.objects.filter(number__in=list(maker.numbers)).values_list("number", flat=True))
    for order, *_rest in drafts:
        while order.number in taken:
            maker.numbers.discard(order.number)
            order.number = maker.number(order.paid_at)
    drafts.sort(key=lambda draft: draft[0].paid_at)

    # The importer's insert (values prepared once per column, not per value as bulk_create does), then the new ids
    # by their unique keys for the rows that point at them.
    stamp = timezone.now()
    new_orders = [d[0] for d in drafts]
    insert_rows(Order, _values(new_orders), now=stamp)
    order_ids = dict(Order.objects.filter(number__in=[o.number for o in new_orders]).values_list("number", "pk"))
    for order in new_orders:
        order.pk = order_ids[order.number]
    items = [item for d in drafts for item in d[1]]
    for item in items:
        item.order_id = item.order.pk
    insert_rows(OrderItem, _values(items), now=stamp)
    shipments = [d[2] for d in drafts if d[2] is not None]
    for shipment in shipments:
        shipment.order_id = shipment.order.pk
    insert_rows(Shipment, _values(shipments), now=stamp)
    shipment_ids = dict(Shipment.objects.filter(order__in=list(order_ids.values())).values_list("order_id", "pk"))
    events = [event for d in drafts for event in d[3]]
    for event in events:
        event.shipment_id = shipment_ids[event.shipment.order_id]
    insert_rows(TrackingEvent, _values(events), now=stamp)
    return {
        "orders": len(drafts),
        "order_items": len(items),
        "shipments": len(shipments),
        "tracking_events": len(events),
    }


# --- Messaging -----------------------------------------------------------------------------------------------------

# The store's default library (backoffice.messaging.library) is installed by migrate; the demo adds no phrases of its own.
QUICK_PHRASES = DEFAULT_QUICK_PHRASES


def seed_messaging() -> dict[str, int]:
    """R3/R4 quick phrases and A6 keyword auto-replies: the default library, which migrate installed already; only
    what is missing is added (never a second copy, never over an admin's edit)."""
    installed = install_library(
        message_template=MessageTemplate, quick_phrase=QuickPhrase, auto_reply_rule=AutoReplyRule
    )
    return {"quick_phrases": installed["quick_phrases"], "auto_reply_rules": installed["auto_reply_rules"]}
