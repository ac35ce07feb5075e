"""The default library a real store starts with (R3, R4, A6): quick phrases, keyword auto-replies and every message
template, installed by a data migration; store admins then edit them in Django admin.

Installing is idempotent and never overwrites: a phrase is known by its title, a rule by its name, a template by its
key, and whatever already exists (an admin's edit) is left as it is. The demo seed adds none of its own.
"""

from backoffice.store.defaults import DEFAULT_TEMPLATES

# What a return message says about the return shipping, by who pays it (the {return_shipping} variable).
RETURN_SHIPPING_TEXTS = {
    "store": "本次是商品质量问题，来回运费由我们承担（寄回时可选择运费到付）",
    "customer": "因个人原因退换，寄回运费需由您承担",
}

# (category, title, text) — R3/R4: specific, and mention the platform guarantees. Numbers the store sets come in as
# variables ({delivery_days}, {ship_within_hours}, {compensation}), so a phrase says what the settings say.
DEFAULT_QUICK_PHRASES = [
    ("通用", "问候", "亲，您好，欢迎光临{store_name}~ 请问有什么可以帮您？"),
    (
        "尺码",
        "尺码建议",
        "亲，这款是标准码，按平时尺码拍就可以；身高 170、体重 65kg 左右建议 L 码。"
        "不合适支持 7 天无理由退换，请放心购买~",
    ),
    (
        "物流",
        "物流查询",
        "亲，您的订单{order_no}已由{courier}发出，单号{tracking_no}，预计 {delivery_days} 天送达，"
        "订单详情里可以实时查看物流哦~",
    ),
    (
        "物流",
        "发货时间",
        "亲，拍下后 {ship_within_hours} 小时内为您发出；定制和预售商品以商品页写明的时间为准，请耐心等待~",
    ),
    ("物流", "物流停滞安抚", "亲，您的包裹在途中停留得久了些，我们已经联系{courier}加急处理，有进展第一时间告诉您。"),
    ("售后", "正品保障", "亲，本店商品均为正品，支持正品保障和 7 天无理由退换，售后有平台监督，请放心~"),
    ("售后", "处理时效", "亲，您的问题我会在 1 小时内处理；如需退款，审核通过后 24 小时内原路退回。"),
    ("售后", "退货地址", "亲，退货请寄到：{return_address}，寄出后在订单页填写快递单号即可，收到后 24 小时内退款~"),
    (
        "售后",
        "小瑕疵补偿",
        "亲，非常抱歉！给您两个方案：1. 补偿您{compensation}，商品您留着用；2. 免费为您补寄一件，无需退回。"
        "您看哪种更方便？",
    ),
    (
        "售后",
        "缺货等待",
        "亲，非常抱歉，您拍的款式暂时缺货，需要再等几天。您可以选择等待（我们送您一张优惠券表示歉意），"
        "或者直接为您退款，您看可以吗？",
    ),
    ("售后", "退款致歉", "给您添麻烦了，非常抱歉！退款{refund_amount}已原路退回，这次没让您满意，我们一定改进。"),
    ("通用", "稍等查询", "亲，{customer_name}您好，稍等一下，我马上帮您查询订单{order_no}的情况~"),
    ("通用", "结束语", "亲，还有其他问题随时找我们哦，{store_name}祝您生活愉快~"),
    ("尺码", "鞋码建议", "亲，这款鞋偏小半码，平时穿 40 的建议拍 41；不合适支持 7 天无理由换码~"),
    ("尺码", "换码流程", "亲，换码很方便：在订单页申请换货，选好新尺码，寄回后我们收到当天就为您发出新的~"),
    (
        "物流",
        "已签收未收到",
        "亲，物流显示已签收但您没收到的话，可能放在快递柜或驿站了；我这边同时联系{courier}核实，"
        "单号{tracking_no}，有结果马上告诉您。",
    ),
    ("物流", "催发货", "亲，已为您备注加急，今天就安排发出，发出后单号会第一时间同步给您~"),
    ("物流", "偏远地区", "亲，您的地址比较偏远，预计需要 {delivery_days} 天送达，我们会全程跟踪物流，请放心~"),
    ("售后", "质量问题拍照", "亲，麻烦您拍一下问题部位的照片发给我，确认后马上为您处理，不让您吃亏~"),
    ("售后", "极速退款说明", "亲，您的退款{refund_amount}已为您极速通过，无需寄回商品，24 小时内原路到账~"),
    ("售后", "退货运费", "亲，{return_shipping}，寄出后在订单页填写快递单号即可~"),
    ("售后", "发错货致歉", "亲，实在抱歉发错了货！我们承担来回运费，新商品今天就给您发出，错发的商品收到后再寄回就行~"),
    (
        "售后",
        "中差评沟通",
        "亲，看到您的评价非常抱歉，这次没让您满意是我们的问题。我们已为您处理好，并送您一张无门槛优惠券表示歉意；"
        "如果问题解决了您也满意，方便的话可以更新一下评价，感谢理解~",
    ),
]

# A6 keyword answers: template key: (template name, text, rule name, keywords).
DEFAULT_AUTO_REPLIES = {
    "faq_refund_eta": (
        "自动回复：退款到账时间",
        "亲，退款审核通过后会在 24 小时内原路退回，请留意您的支付账户~ 如有疑问随时联系我们。",
        "退款多久到账",
        "退款多久到账,多久到账,退款什么时候到,钱什么时候退",
    ),
    "faq_return_address": (
        "自动回复：退货地址",
        "亲，退货地址：{return_address}。寄出后请在订单页上传快递单号，我们收到后 24 小时内为您退款~",
        "退货地址在哪",
        "退货地址,寄回地址,退到哪里,地址在哪",
    ),
    "faq_ship_time": (
        "自动回复：发货时间",
        "亲，拍下后 {ship_within_hours} 小时内发货（定制和预售商品以商品页时间为准），发出后会第一时间通知您快递单号~",
        "什么时候发货",
        "什么时候发货,几天发货,发货了吗,还不发货",
    ),
    "faq_return_shipping": (
        "自动回复：退换货运费",
        "亲，退换货运费规则：商品质量问题（瑕疵、发错货、与描述不符）来回运费由我们承担；"
        "尺码不合适、不想要了等个人原因，寄回运费由您承担~",
        "退货运费谁出",
        "运费谁出,谁出运费,运费谁承担,退货运费,来回运费",
    ),
}


def library_templates() -> dict[str, tuple[str, str]]:
    """Every template a store starts with: the ones the code sends and the keyword answers."""
    return DEFAULT_TEMPLATES | {key: (name, body) for key, (name, body, _rule, _words) in DEFAULT_AUTO_REPLIES.items()}


def install_library(*, message_template, quick_phrase, auto_reply_rule) -> dict[str, int]:
    """Add what is missing of the default library; never change or re-add what exists. Takes the model classes so that
    a migration can pass its historical ones."""
    existing_keys = set(message_template.objects.values_list("key", flat=True))
    templates = [
        message_template(key=key, name=name, body=body)
        for key, (name, body) in library_templates().items()
        if key not in existing_keys
    ]
    message_template.objects.bulk_create(templates)

    existing_titles = set(quick_phrase.objects.values_list("title", flat=True))
    phrases = [
        quick_phrase(category=category, title=title, body=body, sort_order=(index + 1) * 10)
        for index, (category, title, body) in enumerate(DEFAULT_QUICK_PHRASES)
        if title not in existing_titles
    ]
    quick_phrase.objects.bulk_create(phrases)

    existing_rules = set(auto_reply_rule.objects.values_list("name", flat=True))
    rules = 0
    for index, (key, (_name, _body, rule_name, keywords)) in enumerate(DEFAULT_AUTO_REPLIES.items()):
        template = message_template.objects.filter(key=key).first()
        if rule_name in existing_rules or template is None:
            continue
        auto_reply_rule.objects.create(name=rule_name, keywords=keywords, template=template, priority=(index + 1) * 10)
        rules += 1
    return {"message_templates": len(templates), "quick_phrases": len(phrases), "auto_reply_rules": rules}


# Texts this library shipped before and later corrected. A template still holding one (no admin edited it) is
# brought up to date; an edited one is left alone.
SUPERSEDED_TEXTS = {
    "aftersales_reminder": [
        "{customer_name}您好，您的包裹（{courier} {tracking_no}）正在派送中，很快就能收到啦~ "
        "收到后有任何问题可直接联系我们，支持 7 天无理由免费退换，祝您购物愉快！",
    ],
    "return_approved": [
        "{customer_name}您好，您的退货申请已通过。请将商品寄回：{return_address}，"
        "寄出后请在订单页上传快递单号，我们收到后 24 小时内为您退款。",
    ],
    "exchange_return_approved": [
        "{customer_name}您好，您的换货申请已通过。请将商品寄回：{return_address}，"
        "寄出后请在订单页上传快递单号，我们收到退回的商品后为您发出新商品，并把快递单号告诉您。",
    ],
}


def upgrade_unedited_templates(*, message_template) -> int:
    """Bring templates nobody edited to the current text (A1's return-shipping promise, the return message's payer)."""
    upgraded = 0
    for key, old_texts in SUPERSEDED_TEXTS.items():
        current = library_templates()[key][1]
        upgraded += message_template.objects.filter(key=key, body__in=old_texts).update(body=current)
    return upgraded
