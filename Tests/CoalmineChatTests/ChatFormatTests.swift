import CoalmineChat
import CoalmineCore
import CoalmineEngine
import Crypto
import Foundation
import Testing

@Suite struct ChatFormatTests {
    let message = sampleMessage()
    let rollbackURL = "http://127.0.0.1:9095/actions/key.ROLLBACK.sig"
    let resumeURL = "http://127.0.0.1:9095/actions/key.RESUME.sig"

    @Test func slackSendsBlockKitWithLinkButtonsAndNoUnfurling() {
        let payload = json(SlackFormat().request(for: message, to: "http://x/slack").body)
        #expect(payload["unfurl_links"] as? Bool == false)
        #expect(payload["unfurl_media"] as? Bool == false)
        #expect((payload["text"] as? String)?.contains("circuit breaker tripped") == true)
        let blocks = payload["blocks"] as? [[String: Any]] ?? []
        let buttons = blocks.last?["elements"] as? [[String: Any]] ?? []
        #expect(buttons.map { path($0, "text", "text") as? String } == ["Roll back", "Resume", "Status"])
        #expect(buttons.map { $0["url"] as? String }.prefix(2) == [rollbackURL, resumeURL])
        #expect(buttons.first?["style"] as? String == "danger")
        let traffic = blocks.first { path($0, "fields", 0, "text") as? String == "*Traffic*" }
        #expect(path(traffic, "fields", 1, "type") as? String == "plain_text")
        #expect(path(traffic, "fields", 1, "text") as? String == "v1 2.12.0 90 % · v2 2.13.0-gpu 10 %")
    }

    static let markupAndLinks =
        "*bold* _it_ ~strike~ `code` [click](http://evil.example/phish) <http://evil.example|here> www.evil.example/x"
        + " mail ceo@evil.example @everyone <@U123>"

    /// No alert text can format, mention or link on any platform; the links Coalmine makes itself stay intact.
    @Test(arguments: 0..<7)
    func alertTextNeverBecomesMarkupOrALink(index: Int) {
        let (name, format, _, readsMarkdown) = Self.formats[index]
        let body = format.request(for: sampleMessage(summary: Self.markupAndLinks), to: "u").body
        let text = String(decoding: body, as: UTF8.self)
        let linkable = ["http://evil.example", "evil.example", "www.evil"].filter(text.contains)
        #expect(linkable.isEmpty, "\(name) left \(linkable) for the chat app to link")
        #expect(text.contains(rollbackURL) && text.contains("http://127.0.0.1:9095/rollouts/tf-model-service"), "\(name) keeps its own links")
        if name != "feishu" {  // Feishu's plain_text reads no tags at all
            let rawTag = text.range(of: #"(?<![\\])<(@U123|http)"#, options: .regularExpression) != nil
            #expect(!rawTag, "\(name) passed a raw mention or Slack link through")
        }
        if readsMarkdown {
            #expect(!text.contains("*bold*") && !text.contains("`code`") && !text.contains("[click]"), "\(name) passed Markdown through")
        }
        if name == "slack" {
            // mrkdwn has no escapes: alert text only ever goes in plain_text.
            let payload = json(body)
            let mrkdwn = (payload["blocks"] as? [[String: Any]] ?? []).flatMap { $0["fields"] as? [[String: Any]] ?? [] }
                .filter { $0["type"] as? String == "mrkdwn" }.compactMap { $0["text"] as? String }
            #expect(!mrkdwn.contains { $0.contains("bold") }, "\(mrkdwn)")
            #expect(!(payload["text"] as? String ?? "").contains("bold"))
        }
    }

    @Test func teamsSendsAnAdaptiveCardWithOpenURLActions() {
        let payload = json(TeamsFormat().request(for: message, to: "http://x/teams").body)
        #expect(payload["type"] as? String == "message")
        #expect(path(payload, "attachments", 0, "contentType") as? String == "application/vnd.microsoft.card.adaptive")
        let card = path(payload, "attachments", 0, "content") as? [String: Any] ?? [:]
        #expect(card["type"] as? String == "AdaptiveCard")
        #expect(card["version"] as? String == "1.4")
        let actions = card["actions"] as? [[String: Any]] ?? []
        #expect(actions.allSatisfy { $0["type"] as? String == "Action.OpenUrl" })
        #expect(actions.map { $0["title"] as? String } == ["Roll back", "Resume", "Status"])
        #expect(actions.first?["url"] as? String == rollbackURL)
    }

    @Test func feishuSendsAnInteractiveCardAndSignsWithTheDocumentedScheme() {
        let unsigned = json(FeishuFormat(secret: nil, secondsSinceEpoch: { 1_700_000_000 }).request(for: message, to: "u").body)
        #expect(unsigned["msg_type"] as? String == "interactive")
        #expect(unsigned["sign"] == nil)
        let buttons = path(unsigned, "card", "elements", 1, "actions") as? [[String: Any]] ?? []
        #expect(buttons.map { path($0, "text", "content") as? String } == ["Roll back", "Resume", "Status"])
        #expect(buttons.first?["url"] as? String == rollbackURL)
        #expect(path(unsigned, "card", "header", "template") as? String == "red")

        let signed = json(FeishuFormat(secret: "s3cr3t", secondsSinceEpoch: { 1_700_000_000 }).request(for: message, to: "u").body)
        #expect(signed["timestamp"] as? String == "1700000000")
        // Computed outside Swift (Python's hmac): base64(HMAC-SHA256(key: "1700000000\ns3cr3t", message: "")).
        #expect(signed["sign"] as? String == "CNNNRL0wSY2j+cKcY98lQAfVvb21u/iW3phZyXRkmcY=")
    }

    @Test func dingTalkSendsAnActionCardAndSignsTheQuery() throws {
        let format = DingTalkFormat(secret: "s3cr3t", millisecondsSinceEpoch: { 1_700_000_000_000 })
        let request = format.request(for: message, to: "http://x/dingtalk?access_token=abc")
        let payload = json(request.body)
        #expect(payload["msgtype"] as? String == "actionCard")
        let buttons = path(payload, "actionCard", "btns") as? [[String: Any]] ?? []
        #expect(buttons.map { $0["title"] as? String } == ["Roll back", "Resume"])
        #expect(buttons.first?["actionURL"] as? String == rollbackURL)
        let query = try #require(URLComponents(string: request.url)?.percentEncodedQueryItems)
        #expect(query.first { $0.name == "access_token" }?.value == "abc")
        #expect(query.first { $0.name == "timestamp" }?.value == "1700000000000")
        // Computed outside Swift: urlencode(base64(HMAC-SHA256(key: "s3cr3t", message: "1700000000000\ns3cr3t"))).
        #expect(query.first { $0.name == "sign" }?.value == "jRhQKmcWDB38YUNeCEXp9yo%2FI5OBM7UP81cpTrETHUw%3D")
    }

    @Test func weComSendsMarkdownWithTheLinksInline() {
        let payload = json(WeComFormat().request(for: message, to: "u").body)
        #expect(payload["msgtype"] as? String == "markdown")
        let content = path(payload, "markdown", "content") as? String ?? ""
        #expect(content.contains("[Roll back](\(rollbackURL))"))
        #expect(content.contains("[Resume](\(resumeURL))"))
    }

    @Test func discordSendsAnEmbedAndMentionsNobody() {
        let payload = json(DiscordFormat().request(for: message, to: "u").body)
        #expect((path(payload, "allowed_mentions", "parse") as? [Any])?.isEmpty == true)
        let fields = path(payload, "embeds", 0, "fields") as? [[String: Any]] ?? []
        #expect((fields.last?["value"] as? String)?.contains("[Roll back](\(rollbackURL))") == true)
        #expect(path(payload, "embeds", 0, "color") as? Int == 0xD0_3030)
    }

    @Test func googleChatSendsACardWithLinkButtons() {
        let payload = json(GoogleChatFormat().request(for: message, to: "u").body)
        let buttons = path(payload, "cardsV2", 0, "card", "sections", 0, "widgets", 1, "buttonList", "buttons") as? [[String: Any]]
        #expect(buttons?.map { $0["text"] as? String } == ["Roll back", "Resume", "Status"])
        #expect(path(buttons?.first, "onClick", "openLink", "url") as? String == rollbackURL)
    }

    @Test func theGenericWebhookSendsVersionedJSONSignedWithHMAC() throws {
        let request = WebhookFormat(secret: "s3cr3t").request(for: message, to: "u")
        let payload = json(request.body)
        #expect(payload["schema"] as? String == "coalmine.notice/v1")
        #expect(payload["event"] as? String == "awaiting-human")
        #expect(payload["state"] as? String == "awaiting-human")
        #expect(payload["canaryWeightAfter"] as? Int == 10)
        #expect(path(payload, "actions", 0, "url") as? String == rollbackURL)
        #expect(path(payload, "alert", "name") as? String == "CoalmineCanaryErrorRatioHigh")
        let header = try #require(request.headers.first { $0.0 == "X-Coalmine-Signature" }?.1)
        let expected = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data("s3cr3t".utf8)))
        #expect(header == "sha256=" + expected.map { String(format: "%02x", $0) }.joined())
    }

    static let hostile =
        "<script>alert('x')</script> *bold* _it_ [click](http://evil.example) @everyone <@123> &amp; "
        + String(repeating: "A", count: 50_000)

    /// Every format, with the size its provider accepts for the whole request body.
    /// Every format, with the size its provider accepts for the whole request body and whether it reads Markdown.
    static let formats: [(String, any ChatFormat, Int, Bool)] = [
        ("slack", SlackFormat(), 40_000, false), ("teams", TeamsFormat(), 28_000, true),
        ("feishu", FeishuFormat(secret: nil, secondsSinceEpoch: { 0 }), 30_000, false),
        ("dingtalk", DingTalkFormat(secret: nil, millisecondsSinceEpoch: { 0 }), 20_000, true),
        ("wecom", WeComFormat(), 4096 + 100, true), ("discord", DiscordFormat(), 6000 + 2500, true),
        ("googlechat", GoogleChatFormat(), 32_000, false),
    ]

    @Test(arguments: 0..<7)
    func hostileAnnotationTextIsEscapedAndLongTextTruncatedWithoutLosingTheLinks(index: Int) {
        let (name, format, limit, readsMarkdown) = Self.formats[index]
        let body = format.request(for: sampleMessage(summary: Self.hostile), to: "u").body
        let text = String(decoding: body, as: UTF8.self)
        // Booleans, not the text, go into the expectations: a failure must not print 50 KB.
        let (marked, keepsLink, cut) = (
            text.contains("… truncated"), text.contains(rollbackURL), !text.contains(String(repeating: "A", count: 40_000))
        )
        #expect(body.count <= limit, "\(name): \(body.count) bytes")
        #expect(marked, "\(name) marks the cut")
        #expect(keepsLink, "\(name) keeps the Roll back link")
        #expect(cut, "\(name) cut the long text")
        if name == "feishu" {
            // Feishu gets plain_text, which it never reads as markup.
            let plain = path(json(body), "card", "elements", 0, "text", "tag") as? String == "plain_text"
            #expect(plain, "the facts go as plain_text")
        } else {
            let rawMarkup = text.contains("<script>") || text.contains("<@123>")
            #expect(!rawMarkup, "\(name) passed raw markup through")
        }
        if readsMarkdown {
            let rawLink = text.contains("[click](http://evil.example)") || text.contains("*bold*")
            #expect(!rawLink, "\(name) passed Markdown through")
        }
    }
}
