// access_setup: the [auth] configuration resolved against the listeners that
// will actually open, into the settings of auth::AccessControl.
//
// allow_anonymous left out means "anonymous where only this machine can
// connect and nobody could be authenticated anyway": true when every
// listener is bound to a loopback address and neither a password file nor a
// listener taking user names from client certificates is configured, false
// otherwise (configured credentials are meant to be required). And a
// listener beyond loopback with no way to authenticate anyone is refused
// outright unless allow_anonymous = true is written in the file: a broker
// open to the network must be a choice, never a default someone forgot to
// change.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "auth/access_control.h"
#include "config/config.h"

namespace cairn::app {

// What decides a listener's exposure.
struct ListenerExposure {
  std::string key;  // the config key naming it in messages, e.g. "listener.listen"
  boost::asio::ip::tcp::endpoint endpoint;  // resolved: what it binds to
  // The listener verifies client certificates and takes the user name from
  // them (require_certificate and use_identity_as_username).
  bool identity_from_certificate = false;
};

// The AccessControl settings, or why start-up must stop (one line naming
// auth.allow_anonymous and the listener).
std::variant<auth::AuthSettings, std::string> resolve_auth(
    const config::Auth& auth, const std::vector<ListenerExposure>& listeners);

}  // namespace cairn::app
