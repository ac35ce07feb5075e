"""What a new store starts with: its settings record, opening hours and the message templates the code sends.

Created after migrate when missing; store admins then edit them in Django admin and their edits are kept.
"""

import datetime as dt

from .models import BusinessHours, MessageTemplate, StoreSettings

DEFAULT_HOURS = [(weekday, dt.time(9, 0), dt.time(23, 0)) for weekday in range(7)]  # (assumed)

# key: (name, text). Keys are what the code asks for; the text is the store's to change.
DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "out_of_hours": (
        "非工作时间自动回复 (R2)",
        "亲，当前咨询较多，客服会在 5 分钟内回复您~关于发货：拍下 48 小时内发出；"
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
        "寄出后请在订单页上传快递单号，我们收到后 24 小时内为您退款。",
    ),
    "return_received": (
        "退货已收到",
        "{customer_name}您好，您寄回的商品已收到，退款{refund_amount}已发起，24 小时内到账。",
    ),
    "compensation_paid": (
        "补偿已发放 (A2)",
        "{customer_name}您好，商品有小瑕疵给您添麻烦了，已为您补偿{amount}，商品您留着用，感谢理解！",
    ),
    "reship_arranged": (
        "补寄已安排 (A2)",
        "{customer_name}您好，已为您免费补寄，无需退回原商品，发出后会把快递单号发给您。",
    ),
    "exchange_arranged": (
        "换货已安排",
        "{customer_name}您好，换货已为您安排，新商品发出后会第一时间告知您快递单号。",
    ),
    "handling_promise": (
        "处理时效承诺 (A4)",
        "{customer_name}您好，您的问题已收到，我会在 1 小时内为您处理；如需退款，24 小时内到账。",
    ),
}


def ensure_store_defaults(**kwargs) -> None:
    store = StoreSettings.load()
    if not store.hours.exists():
        BusinessHours.objects.bulk_create(
            BusinessHours(settings=store, weekday=day, opens=opens, closes=closes)
            for day, opens, closes in DEFAULT_HOURS
        )
    existing = set(MessageTemplate.objects.values_list("key", flat=True))
    MessageTemplate.objects.bulk_create(
        MessageTemplate(key=key, name=name, body=body)
        for key, (name, body) in DEFAULT_TEMPLATES.items()
        if key not in existing
    )
