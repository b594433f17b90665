// AccessControl: who may connect, and what each client may do (issue 8),
// from a mosquitto-compatible password file and ACL file that can be
// reloaded while clients are connected.
//
// Login, in this order:
//  1. A source address over its failed-login budget (LoginThrottle) is
//     refused unchecked: kThrottled.
//  2. A listener with `use_identity_as_username` passes the verified
//     certificate's identity: it is the user name, and no password is asked.
//  3. A user name: checked against the password file (kBadCredentials when
//     unknown or the password does not match, as one answer so that it does
//     not tell which user names exist). With no password file the name
//     cannot be verified, so it is accepted only where anonymous clients are.
//  4. No user name: accepted when anonymous clients are allowed, else
//     kNotAuthorized.
//
// Authorization is the ACL file's (AclFile::allows); without one, every
// client may do everything. Both files are replaced whole on reload(), each
// only when it parses, so a mistake in an edit never locks everyone out or
// lets everyone in: the previous rules stay and the error names the line.
//
// Thread-safe: logins and checks run on every network thread at once; the
// rules are immutable snapshots swapped atomically.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/acl_file.h"
#include "auth/login_throttle.h"
#include "auth/password_file.h"
#include "model/access_policy.h"

namespace cairn::auth {

struct AuthSettings {
  std::string password_file;  // "" : none
  std::string acl_file;       // "" : none
  bool allow_anonymous = true;
  std::uint32_t login_failures_per_minute = 10;  // per source address; 0: no limit
};

struct LoginRequest {
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;
  // The identity of a client certificate the TLS handshake verified, on a
  // listener with use_identity_as_username; it replaces the user name.
  std::optional<std::string_view> certificate_identity;
  std::string_view source_address;  // the peer's IP address
};

enum class LoginOutcome : std::uint8_t {
  kAccepted,
  kBadCredentials,  // MQTT 5 0x86, 3.1.1 return code 4
  kNotAuthorized,   // MQTT 5 0x87, 3.1.1 return code 5
  kThrottled,       // MQTT 5 0x9F Connection rate exceeded, 3.1.1 return code 3
};

struct LoginResult {
  LoginOutcome outcome = LoginOutcome::kAccepted;
  std::optional<std::string> username;  // the client's name from now on
  const char* why = "";
};

class AccessControl final : public model::AccessPolicy {
 public:
  // Reads the files the settings name. The error is one line naming the
  // config key and, for a file that does not parse, its line:
  // "auth.password_file: password file /etc/cairn/passwd line 3: empty user name".
  static std::variant<std::unique_ptr<AccessControl>, std::string> open(AuthSettings settings);

  LoginResult login(const LoginRequest& request) const;
  // Rounds of hashing login() would cost for this user name (0: none), so a
  // driver can keep a slow hash off its network thread.
  int login_rounds(std::optional<std::string_view> username) const;

  bool allows(std::string_view client_id, std::optional<std::string_view> username,
              std::string_view topic, model::TopicAccess access) const override;

  // Re-reads both files. Each is replaced only when it reads and parses;
  // one message per file that did not (empty: both reloaded).
  std::vector<std::string> reload();

  bool has_password_file() const noexcept { return !settings_.password_file.empty(); }
  bool has_acl_file() const noexcept { return !settings_.acl_file.empty(); }
  const AuthSettings& settings() const noexcept { return settings_; }

  // Counters for metrics.
  std::uint64_t logins_accepted() const noexcept { return accepted_.load(); }
  std::uint64_t logins_refused() const noexcept { return refused_.load(); }
  std::uint64_t logins_throttled() const noexcept { return throttled_.load(); }
  std::uint64_t reload_failures() const noexcept { return reload_failures_.load(); }

 private:
  explicit AccessControl(AuthSettings settings);
  std::optional<std::string> load_passwords();
  std::optional<std::string> load_acl();
  LoginResult refuse(LoginOutcome outcome, const char* why, std::string_view source) const;

  const AuthSettings settings_;
  std::atomic<std::shared_ptr<const PasswordFile>> passwords_;
  std::atomic<std::shared_ptr<const AclFile>> acl_;
  mutable LoginThrottle throttle_;
  mutable std::atomic<std::uint64_t> accepted_{0};
  mutable std::atomic<std::uint64_t> refused_{0};
  mutable std::atomic<std::uint64_t> throttled_{0};
  std::atomic<std::uint64_t> reload_failures_{0};
};

}  // namespace cairn::auth
