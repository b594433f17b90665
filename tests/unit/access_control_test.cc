// AccessControl: logins against a password file (or none), anonymous
// clients, certificate identities, the failed-login throttle, ACL answers and
// reloads that keep the old rules when a file no longer parses.
#include "auth/access_control.h"

#include <fstream>
#include <memory>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "auth/login_throttle.h"
#include "auth/password_file.h"
#include "support/temp_dir.h"

namespace cairn::auth {
namespace {

using model::TopicAccess;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class AccessControlTest : public ::testing::Test {
 protected:
  test::TempDir dir;  // first: the paths below are in it
  std::string passwd = dir.path() + "/passwd";
  std::string acl = dir.path() + "/acl";

  std::unique_ptr<AccessControl> open_ok(AuthSettings settings) {
    auto opened = AccessControl::open(std::move(settings));
    if (auto* error = std::get_if<std::string>(&opened)) {
      ADD_FAILURE() << *error;
      return nullptr;
    }
    return std::get<std::unique_ptr<AccessControl>>(std::move(opened));
  }
  std::string open_error(AuthSettings settings) {
    auto opened = AccessControl::open(std::move(settings));
    if (auto* error = std::get_if<std::string>(&opened)) return *error;
    ADD_FAILURE() << "opened, expected an error";
    return "";
  }
  AuthSettings with_files(bool allow_anonymous = false) {
    AuthSettings s;
    s.password_file = passwd;
    s.acl_file = acl;
    s.allow_anonymous = allow_anonymous;
    return s;
  }
  static LoginRequest request(std::optional<std::string_view> user,
                              std::optional<std::string_view> password,
                              std::string_view source = "192.0.2.1") {
    LoginRequest r;
    r.username = user;
    r.password = password;
    r.source_address = source;
    return r;
  }
};

TEST_F(AccessControlTest, PasswordFileDecidesNamedLogins) {
  write_file(passwd, make_password_line("alice", "secret") + "\n");
  write_file(acl, "");
  auto control = open_ok(with_files());
  ASSERT_TRUE(control);
  const LoginResult ok = control->login(request("alice", "secret"));
  EXPECT_EQ(ok.outcome, LoginOutcome::kAccepted);
  EXPECT_EQ(ok.username, "alice");
  EXPECT_EQ(control->login(request("alice", "wrong")).outcome, LoginOutcome::kBadCredentials);
  EXPECT_EQ(control->login(request("alice", std::nullopt)).outcome, LoginOutcome::kBadCredentials);
  // An unknown user gets the very same answer as a wrong password.
  EXPECT_EQ(control->login(request("mallory", "secret")).outcome, LoginOutcome::kBadCredentials);
  EXPECT_EQ(control->logins_accepted(), 1u);
  EXPECT_EQ(control->logins_refused(), 3u);
}

TEST_F(AccessControlTest, AnonymousClientsFollowAllowAnonymous) {
  write_file(passwd, make_password_line("alice", "secret") + "\n");
  write_file(acl, "");
  auto closed = open_ok(with_files(false));
  const LoginResult refused = closed->login(request(std::nullopt, std::nullopt));
  EXPECT_EQ(refused.outcome, LoginOutcome::kNotAuthorized);
  auto open = open_ok(with_files(true));
  const LoginResult accepted = open->login(request(std::nullopt, std::nullopt));
  EXPECT_EQ(accepted.outcome, LoginOutcome::kAccepted);
  EXPECT_FALSE(accepted.username.has_value());
  // A password file still checks the clients that do give a name.
  EXPECT_EQ(open->login(request("alice", "wrong")).outcome, LoginOutcome::kBadCredentials);
}

TEST_F(AccessControlTest, WithoutPasswordFileNamesAreTakenOnlyWhereAnonymousIs) {
  AuthSettings s;
  s.allow_anonymous = true;
  auto open = open_ok(s);
  const LoginResult taken = open->login(request("bob", "anything"));
  EXPECT_EQ(taken.outcome, LoginOutcome::kAccepted);
  EXPECT_EQ(taken.username, "bob");
  s.allow_anonymous = false;
  auto closed = open_ok(s);
  // Nothing can verify the name: it must not pass for authentication.
  EXPECT_EQ(closed->login(request("bob", "anything")).outcome, LoginOutcome::kBadCredentials);
}

TEST_F(AccessControlTest, CertificateIdentityIsTheUserNameWithoutPassword) {
  write_file(passwd, make_password_line("alice", "secret") + "\n");
  write_file(acl, "");
  auto control = open_ok(with_files(false));
  LoginRequest r = request("ignored", std::nullopt);
  r.certificate_identity = "device-17";
  const LoginResult result = control->login(r);
  EXPECT_EQ(result.outcome, LoginOutcome::kAccepted);
  EXPECT_EQ(result.username, "device-17");
}

TEST_F(AccessControlTest, FailedLoginsAreThrottledPerSourceAddress) {
  write_file(passwd, make_password_line("alice", "secret") + "\n");
  write_file(acl, "");
  AuthSettings s = with_files();
  s.login_failures_per_minute = 3;
  auto control = open_ok(s);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(control->login(request("alice", "guess", "203.0.113.9")).outcome,
              LoginOutcome::kBadCredentials);
  }
  // Used up: even the right password is refused unchecked, from that address.
  EXPECT_EQ(control->login(request("alice", "secret", "203.0.113.9")).outcome,
            LoginOutcome::kThrottled);
  EXPECT_EQ(control->logins_throttled(), 1u);
  // Another address is not affected.
  EXPECT_EQ(control->login(request("alice", "secret", "203.0.113.10")).outcome,
            LoginOutcome::kAccepted);
}

TEST_F(AccessControlTest, AnonymousRefusalsDoNotCountAsGuesses) {
  AuthSettings s;
  s.allow_anonymous = false;
  s.login_failures_per_minute = 1;
  write_file(passwd, make_password_line("alice", "secret") + "\n");
  s.password_file = passwd;
  auto control = open_ok(s);
  for (int i = 0; i < 5; ++i) control->login(request(std::nullopt, std::nullopt));
  EXPECT_EQ(control->login(request("alice", "secret")).outcome, LoginOutcome::kAccepted);
}

TEST_F(AccessControlTest, OpenErrorsNameTheKeyAndLine) {
  write_file(passwd, "alice:$7$101$bad\n");
  write_file(acl, "topic read a/#\nbogus line\n");
  AuthSettings s = with_files();
  const std::string password_error = open_error(s);
  EXPECT_TRUE(
      password_error.starts_with("auth.password_file: password file " + passwd + " line 1: "))
      << password_error;
  write_file(passwd, make_password_line("alice", "secret") + "\n");
  const std::string acl_error = open_error(s);
  EXPECT_TRUE(acl_error.starts_with("auth.acl_file: ACL file " + acl + " line 2: ")) << acl_error;
  s.acl_file = dir.path() + "/missing";
  EXPECT_TRUE(open_error(s).starts_with("auth.acl_file: ACL file " + s.acl_file + ": "));
}

TEST_F(AccessControlTest, AclAnswersAndWithoutFileAllowsAll) {
  write_file(passwd, "");
  write_file(acl, "user alice\ntopic readwrite alice/#\npattern read clients/%c/#\n");
  auto control = open_ok(with_files());
  EXPECT_TRUE(control->allows("c1", "alice", "alice/x", TopicAccess::kWrite));
  EXPECT_FALSE(control->allows("c1", "bob", "alice/x", TopicAccess::kWrite));
  EXPECT_TRUE(control->allows("c1", "bob", "clients/c1/in", TopicAccess::kRead));
  EXPECT_FALSE(control->allows("c1", "bob", "clients/c2/in", TopicAccess::kRead));
  EXPECT_TRUE(control->allows("c1", "alice", "alice/#", TopicAccess::kSubscribe));
  EXPECT_FALSE(control->allows("c1", "alice", "#", TopicAccess::kSubscribe));

  AuthSettings none;
  auto open = open_ok(none);
  EXPECT_FALSE(open->has_acl_file());
  EXPECT_TRUE(open->allows("c1", std::nullopt, "anything", TopicAccess::kWrite));
}

TEST_F(AccessControlTest, ReloadReplacesRulesAndKeepsThemWhenAFileIsBroken) {
  write_file(passwd, make_password_line("alice", "one") + "\n");
  write_file(acl, "user alice\ntopic read a/#\n");
  auto control = open_ok(with_files());
  EXPECT_FALSE(control->allows("c", "alice", "b/1", TopicAccess::kRead));

  write_file(passwd, make_password_line("alice", "two") + "\n");
  write_file(acl, "user alice\ntopic read b/#\n");
  EXPECT_TRUE(control->reload().empty());
  EXPECT_EQ(control->login(request("alice", "two")).outcome, LoginOutcome::kAccepted);
  EXPECT_EQ(control->login(request("alice", "one")).outcome, LoginOutcome::kBadCredentials);
  EXPECT_TRUE(control->allows("c", "alice", "b/1", TopicAccess::kRead));
  EXPECT_FALSE(control->allows("c", "alice", "a/1", TopicAccess::kRead));

  // Both files broken: both refused, each with its line; the rules stay.
  write_file(passwd, "alice\n");
  write_file(acl, "user alice\ntopic read b/#\ntopic sideways c\n");
  const auto errors = control->reload();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("auth.password_file: password file " + passwd + " line 1: "),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("auth.acl_file: ACL file " + acl + " line 3: "), std::string::npos)
      << errors[1];
  EXPECT_EQ(control->reload_failures(), 2u);
  EXPECT_EQ(control->login(request("alice", "two")).outcome, LoginOutcome::kAccepted);
  EXPECT_TRUE(control->allows("c", "alice", "b/1", TopicAccess::kRead));
}

TEST_F(AccessControlTest, LoginRoundsFollowTheUsersHash) {
  write_file(passwd, make_password_line("alice", "secret") + "\n");
  write_file(acl, "");
  auto control = open_ok(with_files());
  EXPECT_EQ(control->login_rounds("alice"), kDefaultIterations);
  EXPECT_EQ(control->login_rounds("unknown"), kDefaultIterations);  // hashed all the same
  EXPECT_EQ(control->login_rounds(std::nullopt), 0);
}

TEST(LoginThrottle, WindowOpensAtFirstFailureAndEndsAMinuteLater) {
  LoginThrottle throttle(2);
  const auto t0 = LoginThrottle::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_FALSE(throttle.blocked("a", t0));
  throttle.failed("a", t0);
  throttle.failed("a", t0 + std::chrono::seconds(10));
  EXPECT_TRUE(throttle.blocked("a", t0 + std::chrono::seconds(11)));
  EXPECT_TRUE(throttle.blocked("a", t0 + std::chrono::seconds(59)));
  EXPECT_FALSE(throttle.blocked("a", t0 + std::chrono::seconds(60)));
  EXPECT_FALSE(throttle.blocked("b", t0 + std::chrono::seconds(11)));
}

TEST(LoginThrottle, ZeroMeansNoLimit) {
  LoginThrottle throttle(0);
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 100; ++i) throttle.failed("a", t0);
  EXPECT_FALSE(throttle.blocked("a", t0));
  EXPECT_EQ(throttle.tracked(), 0u);
}

TEST(LoginThrottle, TableStaysBoundedUnderAFloodOfSources) {
  LoginThrottle throttle(1);
  const auto t0 = LoginThrottle::Clock::now();
  for (std::size_t i = 0; i < LoginThrottle::kMaxSources + 100; ++i) {
    throttle.failed("10." + std::to_string(i), t0 + std::chrono::microseconds(i));
  }
  EXPECT_LE(throttle.tracked(), LoginThrottle::kMaxSources);
  // The newest sources are the ones kept.
  EXPECT_TRUE(throttle.blocked("10." + std::to_string(LoginThrottle::kMaxSources + 99),
                               t0 + std::chrono::seconds(1)));
}

}  // namespace
}  // namespace cairn::auth
