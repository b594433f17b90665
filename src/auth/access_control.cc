#include "auth/access_control.h"

#include <utility>

namespace cairn::auth {
namespace {

AclAccess to_acl_access(model::TopicAccess access) {
  switch (access) {
    case model::TopicAccess::kRead:
      return AclAccess::kRead;
    case model::TopicAccess::kWrite:
      return AclAccess::kWrite;
    case model::TopicAccess::kSubscribe:
      break;
  }
  return AclAccess::kSubscribe;
}

}  // namespace

AccessControl::AccessControl(AuthSettings settings)
    : settings_(std::move(settings)), throttle_(settings_.login_failures_per_minute) {}

std::variant<std::unique_ptr<AccessControl>, std::string> AccessControl::open(
    AuthSettings settings) {
  std::unique_ptr<AccessControl> control(new AccessControl(std::move(settings)));
  if (auto error = control->load_passwords()) return std::move(*error);
  if (auto error = control->load_acl()) return std::move(*error);
  return control;
}

std::optional<std::string> AccessControl::load_passwords() {
  if (settings_.password_file.empty()) return std::nullopt;
  auto loaded = PasswordFile::load(settings_.password_file);
  if (auto* error = std::get_if<AuthFileError>(&loaded)) {
    return "auth.password_file: " + error->describe("password file " + settings_.password_file);
  }
  passwords_.store(std::make_shared<const PasswordFile>(std::get<PasswordFile>(std::move(loaded))));
  return std::nullopt;
}

std::optional<std::string> AccessControl::load_acl() {
  if (settings_.acl_file.empty()) return std::nullopt;
  auto loaded = AclFile::load(settings_.acl_file);
  if (auto* error = std::get_if<AuthFileError>(&loaded)) {
    return "auth.acl_file: " + error->describe("ACL file " + settings_.acl_file);
  }
  acl_.store(std::make_shared<const AclFile>(std::get<AclFile>(std::move(loaded))));
  return std::nullopt;
}

std::vector<std::string> AccessControl::reload() {
  std::vector<std::string> errors;
  if (auto error = load_passwords()) errors.push_back(std::move(*error));
  if (auto error = load_acl()) errors.push_back(std::move(*error));
  reload_failures_ += errors.size();
  return errors;
}

LoginResult AccessControl::refuse(LoginOutcome outcome, const char* why,
                                  std::string_view source) const {
  ++refused_;
  // Only a wrong password counts against the source: a refused anonymous
  // client guesses nothing.
  if (outcome == LoginOutcome::kBadCredentials) {
    throttle_.failed(source, LoginThrottle::Clock::now());
  }
  return LoginResult{outcome, std::nullopt, why};
}

LoginResult AccessControl::login(const LoginRequest& request) const {
  if (throttle_.blocked(request.source_address, LoginThrottle::Clock::now())) {
    ++throttled_;
    return LoginResult{LoginOutcome::kThrottled, std::nullopt,
                       "too many failed logins from this address; try again later"};
  }
  if (request.certificate_identity) {
    ++accepted_;
    return LoginResult{LoginOutcome::kAccepted, std::string(*request.certificate_identity), ""};
  }
  if (request.username) {
    if (const std::shared_ptr<const PasswordFile> passwords = passwords_.load()) {
      // A client without a password is checked all the same (and fails), so
      // a missing password costs what a wrong one does.
      if (!passwords->verify(*request.username, request.password.value_or(std::string_view{}))) {
        return refuse(LoginOutcome::kBadCredentials, "bad user name or password",
                      request.source_address);
      }
      ++accepted_;
      return LoginResult{LoginOutcome::kAccepted, std::string(*request.username), ""};
    }
    if (!settings_.allow_anonymous) {
      return refuse(LoginOutcome::kBadCredentials,
                    "no password file to check the user name against", request.source_address);
    }
    ++accepted_;
    return LoginResult{LoginOutcome::kAccepted, std::string(*request.username), ""};
  }
  if (!settings_.allow_anonymous) {
    return refuse(LoginOutcome::kNotAuthorized, "anonymous clients are not allowed",
                  request.source_address);
  }
  ++accepted_;
  return LoginResult{LoginOutcome::kAccepted, std::nullopt, ""};
}

int AccessControl::login_rounds(std::optional<std::string_view> username) const {
  if (!username) return 0;
  const std::shared_ptr<const PasswordFile> passwords = passwords_.load();
  return passwords ? passwords->rounds_for(*username) : 0;
}

bool AccessControl::allows(std::string_view client_id, std::optional<std::string_view> username,
                           std::string_view topic, model::TopicAccess access) const {
  const std::shared_ptr<const AclFile> acl = acl_.load();
  if (!acl) return true;
  return acl->allows(client_id, username, topic, to_acl_access(access));
}

}  // namespace cairn::auth
