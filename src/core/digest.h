// SHA-256 (OpenSSL), for content keys such as the model cache's; SHA-1 for protocols that demand it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace parley {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex();  // finishes; call once

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

inline std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

// Lowercase hex SHA-1, for XEP-0114's component handshake (the protocol fixes the algorithm; it is
// not used for anything that needs collision resistance).
std::string sha1_hex(std::string_view data);

}  // namespace parley
