// The JWT verifier as Rasa's PyJWT check behaves: the configured algorithm only, signatures,
// exp and nbf with the leeway, malformed tokens refused with a reason.
#include "channels/http/jwt.h"

#include <gtest/gtest.h>

#include "support/jwt_signer.h"

namespace parley::testing {
namespace {

using channels::JwtVerifier;
constexpr int64_t kJwtNow = 1'800'000'000;

std::shared_ptr<const JwtVerifier> hs256(const std::string& secret = "s3cret") {
  auto v = JwtVerifier::create("HS256", secret);
  EXPECT_TRUE(v.ok()) << v.status().to_string();
  return *v;
}

TEST(Jwt, base64url_round_trips_and_refuses_other_alphabets) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                       std::string("\xff\xfe\x00\x01", 4)}) {
    auto d = channels::base64url_decode(channels::base64url_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(channels::base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(*channels::base64url_decode("Zm9vYg=="), "foob");  // padding tolerated
  EXPECT_FALSE(channels::base64url_decode("a+b/"));
  EXPECT_FALSE(channels::base64url_decode("abcde"));
}

TEST(Jwt, hs256_token_gives_its_claims) {
  auto token = sign_hs256("s3cret", rasa_claims("alice", "user"));
  auto r = hs256()->verify(token, kJwtNow);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->at("user").at("username"), "alice");
}

TEST(Jwt, wrong_secret_or_changed_payload_is_refused) {
  auto token = sign_hs256("other", rasa_claims("alice", "admin"));
  auto r = hs256()->verify(token, kJwtNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the token's signature does not verify");

  auto good = sign_hs256("s3cret", rasa_claims("alice", "user"));
  std::string forged = jwt_signing_input("HS256", rasa_claims("alice", "admin")) + good.substr(good.rfind('.'));
  EXPECT_FALSE(hs256()->verify(forged, kJwtNow).ok());
}

TEST(Jwt, alg_none_and_other_algorithms_are_refused) {
  std::string none = jwt_signing_input("none", rasa_claims("alice", "admin")) + ".";
  auto r = hs256()->verify(none, kJwtNow);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("HS256 only"), std::string::npos) << r.status().message();
  // An HS512 token for an HS256 server, even with the right secret.
  std::string input = jwt_signing_input("HS512", rasa_claims("alice", "admin"));
  EXPECT_FALSE(hs256()->verify(input + "." + channels::base64url_encode("x"), kJwtNow).ok());
}

TEST(Jwt, an_rsa_public_key_is_never_an_hmac_secret) {
  RsaKey key;
  auto rs = JwtVerifier::create("RS256", key.public_pem());
  ASSERT_TRUE(rs.ok()) << rs.status().to_string();
  // The classic confusion: HS256 signed with the public key's text.
  auto forged = sign_hs256(key.public_pem(), rasa_claims("mallory", "admin"));
  EXPECT_FALSE((*rs)->verify(forged, kJwtNow).ok());
  auto genuine = key.sign_rs256(rasa_claims("alice", "admin"));
  EXPECT_TRUE((*rs)->verify(genuine, kJwtNow).ok());
  // Another RSA key's signature.
  RsaKey other;
  EXPECT_FALSE((*rs)->verify(other.sign_rs256(rasa_claims("alice", "admin")), kJwtNow).ok());
}

TEST(Jwt, exp_and_nbf_hold_with_the_leeway) {
  auto v = hs256();
  auto at = [&](boost::json::object claims) { return v->verify(sign_hs256("s3cret", claims), kJwtNow); };
  EXPECT_TRUE(at(rasa_claims("a", "user", kJwtNow + 10)).ok());
  EXPECT_TRUE(at(rasa_claims("a", "user", kJwtNow - 30)).ok());  // within the 60 s leeway
  auto expired = at(rasa_claims("a", "user", kJwtNow - 3600));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().message(), "the token expired");
  auto claims = rasa_claims("a", "user");
  claims["nbf"] = kJwtNow + 3600;
  EXPECT_FALSE(at(claims).ok());
  claims["nbf"] = kJwtNow + 30;
  EXPECT_TRUE(at(claims).ok());
  claims["exp"] = "tomorrow";
  EXPECT_FALSE(at(claims).ok());
}

TEST(Jwt, malformed_tokens_are_refused_with_a_reason) {
  auto v = hs256();
  for (std::string bad : {"", "abc", "a.b", "a.b.c.d", "!!.e30.", "e30.e30.", "W10.e30.c2ln"}) {
    auto r = v->verify(bad, kJwtNow);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_FALSE(r.status().message().empty());
  }
}

TEST(Jwt, create_refuses_unknown_methods_empty_secrets_and_non_rsa_keys) {
  EXPECT_FALSE(JwtVerifier::create("none", "x").ok());
  EXPECT_FALSE(JwtVerifier::create("ES256", "x").ok());
  EXPECT_FALSE(JwtVerifier::create("HS256", "").ok());
  EXPECT_FALSE(JwtVerifier::create("RS256", "not a pem").ok());
}

}  // namespace
}  // namespace parley::testing
