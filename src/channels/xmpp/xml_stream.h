// An XMPP stream read incrementally (RFC 6120 section 4): libexpat in namespace mode reports the
// stream header and each complete top-level stanza as a small DOM, however the bytes are split.
// Every stanza is bounded in bytes and depth, so a peer cannot make the reader hold more than the
// limit; what RFC 6120 forbids in a stream (DTDs, comments, processing instructions, text at the
// stream level) is an error.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace parley::channels::xmpp {

inline constexpr std::string_view kStreamsNs = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kStreamErrorsNs = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";

struct XmlAttribute {
  std::string ns;  // empty for an unprefixed attribute
  std::string name;
  std::string value;
};

struct XmlElement {
  std::string ns;    // the element's namespace URI
  std::string name;  // its local name
  std::vector<XmlAttribute> attributes;
  std::vector<XmlElement> children;
  // The character data directly inside, concatenated: stanzas carry text in leaf elements (<body>),
  // so the interleaving of text and children in mixed content is not kept.
  std::string text;

  // The unprefixed attribute `name`, or nullptr.
  const std::string* attribute(std::string_view name) const;
  // The first child named `name` in namespace `ns`, or nullptr.
  const XmlElement* child(std::string_view name, std::string_view ns) const;
};

// Escapes & < > ' " for text and attribute values.
std::string xml_escape(std::string_view text);
// The element as XML, declaring its namespace where it differs from `parent_ns` (the namespace in
// scope where it is written: "jabber:component:accept" for a stanza of a component stream).
// xml: attributes keep their prefix; other namespaced attributes get declared prefixes.
std::string to_xml(const XmlElement& element, std::string_view parent_ns = "");

struct XmlStreamHeader {
  std::string default_ns;  // the stream's content namespace (jabber:component:accept, ...)
  std::string id, from, to, version;
};

struct XmlStreamEvent {
  enum class Kind { kHeader, kStanza, kEnd };
  Kind kind = Kind::kStanza;
  XmlStreamHeader header;  // kHeader
  XmlElement stanza;       // kStanza
};

struct XmlStreamLimits {
  // Bytes of one stanza from its start tag's '<' to its end tag's '>'. Also bounds the bytes
  // between stanzas that have not yet made an event (a start tag that never ends).
  size_t max_stanza_bytes = 256u << 10;
  size_t max_depth = 32;  // element nesting inside a stanza (the stanza itself is 1)
};

// One stream, in order, on one thread. Not thread-safe.
class XmlStreamReader {
 public:
  explicit XmlStreamReader(XmlStreamLimits limits = {});
  ~XmlStreamReader();
  XmlStreamReader(const XmlStreamReader&) = delete;
  XmlStreamReader& operator=(const XmlStreamReader&) = delete;

  // Parses `bytes` and queues the events they complete. An error is final (this call and every
  // later one return it) and the stream cannot be resynchronised: the caller closes it.
  // kTooLarge: a stanza over max_stanza_bytes or max_depth; kInvalidArgument: malformed or
  // forbidden XML, with line and column. Bytes after the stream's end are ignored.
  Status feed(std::string_view bytes);
  // The next queued event, or false when there is none. Events that preceded an error stay queued.
  bool next(XmlStreamEvent* event);
  bool ended() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::channels::xmpp
