// The XMPP stream reader over libexpat (namespace mode: names arrive as "URI local"), and the
// writer of elements.
#include "channels/xmpp/xml_stream.h"

#include <expat.h>

#include <algorithm>
#include <deque>

namespace parley::channels::xmpp {

namespace {

constexpr char kNsSeparator = ' ';  // a namespace URI holds no space
// Bytes handed to expat per call, so that its own buffer never outgrows the stanza limit by more.
constexpr size_t kFeedChunk = 4096;

void split_name(const XML_Char* full, std::string* ns, std::string* name) {
  std::string_view s(full);
  size_t sep = s.rfind(kNsSeparator);
  if (sep == std::string_view::npos) {
    ns->clear();
    name->assign(s);
  } else {
    ns->assign(s.substr(0, sep));
    name->assign(s.substr(sep + 1));
  }
}

bool all_whitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

}  // namespace

const std::string* XmlElement::attribute(std::string_view attr_name) const {
  for (const auto& a : attributes)
    if (a.ns.empty() && a.name == attr_name) return &a.value;
  return nullptr;
}

const XmlElement* XmlElement::child(std::string_view child_name, std::string_view child_ns) const {
  for (const auto& c : children)
    if (c.name == child_name && c.ns == child_ns) return &c;
  return nullptr;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&apos;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string to_xml(const XmlElement& e, std::string_view parent_ns) {
  std::string out = "<" + e.name;
  if (e.ns != parent_ns) out += " xmlns='" + xml_escape(e.ns) + "'";
  int prefixes = 0;
  for (const auto& a : e.attributes) {
    std::string qname = a.name;
    if (a.ns == kXmlNs) {
      qname = "xml:" + a.name;
    } else if (!a.ns.empty()) {
      std::string prefix = "a" + std::to_string(prefixes++);
      out += " xmlns:" + prefix + "='" + xml_escape(a.ns) + "'";
      qname = prefix + ":" + a.name;
    }
    out += " " + qname + "='" + xml_escape(a.value) + "'";
  }
  if (e.children.empty() && e.text.empty()) return out + "/>";
  out += ">" + xml_escape(e.text);
  for (const auto& c : e.children) out += to_xml(c, e.ns);
  return out + "</" + e.name + ">";
}

struct XmlStreamReader::Impl {
  explicit Impl(XmlStreamLimits l) : limits(l), parser(XML_ParserCreateNS("UTF-8", kNsSeparator)) {
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &Impl::on_start, &Impl::on_end);
    XML_SetCharacterDataHandler(parser, &Impl::on_text);
    XML_SetStartNamespaceDeclHandler(parser, &Impl::on_namespace);
    XML_SetStartDoctypeDeclHandler(parser, &Impl::on_doctype);
    XML_SetCommentHandler(parser, &Impl::on_comment);
    XML_SetProcessingInstructionHandler(parser, &Impl::on_instruction);
  }
  ~Impl() { XML_ParserFree(parser); }

  // Stops the parser with `s` as the stream's error.
  void fail(Status s) {
    if (error.is_ok()) error = std::move(s);
    XML_StopParser(parser, XML_FALSE);
  }

  size_t event_end() const {
    return static_cast<size_t>(XML_GetCurrentByteIndex(parser)) + static_cast<size_t>(XML_GetCurrentByteCount(parser));
  }

  // Whether the bytes up to `end` still fit the limit of what is being read now.
  bool fits(size_t end) {
    size_t begin = stack.empty() ? mark : stanza_begin;
    if (end - begin <= limits.max_stanza_bytes) return true;
    fail(Status(Code::kTooLarge, "XMPP stream: a stanza is over the limit of " +
                                     std::to_string(limits.max_stanza_bytes) + " bytes"));
    return false;
  }

  static void on_namespace(void* self_ptr, const XML_Char* prefix, const XML_Char* uri) {
    auto* self = static_cast<Impl*>(self_ptr);
    if (self->depth == 0 && prefix == nullptr && uri != nullptr) self->header.default_ns = uri;
  }

  static void on_start(void* self_ptr, const XML_Char* full_name, const XML_Char** attrs) {
    auto* self = static_cast<Impl*>(self_ptr);
    XmlElement e;
    split_name(full_name, &e.ns, &e.name);
    for (const XML_Char** a = attrs; *a; a += 2) {
      XmlAttribute attr;
      split_name(a[0], &attr.ns, &attr.name);
      attr.value = a[1];
      e.attributes.push_back(std::move(attr));
    }
    if (self->depth == 0) {
      if (e.ns != kStreamsNs || e.name != "stream")
        return self->fail(Status::invalid("XMPP stream: the root element is {" + e.ns + "}" + e.name +
                                          ", not {" + std::string(kStreamsNs) + "}stream"));
      for (const char* key : {"id", "from", "to", "version"}) {
        const std::string* v = e.attribute(key);
        if (!v) continue;
        std::string_view k(key);
        (k == "id" ? self->header.id : k == "from" ? self->header.from : k == "to" ? self->header.to
                                                                                   : self->header.version) = *v;
      }
      XmlStreamEvent ev;
      ev.kind = XmlStreamEvent::Kind::kHeader;
      ev.header = self->header;
      self->events.push_back(std::move(ev));
      self->depth = 1;
      self->mark = self->event_end();
      return;
    }
    if (self->stack.empty()) self->stanza_begin = static_cast<size_t>(XML_GetCurrentByteIndex(self->parser));
    if (!self->fits(self->event_end())) return;
    if (self->stack.size() + 1 > self->limits.max_depth)
      return self->fail(Status(Code::kTooLarge, "XMPP stream: a stanza nests deeper than " +
                                                    std::to_string(self->limits.max_depth) + " elements"));
    self->stack.push_back(std::move(e));
    ++self->depth;
  }

  static void on_end(void* self_ptr, const XML_Char*) {
    auto* self = static_cast<Impl*>(self_ptr);
    if (self->depth == 1) {
      self->depth = 0;
      self->ended = true;
      XmlStreamEvent ev;
      ev.kind = XmlStreamEvent::Kind::kEnd;
      self->events.push_back(std::move(ev));
      XML_StopParser(self->parser, XML_FALSE);  // whatever follows the stream is not ours to parse
      return;
    }
    --self->depth;
    XmlElement e = std::move(self->stack.back());
    self->stack.pop_back();
    if (!self->stack.empty()) {
      self->stack.back().children.push_back(std::move(e));
      return;
    }
    XmlStreamEvent ev;
    ev.kind = XmlStreamEvent::Kind::kStanza;
    ev.stanza = std::move(e);
    self->events.push_back(std::move(ev));
    self->mark = self->event_end();
  }

  static void on_text(void* self_ptr, const XML_Char* s, int len) {
    auto* self = static_cast<Impl*>(self_ptr);
    std::string_view text(s, static_cast<size_t>(len));
    if (self->stack.empty()) {  // between stanzas: whitespace keep-alives only
      if (!all_whitespace(text)) return self->fail(Status::invalid("XMPP stream: text at the stream level"));
      self->mark = self->event_end();
      return;
    }
    if (!self->fits(self->event_end())) return;
    self->stack.back().text.append(text);
  }

  static void on_doctype(void* self_ptr, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Impl*>(self_ptr)->fail(Status::invalid("XMPP stream: a DTD is not allowed (RFC 6120 11.1)"));
  }
  static void on_comment(void* self_ptr, const XML_Char*) {
    static_cast<Impl*>(self_ptr)->fail(Status::invalid("XMPP stream: a comment is not allowed (RFC 6120 11.1)"));
  }
  static void on_instruction(void* self_ptr, const XML_Char*, const XML_Char*) {
    static_cast<Impl*>(self_ptr)->fail(
        Status::invalid("XMPP stream: a processing instruction is not allowed (RFC 6120 11.1)"));
  }

  Status feed_chunk(std::string_view chunk) {
    fed += chunk.size();
    if (XML_Parse(parser, chunk.data(), static_cast<int>(chunk.size()), XML_FALSE) != XML_STATUS_OK) {
      if (ended) return Status::ok();
      if (error.is_ok())
        error = Status::invalid("XMPP stream: malformed XML at line " +
                                std::to_string(XML_GetCurrentLineNumber(parser)) + ", column " +
                                std::to_string(XML_GetCurrentColumnNumber(parser)) + ": " +
                                XML_ErrorString(XML_GetErrorCode(parser)));
      return error;
    }
    // What expat holds without an event yet (a start tag that never closes) counts too.
    if (!fits(fed)) return error;
    return Status::ok();
  }

  XmlStreamLimits limits;
  XML_Parser parser;
  Status error;
  std::deque<XmlStreamEvent> events;
  XmlStreamHeader header;
  std::vector<XmlElement> stack;  // the open elements of the current stanza
  size_t depth = 0;               // open elements, the stream's own included
  size_t fed = 0;                 // bytes given to expat so far
  size_t mark = 0;                // where the bytes not yet part of an event begin (between stanzas)
  size_t stanza_begin = 0;        // where the open stanza's start tag begins
  bool ended = false;
};

XmlStreamReader::XmlStreamReader(XmlStreamLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
XmlStreamReader::~XmlStreamReader() = default;

Status XmlStreamReader::feed(std::string_view bytes) {
  if (!impl_->error.is_ok()) return impl_->error;
  while (!bytes.empty() && !impl_->ended) {
    std::string_view chunk = bytes.substr(0, kFeedChunk);
    bytes.remove_prefix(chunk.size());
    if (Status s = impl_->feed_chunk(chunk); !s.is_ok()) return s;
  }
  return Status::ok();
}

bool XmlStreamReader::next(XmlStreamEvent* event) {
  if (impl_->events.empty()) return false;
  *event = std::move(impl_->events.front());
  impl_->events.pop_front();
  return true;
}

bool XmlStreamReader::ended() const { return impl_->ended; }

}  // namespace parley::channels::xmpp
