"""What a PDD store starts with: the phrases its replies must not contain, and a scorecard to review cases with.

The phrases are shipped by a data migration; store admins then edit the list in Django admin.
"""

from backoffice.store.cache import forget_store_settings

OFF_PLATFORM = "拼多多禁止引导买家到站外联系或交易（平台规则：站外引流），会被处罚。请在平台内沟通。"
OFF_PLATFORM_PAY = "拼多多禁止引导买家线下或站外付款/收款，买家的钱款得不到平台保障，店铺会被处罚。"
REVIEW_FOR_REWARD = (
    "平台禁止以返现、优惠券、红包等好处换取好评或修改、删除评价（好评返现），会被处罚。优惠券和道歉不能以改评价为条件。"
)
INSULT = "辱骂、嘲讽买家会被投诉并处罚，请保持礼貌。"
ASK_REVIEW = "可以请买家修改评价，但不能承诺或暗示任何好处；请确认措辞。"
MENTION_OFF_PLATFORM = "提到站外联系方式有被判为站外引流的风险；请确认确有必要。"

# (phrase, severity, reason). A * stands for up to 4 characters in between.
DEFAULT_PHRASES: list[tuple[str, str, str]] = [
    # Leading the customer off the platform
    ("加*微信", "block", OFF_PLATFORM),
    ("加*qq", "block", OFF_PLATFORM),
    ("微信号", "block", OFF_PLATFORM),
    ("qq号", "block", OFF_PLATFORM),
    ("私聊", "block", OFF_PLATFORM),
    ("微信", "warn", MENTION_OFF_PLATFORM),
    # Paying or being paid off the platform
    ("线下转账", "block", OFF_PLATFORM_PAY),
    ("线下交易", "block", OFF_PLATFORM_PAY),
    ("私下交易", "block", OFF_PLATFORM_PAY),
    ("私下转账", "block", OFF_PLATFORM_PAY),
    ("支付宝转账", "block", OFF_PLATFORM_PAY),
    ("微信转账", "block", OFF_PLATFORM_PAY),
    ("银行卡转账", "block", OFF_PLATFORM_PAY),
    # A good review (or a revised / deleted bad one) in exchange for money or a coupon
    ("好评返现", "block", REVIEW_FOR_REWARD),
    ("好评*返", "block", REVIEW_FOR_REWARD),
    ("好评*送", "block", REVIEW_FOR_REWARD),
    ("好评*红包", "block", REVIEW_FOR_REWARD),
    ("改好评*返", "block", REVIEW_FOR_REWARD),
    ("改好评*送", "block", REVIEW_FOR_REWARD),
    ("改成好评", "block", REVIEW_FOR_REWARD),
    ("删差评*返", "block", REVIEW_FOR_REWARD),
    ("删差评*送", "block", REVIEW_FOR_REWARD),
    ("删除差评", "block", REVIEW_FOR_REWARD),
    ("删评*返", "block", REVIEW_FOR_REWARD),
    ("修改评价后*送", "block", REVIEW_FOR_REWARD),
    ("修改评价后*返", "block", REVIEW_FOR_REWARD),
    ("改评价*就送", "block", REVIEW_FOR_REWARD),
    ("改评价*就返", "block", REVIEW_FOR_REWARD),
    ("追评*返", "block", REVIEW_FOR_REWARD),
    ("晒图*返现", "block", REVIEW_FOR_REWARD),
    ("五星好评", "warn", ASK_REVIEW),
    ("修改*评价", "warn", ASK_REVIEW),
    # Insults
    ("傻逼", "block", INSULT),
    ("神经病", "block", INSULT),
    ("脑子有病", "block", INSULT),
    ("有病吧", "block", INSULT),
    ("白痴", "block", INSULT),
    ("滚蛋", "block", INSULT),
    ("你滚", "block", INSULT),
    ("去死", "block", INSULT),
    ("蠢货", "block", INSULT),
    ("废物", "block", INSULT),
    ("爱买不买", "block", INSULT),
    ("穷鬼", "block", INSULT),
    ("你瞎", "block", INSULT),
    ("不识字", "warn", INSULT),
]


def ensure_default_phrases(banned_phrase_model) -> int:
    """Add the default phrases that are not on the list yet (edits and switched-off phrases are kept)."""
    existing = set(banned_phrase_model.objects.values_list("phrase", flat=True))
    rows = [
        banned_phrase_model(phrase=phrase, severity=severity, reason=reason)
        for phrase, severity, reason in DEFAULT_PHRASES
        if phrase not in existing
    ]
    banned_phrase_model.objects.bulk_create(rows)
    forget_store_settings()  # bulk_create sends no post_save
    return len(rows)


# The demo's scorecard: (name, description, weight, scale, critical).
DEFAULT_CRITERIA: list[tuple[str, str, int, int, bool]] = [
    ("响应及时", "3 分钟内首次人工回复，买家等待时没有长时间无人应答（R1）。", 2, 5, False),
    ("态度礼貌", "称呼得体、语气友好，先致歉再解决，不推诿。", 2, 5, False),
    ("方案正确", "按店铺规则给出正确方案：极速退款、补偿 5 元、补寄、退货地址（A2–A5）。", 3, 5, False),
    ("话术规范", "回复具体，提到正品保障、7 天无理由等平台保障（R4），不用模板硬套。", 1, 5, False),
    ("主动告知进度", "主动告诉买家处理路径和时间：1 小时内处理、24 小时内到账（A4/A8）。", 2, 5, False),
    ("违规话术", "站外引流、好评返现、辱骂买家等平台禁止的话术：出现即整单 0 分。", 1, 1, True),
    ("错误退款", "未核实就退款、重复退款或金额错误：出现即整单 0 分。", 1, 1, True),
]
