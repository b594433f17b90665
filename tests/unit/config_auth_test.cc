// [auth] in the configuration file, and how allow_anonymous is resolved
// against the listeners (app/access_setup.h): anonymous where only this
// machine can connect, and no broker open to the network by default.
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <gtest/gtest.h>

#include "app/access_setup.h"
#include "config/config.h"
#include "unit/config_test_support.h"

namespace cairn::config::testing {
namespace {

TEST(ConfigAuth, DefaultsAreNoFilesAndAllowAnonymousLeftOut) {
  const Config c = parse_ok("");
  EXPECT_EQ(c.auth.password_file, "");
  EXPECT_EQ(c.auth.acl_file, "");
  EXPECT_FALSE(c.auth.allow_anonymous.has_value());
  EXPECT_EQ(c.auth.login_failures_per_minute, 10u);
}

TEST(ConfigAuth, ReadsEveryKey) {
  const Config c = parse_ok(
      "[auth]\npassword_file = \"/etc/cairn/passwd\"\nacl_file = \"/etc/cairn/acl\"\n"
      "allow_anonymous = false\nlogin_failures_per_minute = 0\n");
  EXPECT_EQ(c.auth.password_file, "/etc/cairn/passwd");
  EXPECT_EQ(c.auth.acl_file, "/etc/cairn/acl");
  EXPECT_EQ(c.auth.allow_anonymous, false);
  EXPECT_EQ(c.auth.login_failures_per_minute, 0u);
  EXPECT_EQ(parse_ok("[auth]\nallow_anonymous = true\n").auth.allow_anonymous, true);
}

TEST(ConfigAuth, WrongValuesNameTheKey) {
  EXPECT_EQ(parse_error("[auth]\nallow_anonymous = \"yes\"\n"),
            "cairn.toml:2: auth.allow_anonymous: expected a boolean (true or false), got a string");
  EXPECT_EQ(parse_error("[auth]\npassword_file = 3\n"),
            "cairn.toml:2: auth.password_file: expected a string, got an integer");
  EXPECT_EQ(parse_error("[auth]\nacl_file = \"a\\u0000b\"\n"),
            "cairn.toml:2: auth.acl_file: must not contain a NUL character, got 'a\\x00b'");
  EXPECT_EQ(parse_error("[auth]\npassword = \"x\"\n"), "cairn.toml:2: unknown key 'auth.password'");
}

// --- resolve_auth ----------------------------------------------------------------

app::ListenerExposure listener(const char* address, bool identity = false) {
  app::ListenerExposure l;
  l.key = "listener.listen";
  l.endpoint = {boost::asio::ip::make_address(address), 1883};
  l.identity_from_certificate = identity;
  return l;
}

auth::AuthSettings resolved(const Auth& a, const std::vector<app::ListenerExposure>& listeners) {
  auto r = app::resolve_auth(a, listeners);
  if (auto* refusal = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << *refusal;
    return {};
  }
  return std::get<auth::AuthSettings>(r);
}

std::string refusal(const Auth& a, const std::vector<app::ListenerExposure>& listeners) {
  auto r = app::resolve_auth(a, listeners);
  if (auto* text = std::get_if<std::string>(&r)) return *text;
  ADD_FAILURE() << "accepted, expected a refusal";
  return "";
}

TEST(ResolveAuth, LoopbackOnlyIsAnonymousFriendly) {
  EXPECT_TRUE(resolved(Auth{}, {listener("127.0.0.1"), listener("::1")}).allow_anonymous);
}

TEST(ResolveAuth, OffLoopbackWithoutAuthenticationRefusesToStart) {
  const std::string text = refusal(Auth{}, {listener("127.0.0.1"), listener("0.0.0.0")});
  EXPECT_TRUE(
      text.starts_with("auth.allow_anonymous: listener.listen listens on 0.0.0.0 port 1883"))
      << text;
  Auth explicit_false;
  explicit_false.allow_anonymous = false;
  EXPECT_FALSE(refusal(explicit_false, {listener("192.0.2.7")}).empty());
}

TEST(ResolveAuth, OffLoopbackOpenWhenAskedForExplicitly) {
  Auth a;
  a.allow_anonymous = true;
  EXPECT_TRUE(resolved(a, {listener("0.0.0.0")}).allow_anonymous);
}

TEST(ResolveAuth, OffLoopbackWithAPasswordFileRefusesAnonymousClients) {
  Auth a;
  a.password_file = "/etc/cairn/passwd";
  const auth::AuthSettings s = resolved(a, {listener("0.0.0.0")});
  EXPECT_FALSE(s.allow_anonymous);
  EXPECT_EQ(s.password_file, "/etc/cairn/passwd");
}

TEST(ResolveAuth, CertificateIdentitiesCountAsAuthentication) {
  EXPECT_FALSE(resolved(Auth{}, {listener("0.0.0.0", true)}).allow_anonymous);
}

// An operator who configured a way to authenticate expects it required,
// loopback or not (a loopback listener may be reached through a proxy or a
// tunnel).
TEST(ResolveAuth, LoopbackWithAPasswordFileOrCertificateIdentitiesRefusesAnonymousClients) {
  Auth a;
  a.password_file = "/etc/cairn/passwd";
  EXPECT_FALSE(resolved(a, {listener("127.0.0.1")}).allow_anonymous);
  EXPECT_FALSE(resolved(Auth{}, {listener("127.0.0.1", true)}).allow_anonymous);
  Auth open;
  open.password_file = "/etc/cairn/passwd";
  open.allow_anonymous = true;
  EXPECT_TRUE(resolved(open, {listener("127.0.0.1")}).allow_anonymous);
}

TEST(ResolveAuth, ExplicitFalseHoldsOnLoopbackToo) {
  Auth a;
  a.allow_anonymous = false;
  a.password_file = "p";
  EXPECT_FALSE(resolved(a, {listener("127.0.0.1")}).allow_anonymous);
}

}  // namespace
}  // namespace cairn::config::testing
