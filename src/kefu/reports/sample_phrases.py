"""What customers and agents say in the synthetic support history (kefu.reports.sample_history):
short, realistic lines of an online shop's support, in Traditional Chinese (Taiwan) and English,
grouped by topic. `{order}` is filled with an order number."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh-TW", "en")


@dataclass(frozen=True)
class Topic:
    key: str
    subject: dict[str, str]  # an email's subject line
    opening: dict[str, tuple[str, ...]]  # the customer's first message
    follow_up: dict[str, tuple[str, ...]]  # the customer's later messages
    answer: dict[str, tuple[str, ...]]  # the agent's answers


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="order_status",
        subject={"zh-TW": "訂單 {order} 出貨進度", "en": "Where is order {order}?"},
        opening={
            "zh-TW": (
                "請問我的訂單 {order} 什麼時候會出貨?",
                "訂單 {order} 已經一週了還沒收到",
                "你好，想查一下訂單 {order} 的進度",
                "我昨天下的單 {order}，可以幫我確認有沒有成立嗎?",
            ),
            "en": (
                "Hi, when will order {order} ship?",
                "My order {order} hasn't arrived yet, it's been a week",
                "Could you check the status of order {order}?",
            ),
        },
        follow_up={
            "zh-TW": (
                "大概還要幾天?",
                "可以給我物流單號嗎?",
                "好的，那我再等等",
                "收件地址可以改嗎?",
            ),
            "en": ("How many more days?", "Can I get the tracking number?", "OK, I'll wait"),
        },
        answer={
            "zh-TW": (
                "您好，我幫您查詢一下訂單 {order}，請稍候。",
                "訂單 {order} 已於今天出貨，預計 1–2 個工作天送達。",
                "物流單號已寄到您的 Email，也可以在會員中心查詢。",
                "目前倉庫備貨中，預計明天出貨，造成不便很抱歉。",
            ),
            "en": (
                "Let me look up order {order} for you, one moment please.",
                "Order {order} shipped today and should arrive in 1-2 business days.",
                "The tracking number has been emailed to you; it's also in your account.",
            ),
        },
    ),
    Topic(
        key="returns",
        subject={"zh-TW": "退換貨申請 {order}", "en": "Return request for {order}"},
        opening={
            "zh-TW": (
                "我想退貨，商品尺寸不合",
                "收到的商品有瑕疵，可以換貨嗎?",
                "訂單 {order} 想申請退款",
                "請問退貨要怎麼寄回?",
            ),
            "en": (
                "I'd like to return an item, it doesn't fit",
                "The product arrived damaged, can I exchange it?",
                "I want a refund for order {order}",
            ),
        },
        follow_up={
            "zh-TW": ("退款大概多久會入帳?", "需要附上發票嗎?", "我拍照給你們看", "好，我明天寄出"),
            "en": ("How long does the refund take?", "Do I need the receipt?", "Sent you a photo"),
        },
        answer={
            "zh-TW": (
                "很抱歉造成困擾，我們可以為您辦理換貨。",
                "退貨申請已建立，物流會在 2 天內到府收件。",
                "退款會在收到商品後 7 個工作天內退回原付款方式。",
                "麻煩提供商品照片，我們確認後立即處理。",
            ),
            "en": (
                "Sorry about that! We can exchange it for you.",
                "Your return is registered; the courier will pick it up within 2 days.",
                "The refund goes back to your card within 7 business days of receipt.",
            ),
        },
    ),
    Topic(
        key="invoice",
        subject={"zh-TW": "發票問題", "en": "Invoice question"},
        opening={
            "zh-TW": (
                "請問電子發票可以改成公司抬頭嗎?",
                "我沒有收到發票",
                "發票要開統編，怎麼辦?",
            ),
            "en": ("Can I get an invoice with my company name?", "I didn't receive my invoice"),
        },
        follow_up={
            "zh-TW": ("統編是 24536806", "載具號碼要在哪裡改?", "謝謝，收到了"),
            "en": ("Our tax ID is 24536806", "Got it, thanks"),
        },
        answer={
            "zh-TW": (
                "可以的，請提供統一編號與公司抬頭，我們為您重新開立。",
                "發票已重新寄送到您的信箱，請查收。",
                "電子發票會在出貨後 48 小時內開立。",
            ),
            "en": (
                "Sure, send us your tax ID and company name and we'll reissue it.",
                "We've re-sent the invoice to your email.",
            ),
        },
    ),
    Topic(
        key="payment",
        subject={"zh-TW": "付款失敗", "en": "Payment problem"},
        opening={
            "zh-TW": (
                "信用卡付款一直失敗",
                "我被重複扣款了兩次",
                "可以用 LINE Pay 付款嗎?",
                "ATM 轉帳後訂單還是顯示未付款",
            ),
            "en": (
                "My card keeps getting declined",
                "I was charged twice",
                "Do you take Apple Pay?",
            ),
        },
        follow_up={
            "zh-TW": ("已經換一張卡了還是不行", "扣款明細截圖給您", "那重複的款項怎麼處理?"),
            "en": ("Tried another card, same thing", "Here's the screenshot of the charge"),
        },
        answer={
            "zh-TW": (
                "重複扣款的部分我們已申請取消，約 3–5 天會退回。",
                "建議您清除瀏覽器快取後再試一次，或改用其他付款方式。",
                "已確認收到您的款項，訂單狀態已更新。",
            ),
            "en": (
                "We've cancelled the duplicate charge; it will be back in 3-5 days.",
                "Please try clearing your browser cache, or use another payment method.",
            ),
        },
    ),
    Topic(
        key="account",
        subject={"zh-TW": "帳號無法登入", "en": "Can't log in"},
        opening={
            "zh-TW": ("忘記密碼，收不到重設信", "帳號被鎖住了", "手機號碼換了要怎麼改?"),
            "en": ("I forgot my password and the reset email never came", "My account is locked"),
        },
        follow_up={
            "zh-TW": ("垃圾信件匣也沒有", "可以了，謝謝!", "還是不行耶"),
            "en": ("Not in spam either", "It works now, thanks!", "Still not working"),
        },
        answer={
            "zh-TW": (
                "已為您重新寄送重設密碼信，請在 30 分鐘內完成設定。",
                "帳號已解鎖，請再試著登入看看。",
                "手機號碼可以在會員中心 > 個人資料修改。",
            ),
            "en": (
                "I've sent a new reset link, valid for 30 minutes.",
                "Your account is unlocked, please try again.",
            ),
        },
    ),
    Topic(
        key="product",
        subject={"zh-TW": "商品詢問", "en": "Product question"},
        opening={
            "zh-TW": (
                "這款藍牙耳機有支援降噪嗎?",
                "請問這件外套還會補貨嗎?",
                "保固期是多久?",
                "門市有現貨嗎?",
            ),
            "en": ("Does this headset have noise cancelling?", "Will this jacket be restocked?"),
        },
        follow_up={
            "zh-TW": ("顏色有哪幾種?", "有優惠嗎?", "那我先下單了"),
            "en": ("Which colours are there?", "Any discount?", "I'll order it then"),
        },
        answer={
            "zh-TW": (
                "這款有主動降噪功能，續航約 30 小時。",
                "預計下週三補貨，可以先登記到貨通知。",
                "全館商品享一年保固，需保留購買證明。",
            ),
            "en": (
                "Yes, it has active noise cancelling and about 30 hours of battery.",
                "It's back in stock next Wednesday; you can sign up for a notification.",
            ),
        },
    ),
    Topic(
        key="coupon",
        subject={"zh-TW": "優惠券無法使用", "en": "Coupon not working"},
        opening={
            "zh-TW": ("優惠碼 SALE100 不能用", "會員生日禮金怎麼領?", "滿額折扣沒有折到"),
            "en": ("The code SALE100 doesn't work", "The discount wasn't applied"),
        },
        follow_up={
            "zh-TW": ("結帳金額有超過門檻了", "那可以補折嗎?"),
            "en": ("My basket is over the minimum", "Can you apply it afterwards?"),
        },
        answer={
            "zh-TW": (
                "這組優惠碼限新會員首購使用，很抱歉。",
                "已為您補發等值購物金到帳戶。",
                "生日禮金會在生日當月 1 號自動發送。",
            ),
            "en": (
                "That code is for first orders only, sorry.",
                "We've added the same amount as store credit to your account.",
            ),
        },
    ),
)

# The agent's first words (before the answer), follow-up questions, and the closing line.
AGENT_GREETING = {
    "zh-TW": ("您好，我是{agent}，很高興為您服務。", "您好!", "您好，感謝您的耐心等候。"),
    "en": ("Hi, this is {agent}, happy to help.", "Hello!", "Hi, thanks for waiting."),
}
AGENT_ASK = {
    "zh-TW": ("請問您的訂單編號是?", "方便提供註冊的 Email 嗎?", "請問還有其他問題嗎?"),
    "en": ("Could you give me the order number?", "What's the email on your account?"),
}
AGENT_CLOSING = {
    "zh-TW": ("還有其他需要幫忙的嗎?祝您有美好的一天!", "問題已處理完成，謝謝您的來信。"),
    "en": (
        "Anything else I can help with? Have a nice day!",
        "All sorted, thanks for reaching out.",
    ),
}
CUSTOMER_THANKS = {
    "zh-TW": ("謝謝!", "好的，謝謝你", "了解，感謝", "OK 謝謝"),
    "en": ("Thanks!", "Great, thank you", "Perfect, thanks"),
}
CUSTOMER_STILL_THERE = {"zh-TW": ("請問有人在嗎?", "還要等多久?"), "en": ("Hello? Anyone there?",)}
CUSTOMER_REOPEN = {
    "zh-TW": ("不好意思，我還有一個問題", "剛剛的問題好像還沒解決"),
    "en": ("Sorry, one more question", "The problem is back"),
}
ASK_FOR_PERSON = {"zh-TW": ("真人客服", "我要找真人"), "en": ("Talk to a person", "human please")}
UPSET = {"zh-TW": ("等很久了，很不滿意", "太誇張了吧"), "en": ("This is ridiculous",)}
NOTES = {
    "zh-TW": ("老客戶，請優先處理", "已通知倉庫確認庫存", "需要主管核准退款"),
    "en": ("Returning customer, handle with care", "Asked the warehouse to check stock"),
}
CSAT_COMMENTS = {
    "zh-TW": ("回覆很快，謝謝", "客服很親切", "等太久了", ""),
    "en": ("Quick and helpful", "Took too long", ""),
}

# The FAQ bot (kefu.bot), which answers with the topic's answers: what it says after "thanks",
# and its handoff line (the same words as kefu.bot.engine's phrases).
BOT_HELPED = {"zh-TW": "很高興能幫上忙！還有其他問題嗎？", "en": "Glad that helped! Anything else?"}
BOT_HANDOFF = {
    "zh-TW": "已為您轉接真人客服，請稍候，客服人員會看到您與小幫手的對話。",
    "en": "Connecting you to a person… They will see your conversation with the assistant, "
    "so there is no need to repeat yourself.",
}

# Contacts' names.
ZH_SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
ZH_GIVEN = (
    "志明",
    "春嬌",
    "美玲",
    "志豪",
    "淑芬",
    "家豪",
    "雅婷",
    "建宏",
    "怡君",
    "冠宇",
    "佳穎",
    "宗翰",
    "詩涵",
    "承恩",
    "欣怡",
)
EN_GIVEN = ("Alice", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Henry", "Ivy", "Jason")
EN_SURNAMES = ("Smith", "Chen", "Wang", "Lee", "Brown", "Lin", "Wu", "Taylor", "Huang", "Lai")
