"""The scam matcher on sample messages: each scam matched to its type, ordinary ones to none."""

from __future__ import annotations

import pytest

from models.fraud import Matcher, shipped_tips

ZH = [
    ("您好，这里是市公安局，您的银行卡涉嫌洗钱，请把资金转到安全账户配合调查。", "fake_police"),
    ("检察院通知：您被列为通缉对象，逮捕令已下发，请保密并配合调查。", "fake_police"),
    ("招聘兼职刷单，日结佣金，先垫付小额订单马上返利！", "order_brushing"),
    ("点赞关注就能赚钱，做任务日结，加群领取佣金。", "order_brushing"),
    ("我是淘宝客服，您购买的商品有质量问题，可以为您办理理赔退款。", "fake_refund"),
    ("您开通了会员自动续费，不注销会影响征信，请联系客服。", "fake_refund"),
    ("无抵押贷款秒到账，额度高，放款前需缴纳保证金和解冻费。", "fake_loan"),
    ("进股票群，导师带单，稳赚不赔高收益投资理财。", "investment"),
    ("爸，我换号码了，出车祸了急用钱，先借点钱给我。", "impersonation"),
    ("【快递】您的快递异常，请点击链接填写验证码办理。", "link_sharing"),
    ("医保卡需要认证升级，否则社保停发，请提供银行卡。", "elderly"),
]
EN = [
    (
        "This is the police. Your account is linked to money laundering; move your savings to a safe account.",
        "fake_police",
    ),
    (
        "Part-time job! Earn commission with order brushing, small advance payment, rebate guaranteed.",
        "order_brushing",
    ),
    (
        "Customer service here: your lost parcel qualifies for compensation, we will process your refund.",
        "fake_refund",
    ),
    (
        "Instant approval loan, no collateral! Pay a small processing fee to unfreeze your funds.",
        "fake_loan",
    ),
    (
        "Join our stock group, our mentor guarantees high return on the trading platform.",
        "investment",
    ),
    ("My darling, I need money for a plane ticket to meet you, sweetheart.", "romance"),
    (
        "Guess who? It's me, I have a new number and had an accident, lend me some urgent money.",
        "impersonation",
    ),
    ("Cheap concert tickets! Pay the rebooking fee and we send your tickets.", "game_ticket"),
    ("Your parcel is held. Click the link and enter the verification code.", "link_sharing"),
    ("Social security update: your medical insurance card needs a pension check.", "elderly"),
    (
        "Please share your screen so I can help; then read me the verification code.",
        "link_sharing",
    ),
]
ORDINARY = [
    "今天下午三点在村委会开会，请准时参加。",
    "记得明天给王大爷送药，他的腿还没好。",
    "集市街的路灯坏了，已经报修。",
    "Lunch at noon? I'll bring dumplings.",
    "The patrol this evening starts at seven near the lake.",
]


@pytest.mark.parametrize(("text", "scam"), ZH + EN)
def test_scam_messages_match_their_type(text: str, scam: str) -> None:
    found = Matcher.load().match(text)
    assert found is not None and found.scam_type == scam, (text, found)
    keys = {t.key for t in shipped_tips()}
    assert found.tip_key in keys


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_match_nothing(text: str) -> None:
    assert Matcher.load().match(text) is None


def test_the_library_has_24_bilingual_tips_with_the_hotline() -> None:
    tips = shipped_tips()
    assert len(tips) >= 24 and len({t.key for t in tips}) == len(tips)
    assert all(t.zh and t.en for t in tips)
    assert all("96110" in t.zh and "96110" in t.en for t in tips)
