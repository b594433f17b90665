#include "app/access_setup.h"

#include <algorithm>

namespace cairn::app {

std::variant<auth::AuthSettings, std::string> resolve_auth(
    const config::Auth& auth, const std::vector<ListenerExposure>& listeners) {
  auth::AuthSettings settings;
  settings.password_file = auth.password_file;
  settings.acl_file = auth.acl_file;
  settings.login_failures_per_minute = auth.login_failures_per_minute;

  const auto exposed = std::find_if(listeners.begin(), listeners.end(), [](const auto& l) {
    return !l.endpoint.address().is_loopback();
  });
  const bool some_exposed = exposed != listeners.end();
  const bool can_authenticate = !auth.password_file.empty() ||
                                std::any_of(listeners.begin(), listeners.end(), [](const auto& l) {
                                  return l.identity_from_certificate;
                                });
  // Left out, anonymous clients are welcome only where nobody could be
  // authenticated anyway and nobody beyond this machine can connect (the
  // embedded default). An operator who configured a password file or client
  // certificate identities expects them to be required, loopback or not.
  settings.allow_anonymous = auth.allow_anonymous.value_or(!some_exposed && !can_authenticate);

  if (some_exposed && !can_authenticate && auth.allow_anonymous != true) {
    return "auth.allow_anonymous: " + exposed->key + " listens on " +
           exposed->endpoint.address().to_string() + " port " +
           std::to_string(exposed->endpoint.port()) +
           ", beyond loopback, and no client can be authenticated (no auth.password_file, no "
           "listener with require_certificate and use_identity_as_username); set "
           "allow_anonymous = true in [auth] to accept anonymous clients from the network, or "
           "configure a password file";
  }
  return settings;
}

}  // namespace cairn::app
