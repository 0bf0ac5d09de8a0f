"""Realistic customer-service text for the search benchmark, generated from a vocabulary.

Chinese messages are written in Simplified (mainland customers) or Traditional (Taiwan: OpenCC's
s2twp, so with Taiwanese words such as 帳號 and 軟體), English ones from templates. Orders,
products and amounts vary, so that some terms are rare (an order number) and some are in
every tenth message (退款, refund). Deterministic for a given seed.
"""

from __future__ import annotations

import random

import opencc

ZH_GREETINGS = ["你好", "您好", "客服你好", "请问", "不好意思", "麻烦一下", "在吗", "哈喽", ""]
ZH_OBJECTS = [
    "订单",
    "账号",
    "发票",
    "包裹",
    "快递",
    "退款",
    "优惠券",
    "会员卡",
    "信用卡",
    "积分",
    "手机",
    "耳机",
    "充电器",
    "软件",
    "网络",
    "密码",
    "地址",
    "电话号码",
    "礼品卡",
    "保修",
    "头发护理套装",
    "洗衣机",
    "空调",
    "打印机",
    "显示器",
    "键盘",
    "鼠标",
    "咖啡机",
    "行李箱",
]
ZH_PROBLEMS = [
    "还没收到",
    "一直显示处理中",
    "被锁住了",
    "登录不了",
    "扣款两次",
    "坏掉了",
    "少了一件",
    "寄错了",
    "无法使用",
    "显示错误",
    "没有反应",
    "很慢",
    "退不了",
    "打不开",
    "找不到",
    "过期了",
    "被取消了",
    "金额不对",
    "一直在转圈",
    "收到的颜色不对",
]
ZH_REQUESTS = [
    "我要退款",
    "请帮我处理一下",
    "可以换货吗",
    "什么时候能到",
    "怎么办",
    "请尽快回复",
    "我想取消订单",
    "可以开发票吗",
    "能不能重新寄",
    "请问运费谁出",
    "需要提供什么资料",
    "我要投诉",
    "可以改地址吗",
    "谢谢",
    "麻烦你们了",
    "可以退货吗",
    "请帮我查一下",
]
ZH_AGENT = [
    "您好，我们已经收到您的问题",
    "请提供您的订单编号",
    "已为您申请退款，三到五个工作天入账",
    "很抱歉造成您的不便",
    "我们会尽快为您处理",
    "请问还有其他需要帮忙的吗",
    "已帮您重新寄出",
    "发票会寄到您的电子邮箱",
    "请您重新登录试试看",
    "已经为您解锁账号",
]
EN_GREETINGS = ["Hi", "Hello", "Hey there", "Good morning", "Excuse me", ""]
EN_OBJECTS = [
    "order",
    "account",
    "invoice",
    "package",
    "delivery",
    "refund",
    "coupon",
    "membership",
    "credit card",
    "points",
    "phone",
    "headphones",
    "charger",
    "software",
    "password",
    "address",
    "gift card",
    "warranty",
    "subscription",
    "laptop",
    "monitor",
    "keyboard",
    "coffee machine",
    "suitcase",
    "payment",
    "tracking number",
    "receipt",
    "voucher",
]
EN_PROBLEMS = [
    "has not arrived yet",
    "is still processing",
    "is locked",
    "was charged twice",
    "is broken",
    "is missing an item",
    "was sent to the wrong address",
    "does not work",
    "shows an error",
    "is very slow",
    "cannot be refunded",
    "will not open",
    "expired",
    "was cancelled",
    "has the wrong amount",
    "arrived damaged",
    "came in the wrong colour",
]
EN_REQUESTS = [
    "I want a refund",
    "please help",
    "can I exchange it",
    "when will it arrive",
    "what should I do",
    "please reply soon",
    "I want to cancel my order",
    "can you send an invoice",
    "could you resend it",
    "who pays for shipping",
    "what information do you need",
    "I want to file a complaint",
    "can I change the address",
    "thanks",
    "thank you so much",
    "can I return it",
    "could you check",
]
EN_AGENT = [
    "Thanks for reaching out, we received your request",
    "Could you share your order number",
    "We have issued a refund, it takes 3-5 business days",
    "Sorry for the inconvenience",
    "We will look into it right away",
    "Is there anything else I can help with",
    "We have resent your package",
    "The invoice will be emailed to you",
    "Please try logging in again",
    "Your account has been unlocked",
]
PRODUCTS = ["iPhone 15", "AirPods", "Galaxy S24", "MacBook", "Switch", "Kindle", "Pixel 8"]


class Corpus:
    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.order_numbers: list[str] = []  # every one handed out, for rare-term queries
        to_tw = opencc.OpenCC("s2twp")
        lists = (ZH_GREETINGS, ZH_OBJECTS, ZH_PROBLEMS, ZH_REQUESTS, ZH_AGENT)
        # Each vocabulary list in both scripts, converted once (generation stays fast).
        self.zh = {
            "cn": lists,
            "tw": tuple([to_tw.convert(w) for w in words] for words in lists),
        }

    def order_number(self) -> str:
        number = str(self.rng.randrange(10_000_000, 99_999_999))
        self.order_numbers.append(number)
        return number

    def chinese(self, *, script: str, agent: bool) -> str:
        rng = self.rng
        greetings, objects, problems, requests, replies = self.zh[script]
        if agent:
            text = rng.choice(replies)
            if rng.random() < 0.3:
                text += ("，订单编号 " if script == "cn" else "，訂單編號 ") + self.order_number()
            return text
        parts = [rng.choice(greetings)]
        obj = rng.choice(objects)
        if rng.random() < 0.25:
            obj = rng.choice(PRODUCTS) + " 的" + obj
        parts.append(f"我的{obj}{rng.choice(problems)}")
        if rng.random() < 0.3:
            parts.append(
                f"订单编号{self.order_number()}"
                if script == "cn"
                else "訂單編號 " + self.order_number()
            )
        parts.append(rng.choice(requests))
        if rng.random() < 0.1:
            parts.append(rng.choice(["😭", "🙏", "!!!", "？？", "😡"]))
        return "，".join(p for p in parts if p)

    def english(self, *, agent: bool) -> str:
        rng = self.rng
        if agent:
            return rng.choice(EN_AGENT) + "."
        obj = rng.choice(EN_OBJECTS)
        if rng.random() < 0.25:
            obj = f"{rng.choice(PRODUCTS)} {obj}"
        text = f"{rng.choice(EN_GREETINGS)}, my {obj} {rng.choice(EN_PROBLEMS)}."
        if rng.random() < 0.3:
            text += f" Order #{self.order_number()}."
        text += f" {rng.choice(EN_REQUESTS).capitalize()}."
        if rng.random() < 0.1:
            text += " " + rng.choice(["😭", "🙏", "!!!", "??", "😡"])
        return text.lstrip(", ")

    def message(self, *, language: str, agent: bool) -> str:
        if language == "en":
            return self.english(agent=agent)
        return self.chinese(script=language, agent=agent)
