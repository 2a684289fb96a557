// JWT verification with OpenSSL: HMAC (compared with CRYPTO_memcmp) and RSA PKCS#1 v1.5.
#include "channels/http/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cmath>

namespace parley::channels {

namespace {

struct Method {
  std::string_view name;
  const EVP_MD* (*digest)();
  bool rsa;
};

const Method* find_method(std::string_view name) {
  static const Method kMethods[] = {
      {"HS256", EVP_sha256, false}, {"HS384", EVP_sha384, false}, {"HS512", EVP_sha512, false},
      {"RS256", EVP_sha256, true},  {"RS384", EVP_sha384, true},  {"RS512", EVP_sha512, true},
  };
  for (const auto& m : kMethods)
    if (m.name == name) return &m;
  return nullptr;
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

EVP_PKEY* read_public_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  if (!key) {
    // A certificate: its public key.
    BIO_reset(bio);
    if (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      key = X509_get_pubkey(cert);
      X509_free(cert);
    }
  }
  BIO_free(bio);
  return key;
}

// A claim that must hold at `now`: absent is fine, a non-number is a malformed token.
std::optional<double> time_claim(const json::object& payload, std::string_view name, std::string* bad) {
  const json::value* v = json_get(payload, name);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    *bad = "the token's '" + std::string(name) + "' claim is not a number";
    return std::nullopt;
  }
  boost::system::error_code ec;
  double d = v->to_number<double>(ec);
  if (ec || !std::isfinite(d)) *bad = "the token's '" + std::string(name) + "' claim is not a number";
  return d;
}

Result<json::object> decode_part(std::string_view part, const char* what) {
  auto text = base64url_decode(part);
  if (!text) return Status::invalid(std::string("the token's ") + what + " is not base64url");
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return Status::invalid(std::string("the token's ") + what + " is not a JSON object");
  return std::move(v.as_object());
}

}  // namespace

struct JwtVerifier::Key {
  const Method* method = nullptr;
  std::string secret;       // HS*
  EVP_PKEY* rsa = nullptr;  // RS*
  ~Key() { EVP_PKEY_free(rsa); }
};

JwtVerifier::JwtVerifier(std::string method, std::unique_ptr<Key> key)
    : method_(std::move(method)), key_(std::move(key)) {}

JwtVerifier::~JwtVerifier() = default;

Result<std::shared_ptr<const JwtVerifier>> JwtVerifier::create(std::string_view method, std::string key) {
  const Method* m = find_method(method);
  if (!m)
    return Status::invalid("jwt_method '" + std::string(method) + "' is not one of HS256, HS384, HS512, RS256, RS384, RS512");
  auto k = std::make_unique<Key>();
  k->method = m;
  if (!m->rsa) {
    if (key.empty()) return Status::invalid(std::string(method) + " needs a non-empty jwt_secret");
    k->secret = std::move(key);
  } else {
    k->rsa = read_public_key(key);
    if (!k->rsa || !EVP_PKEY_is_a(k->rsa, "RSA"))
      return Status::invalid(std::string(method) + " needs an RSA public key in PEM form (BEGIN PUBLIC KEY or a certificate)");
  }
  return std::shared_ptr<const JwtVerifier>(new JwtVerifier(std::string(method), std::move(k)));
}

bool JwtVerifier::signature_ok(std::string_view signed_part, std::string_view signature) const {
  const EVP_MD* md = key_->method->digest();
  if (!key_->method->rsa) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    if (!HMAC(md, key_->secret.data(), static_cast<int>(key_->secret.size()),
              reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac.data(), &len))
      return false;
    return signature.size() == len && CRYPTO_memcmp(mac.data(), signature.data(), len) == 0;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key_->rsa) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Result<json::object> JwtVerifier::verify(std::string_view token, int64_t now_s) const {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return Status::invalid("the token is not a JWT (header.payload.signature)");
  auto header = decode_part(token.substr(0, dot1), "header");
  if (!header.ok()) return header.status();
  auto alg = json_str(*header, "alg");
  if (!alg || *alg != method_)
    return Status::invalid("the token's algorithm is " + (alg ? "'" + std::string(alg->substr(0, 16)) + "'" : std::string("missing")) +
                           "; this server accepts " + method_ + " only");
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature || signature->empty() || !signature_ok(token.substr(0, dot2), *signature))
    return Status::invalid("the token's signature does not verify");
  auto payload = decode_part(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!payload.ok()) return payload.status();
  std::string bad;
  auto exp = time_claim(*payload, "exp", &bad);
  auto nbf = time_claim(*payload, "nbf", &bad);
  if (!bad.empty()) return Status::invalid(bad);
  if (exp && static_cast<double>(now_s) >= *exp + kLeewaySeconds) return Status::invalid("the token expired");
  if (nbf && static_cast<double>(now_s) + kLeewaySeconds < *nbf) return Status::invalid("the token is not valid yet (nbf)");
  return payload;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = base64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

}  // namespace parley::channels
