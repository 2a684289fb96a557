// HOST:PORT of a listen address.
#include "core/host_port.h"

#include <charconv>

namespace parley {

Status split_host_port(std::string_view listen, std::string* host, uint16_t* port) {
  std::string_view h;
  std::string_view p;
  if (!listen.empty() && listen.front() == '[') {
    size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return Status::invalid("listen '" + std::string(listen) + "' is not [HOST]:PORT");
    h = listen.substr(1, close - 1);
    p = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return Status::invalid("listen '" + std::string(listen) + "' is not HOST:PORT");
    h = listen.substr(0, colon);
    p = listen.substr(colon + 1);
  }
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 65535)
    return Status::invalid("listen '" + std::string(listen) + "': bad port");
  *host = h.empty() ? "0.0.0.0" : std::string(h);
  *port = static_cast<uint16_t>(v);
  return Status::ok();
}

}  // namespace parley
