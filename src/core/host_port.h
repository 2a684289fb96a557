// A listen address's HOST:PORT form, shared by `parley serve` and the clients of `parley events`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace parley {

// HOST:PORT split; "[::1]:80" for IPv6, ":80" for every address (0.0.0.0). kInvalidArgument on a
// bad form.
Status split_host_port(std::string_view listen, std::string* host, uint16_t* port);

}  // namespace parley
