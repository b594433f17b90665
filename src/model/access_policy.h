// AccessPolicy: may this client do that with this topic? The question the
// protocol asks of authorization (issue 8), without saying how it is
// answered: the session machine asks it on SUBSCRIBE, PUBLISH, every
// delivery and the will at CONNECT; auth::AccessControl answers it from a
// mosquitto-style ACL file. Kept here, in the model, so the pure session
// machine depends on the question only, never on files or their reloads.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn::model {

enum class TopicAccess : std::uint8_t {
  kRead,       // receive a message published on this topic name (each delivery)
  kWrite,      // publish on this topic name (PUBLISH, and the will at CONNECT)
  kSubscribe,  // subscribe with this filter, "$share/..." included (SUBSCRIBE)
};

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // `username` is the authenticated user name (nullopt: anonymous). Called on
  // network threads, concurrently: implementations are thread-safe, and fast
  // (it runs once per delivery).
  virtual bool allows(std::string_view client_id, std::optional<std::string_view> username,
                      std::string_view topic, TopicAccess access) const = 0;
};

}  // namespace cairn::model
