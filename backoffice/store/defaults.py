"""What a new store starts with: its settings record, opening hours and the message templates the code sends.

Created after migrate when missing; store admins then edit them in Django admin and their edits are kept.
"""

import datetime as dt

from backoffice.models import BusinessHours, Campaign, MessageTemplate, StoreSettings, Trigger
from backoffice.store.cache import forget_store_settings

DEFAULT_HOURS = [(weekday, dt.time(9, 0), dt.time(23, 0)) for weekday in range(7)]  # (assumed)

# key: (name, text). Keys are what the code asks for; the text is the store's to change.
DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "out_of_hours": (
        "非工作时间自动回复 (R2)",
        "亲，现在是非工作时间，客服将于 {next_open} 上线后第一时间回复您~关于发货：拍下 48 小时内发出；"
        "关于售后：支持 7 天无理由退换，正品保障，请放心。",
    ),
    "refund_approved": (
        "退款已同意 (A3/A4/A8)",
        "{customer_name}您好，您订单{order_no}的退款{refund_amount}已为您极速通过，"
        "款项将在 24 小时内原路退回，请留意查收。",
    ),
    "refund_apology": (
        "退款后致歉 (A3)",
        "给您添麻烦了，非常抱歉！这次的体验没有让您满意，我们会认真改进。有任何问题随时联系我们~",
    ),
    "application_rejected": (
        "售后申请未通过",
        "{customer_name}您好，很抱歉，您订单{order_no}的售后申请暂未通过，原因：{reason}。"
        "如有疑问请直接回复我们，客服会在 1 小时内为您处理。",
    ),
    "return_approved": (
        "退货已同意 (A8)",
        "{customer_name}您好，您的退货申请已通过。请将商品寄回：{return_address}，"
        "寄出后请在订单页上传快递单号。{return_shipping}。我们收到后 24 小时内为您退款。",
    ),
    "return_received": (
        "退货已收到",
        "{customer_name}您好，您寄回的商品已收到，退款{refund_amount}已发起，24 小时内到账。",
    ),
    "compensation_paid": (
        "补偿已同意 (A2)",
        "{customer_name}您好，给您添麻烦了，已为您发起补偿{amount}，24 小时内原路到账，商品您留着用，感谢理解！",
    ),
    "reship_arranged": (
        "补寄已安排 (A2)",
        "{customer_name}您好，已为您免费补寄，无需退回原商品，发出后会把快递单号发给您。",
    ),
    "exchange_return_approved": (
        "换货已同意，待寄回 (A8)",
        "{customer_name}您好，您的换货申请已通过。请将商品寄回：{return_address}，"
        "寄出后请在订单页上传快递单号。{return_shipping}。我们收到退回的商品后为您发出新商品，并把快递单号告诉您。",
    ),
    "exchange_arranged": (
        "换货已安排",
        "{customer_name}您好，换货已为您安排，新商品发出后会第一时间告知您快递单号。",
    ),
    "handling_promise": (
        "处理时效承诺 (A4)",
        "{customer_name}您好，您的售后申请已收到，我这边会在 {handle_within}内处理，处理后退款会在 24 小时内到账，"
        "不用反复追问哦~",
    ),
    # An exchange or a reship sends goods, not money: the same promise without the refund's 24 hours.
    "handling_promise_goods": (
        "处理时效承诺 (A4, 换货/补寄)",
        "{customer_name}您好，您的售后申请已收到，我这边会在 {handle_within}内处理，处理进度会第一时间告知您，"
        "不用反复追问哦~",
    ),
    "shipment_notice": (
        "发货通知 (L6)",
        "{customer_name}您好，您的订单{order_no}已发货啦！快递：{courier}，单号：{tracking_no}，"
        "预计 {delivery_days} 天送达，可在订单详情里随时查看物流~",
    ),
    "aftersales_reminder": (
        "签收前售后提醒 (A1)",
        "{customer_name}您好，您买的商品（{courier} {tracking_no}）预计很快就到啦~ "
        "收到后有任何问题（如尺寸不合适、商品瑕疵），可直接联系我们，支持 7 天无理由退换，"
        "商品质量问题来回运费我们承担。祝您购物愉快！",
    ),
    "stalled_notice": (
        "物流停滞主动告知 (L5)",
        "{customer_name}您好，您的订单{order_no}（{courier} {tracking_no}）物流更新有些慢，"
        "我们已主动联系快递公司加急核实处理，有进展会第一时间告诉您，给您添麻烦了，非常抱歉！",
    ),
    "out_of_stock_offer": (
        "缺货：等待或退款 (L3)",
        "{customer_name}您好，非常抱歉！您订单{order_no}里的商品暂时缺货，需要再等 {wait_days} 天左右才能发出。"
        "您可以选择：1. 继续等待，我们送您一张 {coupon} 优惠券表示歉意；2. 直接为您全额退款。请回复 1 或 2 告诉我们~",
    ),
    "delay_apology": (
        "延误致歉",
        "{customer_name}您好，您的订单{order_no}比预期慢了一些，真的很抱歉！我们正在全力跟进，"
        "有任何进展会第一时间通知您，感谢您的耐心等待~",
    ),
    "survey_invite": (
        "满意度调查 (A12)",
        "{customer_name}您好，您反馈的问题（单号 {case_no}）已处理完毕。这次的服务您满意吗？"
        "点击链接告诉我们（10 秒即可）：{survey_url} 感谢您的支持！",
    ),
    "followup_refund": (
        "售后回访致歉 + 优惠券 (A9)",
        "{customer_name}您好，前几天的售后给您添麻烦了，非常抱歉！退款应已到账，请注意查收。"
        "送您一张{coupon_value}{coupon_threshold}优惠券（券码 {coupon_code}，{coupon_valid_until} 前有效），"
        "期待您再次光临{store_name}~{survey_line}",
    ),
    "followup_review": (
        "中差评回访致歉 + 优惠券 (A10)",
        "{customer_name}您好，上次的购物体验没有让您满意，真的很抱歉！问题已为您处理好，"
        "送您一张{coupon_value}{coupon_threshold}优惠券（券码 {coupon_code}，{coupon_valid_until} 前有效）。"
        "如果方便，麻烦您帮忙修改一下评价，感谢理解与支持！{survey_line}",
    ),
    "followup_out_of_stock": (
        "缺货等待补偿券 (L3)",
        "{customer_name}您好，感谢您愿意多等几天！订单{order_no}的商品到货后会第一时间为您发出，"
        "送您一张{coupon_value}{coupon_threshold}优惠券（券码 {coupon_code}，{coupon_valid_until} 前有效），"
        "给您添麻烦了。",
    ),
    "small_defect_offer": (
        "小瑕疵：补偿或补寄 (A2)",
        "{customer_name}您好，商品有小瑕疵真的很抱歉！给您两个方案：1. 给您补偿{compensation}，商品您留着用；"
        "2. 我们免费补发一件，无需退回旧件。请回复 1 或 2 告诉我们~",
    ),
    "reship_shipped": (
        "补寄已发出 (A2)",
        "{customer_name}您好，给您补寄的商品已发出：{courier}，单号 {tracking_no}，预计 {delivery_days} 天送达，"
        "可在订单详情里查看物流~",
    ),
}


def ensure_store_defaults(**kwargs) -> None:
    store = StoreSettings.load()
    if not store.hours.exists():
        BusinessHours.objects.bulk_create(
            BusinessHours(settings=store, weekday=day, opens=opens, closes=closes)
            for day, opens, closes in DEFAULT_HOURS
        )
        forget_store_settings()  # bulk_create sends no post_save
    existing = set(MessageTemplate.objects.values_list("key", flat=True))
    MessageTemplate.objects.bulk_create(
        MessageTemplate(key=key, name=name, body=body)
        for key, (name, body) in DEFAULT_TEMPLATES.items()
        if key not in existing
    )
    ensure_campaign_defaults(store)


# key: (name, trigger, coupon value in fen, template key, delay window in hours or None for the store's follow-up
# window). The campaign is the one source of every coupon value: the messages quote it, the coupons are issued from it.
# Budgets (assumed): ¥5,000 per campaign; admins change them.
DEFAULT_CAMPAIGNS = [
    ("a9-refund-followup", "退款/退货后回访 (A9)", Trigger.AFTERSALES_REFUND_CLOSED, 1000, "followup_refund", None),
    ("a10-review-followup", "中差评回访 (A10)", Trigger.REVIEW_RESOLVED, 1500, "followup_review", None),
    # L3: the coupon thanks the customer for waiting, so it goes out at once (in business hours).
    ("l3-out-of-stock-wait", "缺货等待补偿 (L3)", Trigger.OUT_OF_STOCK_WAIT, 500, "followup_out_of_stock", (0, 0)),
]
DEFAULT_CAMPAIGN_BUDGET_FEN = 500_000


def ensure_campaign_defaults(store: StoreSettings) -> None:
    """The three campaigns of the document (A9 10 yuan, A10 15 yuan, L3 5 yuan), each once; admin edits are kept."""
    existing = set(Campaign.objects.values_list("key", flat=True))
    templates = {t.key: t for t in MessageTemplate.objects.filter(key__in=[c[4] for c in DEFAULT_CAMPAIGNS])}
    for key, name, trigger, value_fen, template_key, window in DEFAULT_CAMPAIGNS:
        if key in existing or template_key not in templates:
            continue
        Campaign.objects.create(
            key=key,
            name=name,
            trigger=trigger,
            coupon_value_fen=value_fen,
            template=templates[template_key],
            delay_min_hours=window[0] if window else None,
            delay_max_hours=window[1] if window else None,
            budget_fen=DEFAULT_CAMPAIGN_BUDGET_FEN,
        )
