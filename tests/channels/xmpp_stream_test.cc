// The XMPP stream reader: the same events however the bytes are split, namespaces, the stanza
// limits, and what makes a stream an error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "channels/xmpp/xml_stream.h"

namespace parley::channels::xmpp {
namespace {

const std::string kXmppStreamHead =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='bots.example.test' id='s-42'>";
const std::string kXmppStreamBody =
    "<handshake/>\n  "
    "<message from='ann@example.test/phone' to='pizza@bots.example.test' type='chat' id='m1' xml:lang='en'>"
    "<body>one &amp; two &lt;three&gt; \xC3\xA9</body><x:ext xmlns:x='urn:example:x' x:kind='k'><y/></x:ext>"
    "</message> <presence type='subscribe' to='pizza@bots.example.test'/>"
    "</stream:stream>";

struct XmppReadResult {
  std::vector<XmlStreamEvent> events;
  Status status;
};

// Feeds `pieces` in order and collects every event.
XmppReadResult xmpp_read(const std::vector<std::string>& pieces, XmlStreamLimits limits = {}) {
  XmlStreamReader reader(limits);
  XmppReadResult r;
  for (const auto& p : pieces) {
    r.status = reader.feed(p);
    XmlStreamEvent ev;
    while (reader.next(&ev)) r.events.push_back(std::move(ev));
    if (!r.status.is_ok()) break;
  }
  return r;
}

// The events as one comparable string.
std::string xmpp_describe(const std::vector<XmlStreamEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    if (e.kind == XmlStreamEvent::Kind::kHeader)
      out += "header(" + e.header.default_ns + "," + e.header.id + "," + e.header.from + ")";
    else if (e.kind == XmlStreamEvent::Kind::kEnd)
      out += "end";
    else
      out += "{" + e.stanza.ns + "}" + to_xml(e.stanza, e.stanza.ns);
    out += "\n";
  }
  return out;
}

TEST(XmppStream, ReportsHeaderStanzasAndEnd) {
  auto r = xmpp_read({kXmppStreamHead + kXmppStreamBody});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  ASSERT_EQ(r.events.size(), 5u);
  EXPECT_EQ(r.events[0].kind, XmlStreamEvent::Kind::kHeader);
  EXPECT_EQ(r.events[0].header.id, "s-42");
  EXPECT_EQ(r.events[0].header.from, "bots.example.test");
  EXPECT_EQ(r.events[0].header.default_ns, "jabber:component:accept");
  EXPECT_EQ(r.events[1].stanza.name, "handshake");
  EXPECT_EQ(r.events[1].stanza.ns, "jabber:component:accept");
  const XmlElement& m = r.events[2].stanza;
  EXPECT_EQ(m.name, "message");
  ASSERT_NE(m.attribute("from"), nullptr);
  EXPECT_EQ(*m.attribute("from"), "ann@example.test/phone");
  ASSERT_NE(m.child("body", "jabber:component:accept"), nullptr);
  EXPECT_EQ(m.child("body", "jabber:component:accept")->text, "one & two <three> \xC3\xA9");
  EXPECT_EQ(r.events[3].stanza.name, "presence");
  EXPECT_EQ(r.events[4].kind, XmlStreamEvent::Kind::kEnd);
}

TEST(XmppStream, NamespacesAreResolvedNotPrefixes) {
  auto r = xmpp_read({kXmppStreamHead + kXmppStreamBody});
  ASSERT_TRUE(r.status.is_ok());
  const XmlElement& m = r.events[2].stanza;
  EXPECT_EQ(m.attribute("lang"), nullptr);  // xml:lang is in the XML namespace, not unprefixed
  bool lang = false;
  for (const auto& a : m.attributes) lang |= a.ns == kXmlNs && a.name == "lang" && a.value == "en";
  EXPECT_TRUE(lang);
  const XmlElement* ext = m.child("ext", "urn:example:x");
  ASSERT_NE(ext, nullptr);
  ASSERT_EQ(ext->attributes.size(), 1u);
  EXPECT_EQ(ext->attributes[0].ns, "urn:example:x");
  EXPECT_EQ(ext->attributes[0].name, "kind");
  // An unprefixed child inherits the default namespace, not the parent's prefix.
  ASSERT_EQ(ext->children.size(), 1u);
  EXPECT_EQ(ext->children[0].ns, "jabber:component:accept");
}

TEST(XmppStream, EverySplitGivesTheSameEvents) {
  std::string all = kXmppStreamHead + kXmppStreamBody;
  std::string whole = xmpp_describe(xmpp_read({all}).events);
  for (size_t cut = 1; cut < all.size(); ++cut) {
    auto r = xmpp_read({all.substr(0, cut), all.substr(cut)});
    ASSERT_TRUE(r.status.is_ok()) << "cut at " << cut << ": " << r.status.to_string();
    ASSERT_EQ(xmpp_describe(r.events), whole) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : all) bytes.emplace_back(1, c);
  EXPECT_EQ(xmpp_describe(xmpp_read(bytes).events), whole);
}

TEST(XmppStream, WrittenElementReadsBackTheSame) {
  auto r = xmpp_read({kXmppStreamHead + kXmppStreamBody});
  ASSERT_TRUE(r.status.is_ok());
  const XmlElement& m = r.events[2].stanza;
  auto again = xmpp_read({kXmppStreamHead + to_xml(m, "jabber:component:accept")});
  ASSERT_TRUE(again.status.is_ok()) << again.status.to_string();
  ASSERT_EQ(again.events.size(), 2u);
  EXPECT_EQ(to_xml(again.events[1].stanza), to_xml(m));
  EXPECT_EQ(xml_escape("a<b>&'\""), "a&lt;b&gt;&amp;&apos;&quot;");
}

TEST(XmppStream, StanzaOverTheLimitIsAnErrorAndEarlierOnesStay) {
  XmlStreamLimits limits;
  limits.max_stanza_bytes = 200;
  std::string small = "<message to='a@b'><body>hi</body></message>";
  std::string big = "<message to='a@b'><body>" + std::string(300, 'x') + "</body></message>";
  auto r = xmpp_read({kXmppStreamHead + small + big}, limits);
  EXPECT_EQ(r.status.code(), Code::kTooLarge) << r.status.to_string();
  ASSERT_EQ(r.events.size(), 2u);  // the header and the small stanza
  // Fed a byte at a time as well, and a start tag that never ends.
  std::vector<std::string> bytes{kXmppStreamHead};
  for (char c : big) bytes.emplace_back(1, c);
  EXPECT_EQ(xmpp_read(bytes, limits).status.code(), Code::kTooLarge);
  std::vector<std::string> endless{kXmppStreamHead, "<message to='"};
  for (int i = 0; i < 200; ++i) endless.push_back(std::string(50, 'y'));
  EXPECT_EQ(xmpp_read(endless, limits).status.code(), Code::kTooLarge);
  // Whitespace keep-alives between stanzas never add up to a stanza.
  std::vector<std::string> pings{kXmppStreamHead};
  for (int i = 0; i < 1000; ++i) pings.push_back(" ");
  pings.push_back(small);
  auto ok = xmpp_read(pings, limits);
  EXPECT_TRUE(ok.status.is_ok()) << ok.status.to_string();
  EXPECT_EQ(ok.events.size(), 2u);
}

TEST(XmppStream, DeepNestingIsAnError) {
  XmlStreamLimits limits;
  limits.max_depth = 4;
  EXPECT_TRUE(xmpp_read({kXmppStreamHead + "<a><b><c><d/></c></b></a>"}, limits).status.is_ok());
  EXPECT_EQ(xmpp_read({kXmppStreamHead + "<a><b><c><d><e/></d></c></b></a>"}, limits).status.code(), Code::kTooLarge);
}

TEST(XmppStream, MalformedOrForbiddenXmlIsAnError) {
  for (std::string bad : {kXmppStreamHead + "<message><body>x</message>",
                          kXmppStreamHead + "<message to='a'b'/>",
                          kXmppStreamHead + "<undeclared:x/>",
                          kXmppStreamHead + "plain text",
                          kXmppStreamHead + "<!-- a comment -->",
                          kXmppStreamHead + "<?pi data?>",
                          std::string("<!DOCTYPE x [<!ENTITY a 'b'>]>") + kXmppStreamHead,
                          std::string("<html xmlns='http://www.w3.org/1999/xhtml'>")}) {
    auto r = xmpp_read({bad});
    EXPECT_EQ(r.status.code(), Code::kInvalidArgument) << bad;
    EXPECT_FALSE(r.status.message().empty());
  }
  XmlStreamReader reader;
  Status first = reader.feed(kXmppStreamHead + "<a></b>");
  EXPECT_NE(first.message().find("line 1"), std::string::npos) << first.to_string();
  EXPECT_EQ(reader.feed("<ok/>").message(), first.message());  // an error is final
}

TEST(XmppStream, BytesAfterTheEndAreIgnored) {
  XmlStreamReader reader;
  EXPECT_TRUE(reader.feed(kXmppStreamHead + "</stream:stream><garbage").is_ok());
  EXPECT_TRUE(reader.ended());
  EXPECT_TRUE(reader.feed("more garbage").is_ok());
}

}  // namespace
}  // namespace parley::channels::xmpp
