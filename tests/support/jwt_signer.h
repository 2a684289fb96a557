// Signing JWTs in tests, as an identity provider would: HS* with a secret, RS* with an RSA key
// generated in the test (its public key as PEM for the server).
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "channels/http/jwt.h"

namespace parley::testing {

// A Rasa-shaped payload {"user": {"username", "role"}}, plus exp when given.
inline boost::json::object rasa_claims(const std::string& username, const std::string& role, int64_t exp = 0) {
  boost::json::object o{{"user", boost::json::object{{"username", username}, {"role", role}}}};
  if (exp) o["exp"] = exp;
  return o;
}

// "header.payload" with {"alg": alg, "typ": "JWT"}.
inline std::string jwt_signing_input(const std::string& alg, const boost::json::object& payload) {
  using channels::base64url_encode;
  std::string header = boost::json::serialize(boost::json::object{{"alg", alg}, {"typ", "JWT"}});
  return base64url_encode(header) + "." + base64url_encode(boost::json::serialize(payload));
}

inline std::string sign_hs256(const std::string& secret, const boost::json::object& payload) {
  std::string input = jwt_signing_input("HS256", payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &len);
  return input + "." + channels::base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

class RsaKey {
 public:
  RsaKey() : key_(EVP_RSA_gen(2048)) {}
  ~RsaKey() { EVP_PKEY_free(key_); }
  RsaKey(const RsaKey&) = delete;
  RsaKey& operator=(const RsaKey&) = delete;

  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
  }

  std::string sign_rs256(const boost::json::object& payload, const std::string& alg = "RS256") const {
    std::string input = jwt_signing_input(alg, payload);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return input + "." + channels::base64url_encode(sig);
  }

 private:
  EVP_PKEY* key_;
};

}  // namespace parley::testing
