// Verifying JSON Web Tokens (RFC 7519, JWS compact form) as Rasa's --jwt-secret/--jwt-method do
// through PyJWT: the token's "alg" must be exactly the configured method (never "none", never the
// other family, so an RSA public key can never be used as an HMAC secret), the signature must
// verify, and "exp" and "nbf", when present, must be numbers that hold at the time of the check
// (with sanic-jwt's leeway of 60 s). Thread-safe once created.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/status.h"

namespace parley::channels {

class JwtVerifier {
 public:
  static constexpr int64_t kLeewaySeconds = 60;

  // `method`: HS256, HS384 or HS512 with `key` the shared secret; RS256, RS384 or RS512 with `key`
  // the PEM text of an RSA public key ("BEGIN PUBLIC KEY") or of a certificate holding one.
  // kInvalidArgument for an unknown method, an empty secret or a key that is not RSA.
  static Result<std::shared_ptr<const JwtVerifier>> create(std::string_view method, std::string key);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // The payload of a valid token at `now_s` (Unix seconds); kInvalidArgument saying why not
  // (malformed, wrong algorithm, bad signature, expired, not yet valid). The messages never
  // quote the token.
  Result<json::object> verify(std::string_view token, int64_t now_s) const;

  const std::string& method() const { return method_; }

 private:
  struct Key;
  JwtVerifier(std::string method, std::unique_ptr<Key> key);
  bool signature_ok(std::string_view signed_part, std::string_view signature) const;

  std::string method_;
  std::unique_ptr<Key> key_;
};

// base64url (RFC 4648 section 5) without padding; a trailing '=' padding is tolerated. nullopt on
// any other character or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

}  // namespace parley::channels
